/**
 * worker/startup-retry.ts: a start-up step is retried while its server is still starting, with a
 * progress line per failed attempt, within one budget, then fails with one clear line; errors
 * waiting cannot cure fail at once. A fake clock, so no test waits.
 */
import { ServiceError } from '@temporalio/client';
import { isRetryableAtStartup, retryStartupStep, startupBudget, startupErrorText, type StartupBudget } from '../../worker/startup-retry';

/** A gRPC error as @grpc/grpc-js makes them (what the Temporal client wraps). */
const grpcError = (code: number, message: string) => Object.assign(new Error(message), { code, details: message, metadata: {} });

function fakeBudget(seconds: number): StartupBudget & { lines: string[]; clock: { t: number } } {
  const clock = { t: 0 };
  const lines: string[] = [];
  const budget = startupBudget(seconds, (l) => lines.push(l), () => clock.t);
  return { ...budget, lines, clock, sleep: async (ms) => void (clock.t += ms) };
}

describe('start-up retries', () => {
  it('retries a failing step with growing pauses and one progress line each, until it succeeds', async () => {
    const budget = fakeBudget(120);
    let calls = 0;
    const result = await retryStartupStep(
      'Temporal at 127.0.0.1:7233',
      async () => {
        calls++;
        budget.clock.t += 10; // the attempt itself takes a moment
        if (calls < 4) throw new ServiceError('Failed to describe schedule', { cause: grpcError(14, '14 UNAVAILABLE: connection refused') });
        return 'ready';
      },
      budget,
    );
    expect(result).toBe('ready');
    expect(budget.lines).toEqual([
      'Temporal at 127.0.0.1:7233: attempt 1 failed (Failed to describe schedule: 14 UNAVAILABLE: connection refused); retrying for up to 120 s more',
      'Temporal at 127.0.0.1:7233: attempt 2 failed (Failed to describe schedule: 14 UNAVAILABLE: connection refused); retrying for up to 120 s more',
      'Temporal at 127.0.0.1:7233: attempt 3 failed (Failed to describe schedule: 14 UNAVAILABLE: connection refused); retrying for up to 119 s more',
    ]);
    expect(budget.clock.t).toBe(40 + 500 + 1000 + 2000);
  });

  it('gives up when the budget is spent, naming what was unreachable and its last error', async () => {
    const budget = fakeBudget(30);
    const failing = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:27018'));
    await expect(retryStartupStep('MongoDB at mongodb://127.0.0.1:27018/psa_connector', failing, budget)).rejects.toThrow(
      /^MongoDB at mongodb:\/\/127\.0\.0\.1:27018\/psa_connector: still failing after 30 s \(\d+ attempts\): connect ECONNREFUSED 127\.0\.0\.1:27018$/,
    );
    expect(budget.clock.t).toBe(30_000); // the last pause is cut to what is left
    expect(budget.lines.length).toBeGreaterThan(3);
  });

  it('fails at once on what waiting cannot cure: refused credentials, an invalid request, our own bug', async () => {
    const denied = new ServiceError('Failed to describe schedule', { cause: grpcError(16, '16 UNAUTHENTICATED: bad API key') });
    const mongoAuth = Object.assign(new Error('Authentication failed.'), { name: 'MongoServerError', code: 18 });
    for (const err of [denied, grpcError(3, '3 INVALID_ARGUMENT: bad spec'), mongoAuth, new TypeError('x is not a function')]) {
      expect(isRetryableAtStartup(err)).toBe(false);
      const budget = fakeBudget(60);
      await expect(retryStartupStep('Temporal at t:1', () => Promise.reject(err), budget)).rejects.toThrow(`Temporal at t:1: ${startupErrorText(err)}`);
      expect(budget.lines).toEqual([]);
    }
    for (const err of [grpcError(14, 'UNAVAILABLE'), grpcError(4, 'DEADLINE_EXCEEDED'), new Error('Failed to connect before the deadline'), Object.assign(new Error('x'), { name: 'MongoServerSelectionError' })]) {
      expect(isRetryableAtStartup(err)).toBe(true);
    }
  });
});
