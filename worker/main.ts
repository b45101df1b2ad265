/**
 * The worker process: configuration → the runtime (runtime/runtime.ts: MongoDB, PSA gateways,
 * Temporal client) → a Temporal worker running every workflow and activity. SIGINT/SIGTERM shut it down gracefully.
 * MongoDB and Temporal may still be starting: each step waits for them (startup-retry.ts),
 * printing its progress, for up to STARTUP_BUDGET_SECONDS in all.
 */
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { applySchedules } from '../client/schedules';
import { loadConfig } from '../runtime/config';
import { createRuntime, runtimeSettings } from '../runtime/runtime';
import { ensureSearchAttributes } from './search-attributes';
import { workflowSource } from './workflow-source';
import { retryStartupStep, startupBudget } from './startup-retry';
import { createWorkerLogger } from './worker-logger';
import { describeTuning, workerTuning } from './tuning';

/** How long start-up waits for MongoDB and Temporal, in all, before it gives up. */
const STARTUP_BUDGET_SECONDS = 120;
const log = (line: string) => console.log(`worker: ${line}`);

async function main(): Promise<void> {
  const config = loadConfig();
  Runtime.install({ logger: createWorkerLogger(config.LOG_LEVEL) });
  const budget = startupBudget(STARTUP_BUDGET_SECONDS, log);
  const retry = <T>(what: string, attempt: () => Promise<T>) => retryStartupStep(what, attempt, budget);

  const rt = await createRuntime(runtimeSettings(config), { retry, onTemporal: (connection) => ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE) });
  const tuning = workerTuning(config);
  const nativeConnection = await retry(`Temporal at ${config.TEMPORAL_ADDRESS} (worker connection)`, () => NativeConnection.connect({ address: config.TEMPORAL_ADDRESS }));
  const worker = await Worker.create({
    connection: nativeConnection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ...workflowSource(),
    activities: rt.activities(),
    shutdownGraceTime: '10 seconds',
    ...tuning,
  });
  if (config.APPLY_SCHEDULES_ON_START === 'true') {
    // Idempotent, so a retry after a half-done attempt finishes the job.
    const applied = await retry(`applying the schedules on Temporal at ${config.TEMPORAL_ADDRESS}`, async () =>
      applySchedules(rt.temporal, await rt.store.connections.list(), {
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        digestHourUtc: config.NOTIFICATION_DIGEST_HOUR_UTC,
        seatCountHourUtc: config.SEAT_COUNT_HOUR_UTC,
        idPrefix: config.SCHEDULE_ID_PREFIX,
      }),
    );
    log(`schedules ${applied.created.length} created, ${applied.updated.length} updated, ${applied.unchanged.length} unchanged, ${applied.deleted.length} deleted`);
  }
  log(`polling task queue "${config.TEMPORAL_TASK_QUEUE}" on ${config.TEMPORAL_ADDRESS} (${describeTuning(tuning)}; Autotask ${config.AUTOTASK_THREADS_PER_ENDPOINT} per endpoint)`);
  await worker.run(); // returns after SIGINT/SIGTERM (the SDK installs the handlers)
  await nativeConnection.close();
  await rt.close();
}

main().catch((err: unknown) => {
  console.error('worker failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
