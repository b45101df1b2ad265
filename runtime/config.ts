/**
 * Process configuration from the environment, validated once at start-up. A bad value stops
 * the process with one line naming the variable (see `loadConfig`). Every variable, its
 * default and meaning is listed in the README's configuration table.
 */
import { z } from 'zod';
import { parseOutboundAllowList } from '../app/admin/outbound-policy';

const port = (dflt: number) =>
  z.coerce
    .number({ invalid_type_error: 'must be a port number' })
    .int('must be a whole number')
    .min(1, 'must be between 1 and 65535')
    .max(65535, 'must be between 1 and 65535')
    .default(dflt);

const hostPort = z
  .string()
  .regex(/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:7233');

const mongoUrl = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return (u.protocol === 'mongodb:' || u.protocol === 'mongodb+srv:') && u.hostname.length > 0;
  } catch {
    return false;
  }
}, 'must be a mongodb:// or mongodb+srv:// URL with a host, e.g. mongodb://127.0.0.1:27018/psa_connector');

const smtpUrl = z.string().refine((s) => {
  try {
    return ['smtp:', 'smtps:'].includes(new URL(s).protocol);
  } catch {
    return false;
  }
}, 'must be an smtp:// or smtps:// URL, e.g. smtp://user:pass@mail.example.com:587');

const secretsKey = z
  .string()
  .refine((s) => Buffer.from(s, 'base64').length === 32 && /^[A-Za-z0-9+/]+=*$/.test(s), 'must be 32 random bytes in base64 (e.g. `openssl rand -base64 32`)');

/** Comma list of hosts, IPs or CIDRs (optionally :port) a connection URL may reach although internal. */
const outboundAllowList = z.string().transform((s, ctx) => {
  try {
    return parseOutboundAllowList(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `has a bad entry: ${(e as Error).message}` });
    return z.NEVER;
  }
});

export { port as portSchema };

/** A whole number within bounds, named in the message (worker tuning). */
const wholeIn = (min: number, max: number) =>
  z.coerce
    .number({ invalid_type_error: `must be a whole number ${min}–${max}` })
    .int(`must be a whole number ${min}–${max}`)
    .min(min, `must be ${min}–${max}`)
    .max(max, `must be ${min}–${max}`);

export const configSchema = z.object({
  TEMPORAL_ADDRESS: hostPort.default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('psa-connector'),
  MONGO_URL: mongoUrl.default('mongodb://127.0.0.1:27018/psa_connector?directConnection=true&serverSelectionTimeoutMS=5000'),
  SMTP_URL: smtpUrl.default('smtp://127.0.0.1:2525'),
  MAIL_FROM: z.string().min(3).default('psa-connector <connector@localhost>'),
  SECRETS_KEY: secretsKey,
  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: port(8080),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** §8 daily digest hour, UTC (schedule `notification-digest/<connection>`); docs/operations.md. */
  NOTIFICATION_DIGEST_HOUR_UTC: z.coerce.number({ invalid_type_error: 'must be an hour 0–23' }).int('must be a whole hour').min(0, 'must be 0–23').max(23, 'must be 0–23').default(7),
  /** §7 daily seat-count hour, UTC (schedule `seat-count/<connection>`). */
  SEAT_COUNT_HOUR_UTC: z.coerce.number({ invalid_type_error: 'must be an hour 0–23' }).int('must be a whole hour').min(0, 'must be 0–23').max(23, 'must be 0–23').default(1),
  /** Prepended to our schedule ids, to keep deployments sharing one namespace apart. */
  SCHEDULE_ID_PREFIX: z.string().regex(/^[A-Za-z0-9._/-]*$/, 'may hold only letters, digits and . _ / -').default(''),
  /** Apply the schedules the connections imply when the worker starts ("true"/"false"). */
  APPLY_SCHEDULES_ON_START: z.enum(['true', 'false'], { errorMap: () => ({ message: 'must be "true" or "false"' }) }).default('true'),
  /** An admin token accepted without being stored (the first one; docs/security.md). */
  ADMIN_BOOTSTRAP_TOKEN: z.string().min(32, 'must be at least 32 characters (e.g. `openssl rand -base64 32`)').max(512, 'must be at most 512 characters').optional(),
  /**
   * How long the admin API waits for a worker to accept an event, report or mapping before it
   * queues it durably and answers `queued` (README "Exactly once").
   */
  MESSAGE_ACCEPT_TIMEOUT_MS: z.coerce.number({ invalid_type_error: 'must be a number of milliseconds' }).int('must be whole milliseconds').min(100, 'must be at least 100').max(120_000, 'must be at most 120000').default(10_000),
  /** Internal hosts / networks connection URLs may reach (docs/security.md); default none. */
  OUTBOUND_ALLOWLIST: outboundAllowList.default(''),
  /** The Temporal Web UI the console links workflows to (docs/console.md); none by default. */
  TEMPORAL_UI_URL: z.string().url('must be a URL such as http://127.0.0.1:8233').refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL').optional(),
  /** Mark the console's session cookie Secure: set "true" when a TLS proxy fronts the API (docs/console.md). */
  CONSOLE_SECURE_COOKIE: z.enum(['true', 'false'], { errorMap: () => ({ message: 'must be "true" or "false"' }) }).default('false'),
  // ---- worker tuning (docs/worker-tuning.md) ----
  /** Workflow tasks one worker process runs at once (Temporal's maxConcurrentWorkflowTaskExecutions). */
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: wholeIn(2, 1000).default(40),
  /** Activities one worker process runs at once — PSA steps, reconciliation pages, syncs (maxConcurrentActivityTaskExecutions). */
  WORKER_MAX_CONCURRENT_ACTIVITIES: wholeIn(1, 2000).default(100),
  /** Workflows kept in one worker's memory between tasks (maxCachedWorkflows); default: sized by Temporal from the memory. */
  WORKER_MAX_CACHED_WORKFLOWS: wholeIn(0, 1_000_000).optional(),
  /** Activities started per second by the whole task queue, every worker together (maxTaskQueueActivitiesPerSecond); default: no cap. */
  TASK_QUEUE_MAX_ACTIVITIES_PER_SECOND: z.coerce
    .number({ invalid_type_error: 'must be a number of activities per second' })
    .positive('must be more than 0')
    .max(10_000, 'must be at most 10000')
    .optional(),
  /** Autotask requests in flight per endpoint from one process (Autotask allows 3 per integration and endpoint, every process together). */
  AUTOTASK_THREADS_PER_ENDPOINT: wholeIn(1, 3).default(3),
});

/** Checks between variables, each reported on the variable to change. */
const checkedConfigSchema = configSchema.superRefine((c, ctx) => {
  const cache = c.WORKER_MAX_CACHED_WORKFLOWS;
  if (cache !== undefined && cache > 0 && cache < c.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS) {
    ctx.addIssue({
      code: 'custom',
      path: ['WORKER_MAX_CACHED_WORKFLOWS'],
      message: `must be 0 (no cache) or at least WORKER_MAX_CONCURRENT_WORKFLOW_TASKS (${c.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS}): a workflow task runs on a cached workflow`,
    });
  }
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

/** Parses the environment; throws a ConfigError whose message is one line per bad variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const trimmed = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const res = checkedConfigSchema.safeParse(trimmed);
  if (res.success) return res.data;
  const lines = res.error.issues.map((i) => {
    const name = String(i.path[0] ?? '?');
    const got = trimmed[name];
    const reason = i.code === 'invalid_type' && got === undefined ? 'is required' : i.message;
    // Never echo secret values back.
    const shown = got === undefined || /KEY|SECRET|TOKEN|PASSWORD/.test(name) ? '' : ` (got "${got}")`;
    return `Configuration error: ${name} ${reason}${shown}`;
  });
  throw new ConfigError(lines.join('\n'));
}

/** For process entry points: parse, or print the problem and exit 1. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  try {
    return parseConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}
