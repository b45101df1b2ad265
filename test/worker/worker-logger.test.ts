/**
 * worker/worker-logger.ts: the SDK's "Activity failed" entry for an expected refusal (a PSA's
 * answer, a store refusal — as activities/psa-failure.ts marks them) is one line with the
 * PSA's message; its stack only at LOG_LEVEL=debug. Unexpected errors keep their stack.
 */
import type { LogEntry } from '@temporalio/worker';
import { withFailureTypes } from '../../activities/psa-failure';
import { PsaError } from '../../activities/psa/http';
import { NotFoundError } from '../../activities/store';
import { createWorkerLogFormatter, createWorkerLogger } from '../../worker/worker-logger';

const formatWorkerLogEntry = (entry: LogEntry, debug: boolean) => createWorkerLogFormatter(debug)(entry);

const at = BigInt(Date.UTC(2026, 2, 1, 9, 30)) * 1_000_000n;
const activityMeta = { activityType: 'applyOperations', workflowId: 'subscription/cw-main/sub-1', attempt: 1, namespace: 'default', taskQueue: 'psa-connector', durationMs: 12 };

/** What the SDK's activity worker logs when an activity throws `err` (worker/lib/activity.js). */
const activityFailed = (error: unknown): LogEntry => ({ level: 'WARN', message: 'Activity failed', meta: { ...activityMeta, error }, timestampNanos: at });
const thrownBy = async (fn: () => Promise<unknown>): Promise<unknown> => fn().then(() => { throw new Error('expected a failure'); }, (e: unknown) => e);

const refusal = new PsaError({
  psa: 'connectwise', kind: 'validation', method: 'POST', path: '/finance/agreements/7/additions', status: 400,
  psaMessage: 'The agreement is cancelled', details: ['agreementId: agreement 7 is cancelled'],
});

describe('worker log lines for failed activities', () => {
  it('a PSA refusal is one line: activity, workflow, attempt, the PSA message and the failure type', async () => {
    const failure = await thrownBy(() => withFailureTypes(() => Promise.reject(refusal)));
    const lines = formatWorkerLogEntry(activityFailed(failure), false);
    expect(lines).toEqual([
      `2026-03-01T09:30:00.000Z [WARN] Activity failed: applyOperations (workflow subscription/cw-main/sub-1, attempt 1): ${refusal.message} [PsaError.validation]`,
    ]);
    expect(lines[0]).toContain('The agreement is cancelled');
    expect(lines.join('\n')).not.toMatch(/\n\s+at /);
  });

  it('a transient PSA answer says it will be retried; a store refusal is one line too', async () => {
    const busy = new PsaError({ psa: 'autotask', kind: 'rate-limited', method: 'GET', path: '/V1.0/Companies/query', status: 429 });
    const [transient] = formatWorkerLogEntry(activityFailed(await thrownBy(() => withFailureTypes(() => Promise.reject(busy)))), false);
    expect(transient).toMatch(/: autotask GET \/V1\.0\/Companies\/query failed with rate-limited \(HTTP 429\).* \[PsaError\.rate-limited, will retry\]$/);
    const missing = await thrownBy(() => withFailureTypes(() => Promise.reject(new NotFoundError('connection', 'cw-x'))));
    expect(formatWorkerLogEntry(activityFailed(missing), false)).toEqual([
      '2026-03-01T09:30:00.000Z [WARN] Activity failed: applyOperations (workflow subscription/cw-main/sub-1, attempt 1): connection "cw-x" does not exist [NotFoundError]',
    ]);
  });

  it('a workflow failed by an expected refusal of its activity is one line too; another workflow failure keeps its stack', async () => {
    const format = createWorkerLogFormatter(false);
    const refused = await thrownBy(() => withFailureTypes(() => Promise.reject(new NotFoundError('connection', 'cw-x'))));
    const activityEntry: LogEntry = { ...activityFailed(refused), meta: { ...activityMeta, activityType: 'planGlobalSync', workflowId: 'global-sync/cw-x', error: refused } };
    expect(format(activityEntry)).toHaveLength(1);
    // The workflow's error arrives as plain copies out of its sandbox: no failure type left.
    const copy = (message: string, cause?: Error) => Object.assign(new Error(message, cause ? { cause } : undefined), { stack: `Error: ${message}\n    at x (y.ts:1:1)` });
    const workflowFailed = (workflowId: string, causeMessage: string): LogEntry => ({
      level: 'WARN', message: 'Workflow failed', timestampNanos: at,
      meta: { workflowType: 'globalSyncWorkflow', workflowId, error: copy('Activity task failed', copy(causeMessage)) },
    });
    expect(format(workflowFailed('global-sync/cw-x', 'connection "cw-x" does not exist'))).toEqual([
      '2026-03-01T09:30:00.000Z [WARN] Workflow failed: globalSyncWorkflow (workflow global-sync/cw-x): connection "cw-x" does not exist [NotFoundError]',
    ]);
    const [other] = format(workflowFailed('global-sync/cw-y', 'connection "cw-x" does not exist'));
    expect(other).toMatch(/\[WARN\] Workflow failed \{/);
    expect(other).toMatch(/\n\s+at /);
  });

  it('at debug level the stack follows the line', async () => {
    const failure = await thrownBy(() => withFailureTypes(() => Promise.reject(refusal)));
    const lines = formatWorkerLogEntry(activityFailed(failure), true);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^2026-03-01T09:30:00\.000Z \[DEBUG\] ApplicationFailure: connectwise POST/);
    expect(lines[1]).toMatch(/\n\s+at /);
  });

  it('an unexpected error keeps its full stack', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'lines')");
    const [line] = formatWorkerLogEntry(activityFailed(bug), false);
    expect(line).toMatch(/^2026-03-01T09:30:00\.000Z \[WARN\] Activity failed \{/);
    expect(line).toContain("TypeError: Cannot read properties of undefined (reading 'lines')");
    expect(line).toMatch(/\n\s+at /);
  });

  it('the runtime logger writes those lines, and nothing below WARN unless LOG_LEVEL=debug', async () => {
    const out: string[] = [];
    const logger = createWorkerLogger('info', (t) => out.push(t));
    logger.debug('Activity started', activityMeta);
    logger.warn('Activity failed', { ...activityMeta, error: await thrownBy(() => withFailureTypes(() => Promise.reject(refusal))) });
    expect(out).toHaveLength(1);
    expect(out[0]!.trimEnd().split('\n')).toHaveLength(1);
    const debugOut: string[] = [];
    createWorkerLogger('debug', (t) => debugOut.push(t)).debug('Activity started', activityMeta);
    expect(debugOut).toHaveLength(1);
  });
});
