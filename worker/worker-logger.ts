/**
 * The Temporal runtime's logger for the worker process. The SDK logs every failed activity
 * ("Activity failed") and workflow ("Workflow failed") with the whole error, stack included.
 * For an expected outcome — a PSA's refusal or transient answer, a refusal of ours
 * (activities/psa-failure.ts), also when it is what failed a workflow — the admin needs one
 * line: which activity or workflow, the message and the failure type. The stack follows at
 * debug level (LOG_LEVEL=debug). Unexpected errors keep their full stack.
 *
 * A workflow's error reaches the logger as a copy without its failure type (plain Errors out of
 * the workflow sandbox), so a workflow failure counts as expected when its cause is a failure
 * this process just logged as an expected refusal of one of that workflow's activities.
 */
import { formatWithOptions } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import { isExpectedFailureType } from '../activities/psa-failure';

const timeOf = (entry: LogEntry) => new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
const inspect = formatWithOptions.bind(undefined, { colors: false, depth: 4 });
/** Expected activity failures remembered for their workflow's failure line (oldest dropped first). */
const REMEMBERED = 500;

/** The error an entry carries and those it was caused by, outermost first. */
function causeChain(entry: LogEntry): Error[] {
  const chain: Error[] = [];
  for (let e: unknown = entry.meta?.error; e instanceof Error && chain.length < 5; e = e.cause) chain.push(e);
  return chain;
}

export type WorkerLogFormatter = (entry: LogEntry) => string[];

/** Turns log entries into lines (without trailing newlines); `debug` adds the stacks of expected failures. */
export function createWorkerLogFormatter(debug: boolean): WorkerLogFormatter {
  const recent = new Map<string, { type: string; nonRetryable: boolean }>();
  const key = (workflowId: unknown, message: string) => `${String(workflowId)}\n${message}`;

  function expected(entry: LogEntry): { error: Error; type: string; nonRetryable: boolean } | null {
    const workflowId = entry.meta?.workflowId;
    for (const error of causeChain(entry)) {
      if (error instanceof ApplicationFailure && isExpectedFailureType(error.type)) {
        const found = { type: error.type!, nonRetryable: error.nonRetryable === true };
        recent.set(key(workflowId, error.message), found);
        if (recent.size > REMEMBERED) recent.delete(recent.keys().next().value!);
        return { error, ...found };
      }
      const seen = recent.get(key(workflowId, error.message));
      if (seen) return { error, ...seen };
    }
    return null;
  }

  return (entry) => {
    const failure = expected(entry);
    if (!failure) return [`${timeOf(entry)} [${entry.level}] ${entry.message}${entry.meta ? ` ${inspect(entry.meta)}` : ''}`];
    const m = entry.meta ?? {};
    const subject = String(m.activityType ?? m.workflowType ?? '');
    const where = [m.workflowId ? `workflow ${String(m.workflowId)}` : '', m.attempt ? `attempt ${String(m.attempt)}` : ''].filter(Boolean).join(', ');
    const retry = failure.nonRetryable ? '' : ', will retry';
    const lines = [`${timeOf(entry)} [${entry.level}] ${entry.message}: ${subject}${where ? ` (${where})` : ''}: ${failure.error.message} [${failure.type}${retry}]`];
    if (debug && failure.error.stack) lines.push(`${timeOf(entry)} [DEBUG] ${failure.error.stack}`);
    return lines;
  };
}

/** The runtime logger: WARN and above, DEBUG and above with LOG_LEVEL=debug; lines go to `write` (stderr). */
export function createWorkerLogger(logLevel: string, write: (text: string) => void = (t) => process.stderr.write(t)): DefaultLogger {
  const debug = logLevel === 'debug';
  const format = createWorkerLogFormatter(debug);
  return new DefaultLogger(debug ? 'DEBUG' : 'WARN', (entry) => write(format(entry).map((l) => `${l}\n`).join('')));
}
