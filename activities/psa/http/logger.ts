/**
 * The logging surface the PSA clients need. Structurally compatible with Temporal's `Logger`
 * (activity `log`), so activities pass theirs in; tests pass a capturing one.
 */
export type LogMeta = Record<string, unknown>;

export interface Logger {
  debug(message: string, meta?: LogMeta): void;
  info(message: string, meta?: LogMeta): void;
  warn(message: string, meta?: LogMeta): void;
  error(message: string, meta?: LogMeta): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
