/**
 * `npm run sandbox:connectwise`: the ConnectWise simulator on CW_SANDBOX_PORT (default 8710)
 * with the demo seed. Environment: sandbox/README.md.
 */
import { closeOnSignal } from '../shared/standalone';
import { DEFAULT_CW_SANDBOX_CREDENTIALS } from './auth';
import { DEFAULT_CW_RATE_LIMIT, startConnectWiseSandbox } from './server';

function rateLimitFromEnv(text: string | undefined): { limit: number; windowMs: number } {
  if (text === undefined || text === '') return DEFAULT_CW_RATE_LIMIT;
  const m = /^(\d+)(?:\/(\d+)s)?$/.exec(text.trim());
  if (!m) throw new Error(`CW_SANDBOX_RATE_LIMIT must look like "60/10s" or "0", got "${text}"`);
  return { limit: Number(m[1]), windowMs: Number(m[2] ?? 10) * 1000 };
}

async function main(): Promise<void> {
  const env = process.env;
  const sandbox = await startConnectWiseSandbox({
    port: Number(env.CW_SANDBOX_PORT ?? 8710),
    seed: env.CW_SANDBOX_SEED === 'empty' ? 'empty' : 'demo',
    credentials: {
      companyId: env.CW_SANDBOX_COMPANY_ID ?? DEFAULT_CW_SANDBOX_CREDENTIALS.companyId,
      publicKey: env.CW_SANDBOX_PUBLIC_KEY ?? DEFAULT_CW_SANDBOX_CREDENTIALS.publicKey,
      privateKey: env.CW_SANDBOX_PRIVATE_KEY ?? DEFAULT_CW_SANDBOX_CREDENTIALS.privateKey,
      clientId: env.CW_SANDBOX_CLIENT_ID ?? DEFAULT_CW_SANDBOX_CREDENTIALS.clientId,
    },
    rateLimit: rateLimitFromEnv(env.CW_SANDBOX_RATE_LIMIT),
    authFailureStatus: env.CW_SANDBOX_AUTH_FAILURE_STATUS === '404' ? 404 : 401,
    stateFile: env.CW_SANDBOX_STATE_FILE || undefined,
    ...(env.CW_SANDBOX_TIME_ZONE ? { timeZone: env.CW_SANDBOX_TIME_ZONE } : {}),
  });
  const c = sandbox.credentials;
  console.log(`ConnectWise sandbox: ${sandbox.apiUrl}`);
  console.log(`  company id ${c.companyId}, public key ${c.publicKey}, clientId ${c.clientId}`);
  console.log(`  private key: ${env.CW_SANDBOX_PRIVATE_KEY ? 'from CW_SANDBOX_PRIVATE_KEY' : 'the documented default (sandbox/README.md)'}`);
  console.log(`  control routes: ${sandbox.url}/__sandbox`);
  closeOnSignal(sandbox);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
