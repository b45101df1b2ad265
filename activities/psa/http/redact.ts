/**
 * Secret scrubbing. Clients register every credential form they send (raw keys and the whole
 * Authorization value); anything a server echoes back is passed through `redact` before it
 * reaches a PsaError or a log line.
 */
export type Redactor = (text: string) => string;

export const REDACTED = '[redacted]';

export function createRedactor(secrets: readonly (string | undefined)[]): Redactor {
  // Longest first, so a Basic value is replaced whole before the key inside it.
  const list = [...new Set(secrets.filter((s): s is string => !!s && s.length >= 4))].sort((a, b) => b.length - a.length);
  return (text) => list.reduce((t, s) => t.split(s).join(REDACTED), text);
}

/** `/a/b?user=x` → `/a/b`: query strings may carry user names and filter values. */
export function pathOnly(urlOrPath: string): string {
  const noQuery = urlOrPath.split('?')[0] ?? '';
  return noQuery.replace(/^[a-z]+:\/\/[^/]+/i, '') || '/';
}
