/**
 * The bare baseline's worker process: its own task queue, its own workflow bundle (bench/baseline
 * only, built with bundleWorkflowCode), the activities of bench/baseline/activities.ts, and the
 * SDK's default worker options (as our worker uses them). Settings come from the environment the
 * driver gives it: BENCH_TEMPORAL_ADDRESS, BENCH_BARE_TARGETS (JSON of BareTargets).
 */
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createBareActivities, type BareTargets } from './activities';
import { BARE_TASK_QUEUE } from './messages';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const targets = JSON.parse(process.env.BENCH_BARE_TARGETS ?? '') as BareTargets;
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: process.env.BENCH_TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: BARE_TASK_QUEUE,
    workflowBundle: { code },
    activities: createBareActivities(targets),
  });
  console.log(`bare worker: polling task queue "${BARE_TASK_QUEUE}"`);
  await worker.run();
  await connection.close();
}

main().catch((err: unknown) => {
  console.error('bare worker failed:', err);
  process.exit(1);
});
