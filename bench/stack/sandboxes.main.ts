/**
 * The two PSA sandboxes of a benchmark run, in a process of their own (so the load the driver
 * generates never delays their answers): ConnectWise and Autotask on the ports given in
 * BENCH_CW_PORT / BENCH_AT_PORT, both empty. Limits a benchmark must not trip over are opened:
 * ConnectWise's per-credential rate limit is off and Autotask's hourly threshold is far away;
 * Autotask's 3 concurrent requests per endpoint stay (its real rule, which our client honours).
 * Both our connector and the bare baseline talk to these same two servers.
 */
import { startAutotaskSandbox } from '../../sandbox/autotask/server';
import { startConnectWiseSandbox } from '../../sandbox/connectwise/server';

async function main(): Promise<void> {
  const cw = await startConnectWiseSandbox({ port: Number(process.env.BENCH_CW_PORT ?? 0), seed: 'empty', rateLimit: { limit: 0, windowMs: 10_000 } });
  const at = await startAutotaskSandbox({ port: Number(process.env.BENCH_AT_PORT ?? 0), seed: 'empty', hourlyThreshold: 100_000_000 });
  console.log(`sandboxes ready ${JSON.stringify({ cw: cw.url, at: at.url })}`);
  const stop = () => {
    void Promise.allSettled([cw.close(), at.close()]).then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error('sandboxes failed:', err);
  process.exit(1);
});
