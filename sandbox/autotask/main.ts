/**
 * `npm run sandbox:autotask`: the Autotask sandbox on AT_SANDBOX_PORT (default 8720) with the
 * demo seed (AT_SANDBOX_SEED=empty for none), credentials from AT_SANDBOX_USERNAME /
 * AT_SANDBOX_SECRET / AT_SANDBOX_INTEGRATION_CODE, state kept in AT_SANDBOX_STATE_FILE if set;
 * the tenant's time zone from AT_SANDBOX_TIME_ZONE and the unit-period reading from
 * AT_SANDBOX_UNIT_PERIOD_BOUNDARY (`adjustment-date`, the documented one, or `day-before`).
 */
import { closeOnSignal } from '../shared/standalone';
import { DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS, startAutotaskSandbox } from './server';

async function main(): Promise<void> {
  const env = process.env;
  const credentials = {
    username: env.AT_SANDBOX_USERNAME ?? DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS.username,
    secret: env.AT_SANDBOX_SECRET ?? DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS.secret,
    integrationCode: env.AT_SANDBOX_INTEGRATION_CODE ?? DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS.integrationCode,
  };
  const sandbox = await startAutotaskSandbox({
    port: Number(env.AT_SANDBOX_PORT ?? 8720),
    seed: env.AT_SANDBOX_SEED === 'empty' ? 'empty' : 'demo',
    credentials,
    stateFile: env.AT_SANDBOX_STATE_FILE || undefined,
    tenant: {
      ...(env.AT_SANDBOX_TIME_ZONE ? { timeZone: env.AT_SANDBOX_TIME_ZONE } : {}),
      ...(env.AT_SANDBOX_UNIT_PERIOD_BOUNDARY === 'day-before' ? { unitPeriodBoundary: 'day-before' as const } : {}),
    },
  });
  // The secret is the operator's own sandbox default; only the user name is printed.
  console.log(`Autotask sandbox listening on ${sandbox.url} (zone discovery: ${sandbox.url}/atservicesrest/v1.0/zoneInformation?user=${credentials.username})`);
  closeOnSignal(sandbox);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
