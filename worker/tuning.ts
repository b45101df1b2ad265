/**
 * The worker's concurrency from the configuration (docs/worker-tuning.md): how many workflow
 * tasks and activities one process runs at once, how many workflows it keeps cached, and an
 * optional cap on activities started per second across the task queue. The PSA limits
 * themselves (Autotask's threads per endpoint and hourly requests) are kept by the gateways.
 */
import type { WorkerOptions } from '@temporalio/worker';
import type { Config } from '../runtime/config';

export type WorkerTuning = Pick<WorkerOptions, 'maxConcurrentWorkflowTaskExecutions' | 'maxConcurrentActivityTaskExecutions' | 'maxCachedWorkflows' | 'maxTaskQueueActivitiesPerSecond'>;

export function workerTuning(config: Pick<Config, 'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS' | 'WORKER_MAX_CONCURRENT_ACTIVITIES' | 'WORKER_MAX_CACHED_WORKFLOWS' | 'TASK_QUEUE_MAX_ACTIVITIES_PER_SECOND'>): WorkerTuning {
  return {
    maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    ...(config.WORKER_MAX_CACHED_WORKFLOWS !== undefined ? { maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS } : {}),
    ...(config.TASK_QUEUE_MAX_ACTIVITIES_PER_SECOND !== undefined ? { maxTaskQueueActivitiesPerSecond: config.TASK_QUEUE_MAX_ACTIVITIES_PER_SECOND } : {}),
  };
}

/** One line for the start-up log. */
export function describeTuning(t: WorkerTuning): string {
  return [
    `${t.maxConcurrentWorkflowTaskExecutions} workflow tasks`,
    `${t.maxConcurrentActivityTaskExecutions} activities at once`,
    t.maxCachedWorkflows !== undefined ? `${t.maxCachedWorkflows} cached workflows` : 'workflow cache sized by Temporal',
    t.maxTaskQueueActivitiesPerSecond !== undefined ? `≤ ${t.maxTaskQueueActivitiesPerSecond} activities/s on the task queue` : null,
  ].filter((x) => x !== null).join(', ');
}
