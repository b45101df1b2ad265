/**
 * Start-up against servers that may still be starting (a fresh `npm start`, a container
 * orchestrator starting everything at once): each step is retried with a growing pause and one
 * progress line per failed attempt, within one overall budget, then fails with one line naming
 * what was unreachable and its last error. Errors that waiting cannot cure (bad credentials,
 * a request the server calls invalid, our own bugs) fail at once.
 */
import { isGrpcServiceError, ServiceError } from '@temporalio/client';

/**
 * gRPC answers that mean "wrong request or credentials", not "not ready yet": INVALID_ARGUMENT 3,
 * ALREADY_EXISTS 6, PERMISSION_DENIED 7, UNIMPLEMENTED 12, UNAUTHENTICATED 16.
 */
const PERMANENT_GRPC = new Set<number>([3, 6, 7, 12, 16]);
/** MongoDB server error codes for refused credentials (AuthenticationFailed, Unauthorized). */
const PERMANENT_MONGO = new Set<number>([18, 13]);

/** The gRPC status code of an error or of the error it wraps (the SDK's ServiceError), if any. */
function grpcCodeOf(err: unknown): number | undefined {
  if (isGrpcServiceError(err)) return err.code;
  if (err instanceof ServiceError && isGrpcServiceError(err.cause)) return err.cause.code;
  return undefined;
}

/** False for errors that no amount of waiting cures; true for everything a starting server says. */
export function isRetryableAtStartup(err: unknown): boolean {
  if (err instanceof TypeError || err instanceof SyntaxError || err instanceof RangeError) return false;
  const code = grpcCodeOf(err);
  if (code !== undefined && PERMANENT_GRPC.has(code)) return false;
  const mongoCode = (err as { name?: string; code?: unknown }).name === 'MongoServerError' ? (err as { code?: unknown }).code : undefined;
  if (typeof mongoCode === 'number' && PERMANENT_MONGO.has(mongoCode)) return false;
  return true;
}

/** One line: the error's message and that of the gRPC error it wraps ("Failed to describe schedule: 14 UNAVAILABLE: …"). */
export function startupErrorText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined;
  return (cause && !message.includes(cause) ? `${message}: ${cause}` : message).split('\n')[0]!;
}

export interface StartupBudget {
  /** When the whole start-up gives up (epoch ms). */
  deadline: number;
  /** The budget in seconds, for messages. */
  seconds: number;
  log: (line: string) => void;
  /** Injected in tests. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export function startupBudget(seconds: number, log: (line: string) => void, now: () => number = Date.now): StartupBudget {
  return { deadline: now() + seconds * 1000, seconds, log, now };
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `step` until it succeeds. `what` names the server or the step for the messages ("MongoDB
 * at mongodb://…", "Temporal at 127.0.0.1:7233"). Pauses 0.5 s, 1 s, 2 s… up to 5 s between attempts.
 */
export async function retryStartupStep<T>(what: string, step: () => Promise<T>, budget: StartupBudget): Promise<T> {
  const now = budget.now ?? Date.now;
  const sleep = budget.sleep ?? realSleep;
  for (let attempt = 1, pause = 500; ; attempt++, pause = Math.min(pause * 2, 5_000)) {
    try {
      return await step();
    } catch (err) {
      const why = startupErrorText(err);
      if (!isRetryableAtStartup(err)) throw new Error(`${what}: ${why}`);
      const left = budget.deadline - now();
      if (left <= 0) throw new Error(`${what}: still failing after ${budget.seconds} s (${attempt} attempts): ${why}`);
      budget.log(`${what}: attempt ${attempt} failed (${why}); retrying for up to ${Math.ceil(left / 1000)} s more`);
      await sleep(Math.min(pause, left));
    }
  }
}
