import { parseConfig } from '../../runtime/config';
import { describeTuning, workerTuning } from '../../worker/tuning';

const key = Buffer.alloc(32, 7).toString('base64');

describe('worker configuration from the environment', () => {
  it('gives documented defaults when only the secrets key is set', () => {
    const c = parseConfig({ SECRETS_KEY: key });
    expect(c).toMatchObject({ TEMPORAL_ADDRESS: '127.0.0.1:7233', TEMPORAL_TASK_QUEUE: 'psa-connector', API_PORT: 8080 });
    expect(c.MONGO_URL).toMatch(/^mongodb:\/\/127\.0\.0\.1:27018\//);
  });

  it.each([
    [{ MONGO_URL: 'postgres://x' }, /^Configuration error: MONGO_URL must be a mongodb:\/\/ .* \(got "postgres:\/\/x"\)$/],
    [{ MONGO_URL: 'not a url' }, /^Configuration error: MONGO_URL must be a mongodb/],
    [{ API_PORT: '99999' }, /^Configuration error: API_PORT must be between 1 and 65535 \(got "99999"\)$/],
    [{ API_PORT: 'eighty' }, /^Configuration error: API_PORT must be a port number/],
    [{ TEMPORAL_ADDRESS: 'localhost' }, /^Configuration error: TEMPORAL_ADDRESS must be host:port/],
    [{ SMTP_URL: 'http://mail' }, /^Configuration error: SMTP_URL must be an smtp:\/\//],
    [{ OUTBOUND_ALLOWLIST: '127.0.0.1,10.0.0.0/40' }, /^Configuration error: OUTBOUND_ALLOWLIST has a bad entry: "10.0.0.0\/40": the prefix length must be 0–32 \(got "127.0.0.1,10.0.0.0\/40"\)$/],
    [{ OUTBOUND_ALLOWLIST: 'psa.internal:99999' }, /^Configuration error: OUTBOUND_ALLOWLIST has a bad entry: "psa.internal:99999": the port must be 1–65535/],
    [{ OUTBOUND_ALLOWLIST: 'http://x' }, /^Configuration error: OUTBOUND_ALLOWLIST has a bad entry: "http:\/\/x" is not a host name, IP address or CIDR network/],
  ])('rejects %j with one line naming the variable', (bad, message) => {
    expect(() => parseConfig({ SECRETS_KEY: key, ...bad })).toThrow(message);
    try {
      parseConfig({ SECRETS_KEY: key, ...bad });
    } catch (e) {
      expect((e as Error).message.split('\n')).toHaveLength(1);
    }
  });

  it('takes an outbound allow-list and a bootstrap token, never echoing a bad token', () => {
    const c = parseConfig({ SECRETS_KEY: key, OUTBOUND_ALLOWLIST: '127.0.0.1:8710, 10.1.0.0/16, psa.internal, [::1]:8443', ADMIN_BOOTSTRAP_TOKEN: 'x'.repeat(40) });
    expect(c.OUTBOUND_ALLOWLIST.map((e) => [e.text, e.port ?? null, e.host ?? null])).toEqual([
      ['127.0.0.1:8710', 8710, null],
      ['10.1.0.0/16', null, null],
      ['psa.internal', null, 'psa.internal'],
      ['[::1]:8443', 8443, null],
    ]);
    expect(parseConfig({ SECRETS_KEY: key }).OUTBOUND_ALLOWLIST).toEqual([]);
    expect(() => parseConfig({ SECRETS_KEY: key, ADMIN_BOOTSTRAP_TOKEN: 'short-secret' })).toThrow(/^Configuration error: ADMIN_BOOTSTRAP_TOKEN must be at least 32 characters \(e\.g\. `openssl rand -base64 32`\)$/);
  });

  it('requires the secrets key and never echoes a bad one', () => {
    expect(() => parseConfig({})).toThrow('Configuration error: SECRETS_KEY is required');
    try {
      parseConfig({ SECRETS_KEY: 'hunter2-not-base64!' });
      throw new Error('expected a config error');
    } catch (e) {
      expect((e as Error).message).toMatch(/^Configuration error: SECRETS_KEY must be 32 random bytes/);
      expect((e as Error).message).not.toContain('hunter2');
    }
  });

  it('tunes the worker: documented defaults, each limit checked with its range, the cache no smaller than the workflow tasks', () => {
    const defaults = parseConfig({ SECRETS_KEY: key });
    expect(workerTuning(defaults)).toEqual({ maxConcurrentWorkflowTaskExecutions: 40, maxConcurrentActivityTaskExecutions: 100 });
    expect(defaults.AUTOTASK_THREADS_PER_ENDPOINT).toBe(3);
    const tuned = parseConfig({ SECRETS_KEY: key, WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '20', WORKER_MAX_CONCURRENT_ACTIVITIES: '30', WORKER_MAX_CACHED_WORKFLOWS: '5000', TASK_QUEUE_MAX_ACTIVITIES_PER_SECOND: '2.5', AUTOTASK_THREADS_PER_ENDPOINT: '1' });
    expect(workerTuning(tuned)).toEqual({ maxConcurrentWorkflowTaskExecutions: 20, maxConcurrentActivityTaskExecutions: 30, maxCachedWorkflows: 5000, maxTaskQueueActivitiesPerSecond: 2.5 });
    expect(describeTuning(workerTuning(tuned))).toBe('20 workflow tasks, 30 activities at once, 5000 cached workflows, ≤ 2.5 activities/s on the task queue');
    expect(workerTuning(parseConfig({ SECRETS_KEY: key, WORKER_MAX_CACHED_WORKFLOWS: '0' })).maxCachedWorkflows).toBe(0);
    const refused: Array<[Record<string, string>, string]> = [
      [{ WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '1' }, 'Configuration error: WORKER_MAX_CONCURRENT_WORKFLOW_TASKS must be 2–1000 (got "1")'],
      [{ WORKER_MAX_CONCURRENT_ACTIVITIES: 'many' }, 'Configuration error: WORKER_MAX_CONCURRENT_ACTIVITIES must be a whole number 1–2000 (got "many")'],
      [{ WORKER_MAX_CONCURRENT_ACTIVITIES: '2.5' }, 'Configuration error: WORKER_MAX_CONCURRENT_ACTIVITIES must be a whole number 1–2000 (got "2.5")'],
      [{ AUTOTASK_THREADS_PER_ENDPOINT: '4' }, 'Configuration error: AUTOTASK_THREADS_PER_ENDPOINT must be 1–3 (got "4")'],
      [{ TASK_QUEUE_MAX_ACTIVITIES_PER_SECOND: '0' }, 'Configuration error: TASK_QUEUE_MAX_ACTIVITIES_PER_SECOND must be more than 0 (got "0")'],
      [{ WORKER_MAX_CACHED_WORKFLOWS: '10' }, 'Configuration error: WORKER_MAX_CACHED_WORKFLOWS must be 0 (no cache) or at least WORKER_MAX_CONCURRENT_WORKFLOW_TASKS (40): a workflow task runs on a cached workflow (got "10")'],
    ];
    for (const [bad, message] of refused) expect(() => parseConfig({ SECRETS_KEY: key, ...bad })).toThrow(message);
  });
});
