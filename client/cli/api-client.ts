/**
 * How CLI commands reach the admin HTTP API (one implementation of every operation: the CLI
 * never touches the database or a PSA itself). Failures become CliFailure: exit 2 with one
 * "field path: reason" line per problem for bad input, exit 1 with one line otherwise.
 */
import { problemLine, type Problem } from '../../domain/problems';

export const DEFAULT_API_URL = 'http://127.0.0.1:8080';
export const EXIT_FAILED = 1;
export const EXIT_INVALID = 2;

/** What a command prints to stderr and exits with. */
export class CliFailure extends Error {
  constructor(
    readonly lines: string[],
    readonly exitCode: number,
  ) {
    super(lines.join('\n'));
    this.name = 'CliFailure';
  }
}

/** Bad input found by the CLI itself (exit 2). */
export const invalidInput = (...problems: Problem[]): CliFailure => new CliFailure(problems.map(problemLine), EXIT_INVALID);

function why(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
}

export interface Api {
  call<T = unknown>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T>;
  /** A GET whose answer is not JSON (CSV): the text as sent. */
  download(path: string): Promise<string>;
}

export interface ApiTarget {
  api: string;
  token?: string;
  /** Where the token came from, named when the API refuses it. */
  tokenSource?: string;
}

function failure(res: Response, text: string, target: ApiTarget): CliFailure {
  let err: { error?: string; problems?: Problem[] };
  try {
    err = JSON.parse(text || '{}') as typeof err;
  } catch {
    return new CliFailure([`psa-connector: ${target.api} answered HTTP ${res.status} with something other than JSON; is it the psa-connector admin API?`], EXIT_FAILED);
  }
  if (res.status === 400 && Array.isArray(err.problems)) return new CliFailure(err.problems.map(problemLine), EXIT_INVALID);
  const line = `psa-connector: ${err.error ?? `HTTP ${res.status}`}`;
  if (res.status !== 401) return new CliFailure([line], EXIT_FAILED);
  const hint = target.token
    ? `the token from ${target.tokenSource} was refused; ask an admin for a new one (psa-connector tokens create)`
    : 'set PSA_CONNECTOR_TOKEN, or "token" in the config file (client/cli/README.md)';
  return new CliFailure([`${line} — ${hint}`], EXIT_FAILED);
}

export function createApi(target: ApiTarget): Api {
  async function send(method: string, path: string, body?: unknown): Promise<{ res: Response; text: string }> {
    const headers: Record<string, string> = {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
    };
    let res: Response;
    try {
      res = await fetch(`${target.api}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(120_000) });
    } catch (e) {
      throw new CliFailure(
        [`psa-connector: cannot reach the admin API at ${target.api} (${why(e)}); start it with \`npm run api\`, or point --api / PSA_CONNECTOR_API at it`],
        EXIT_FAILED,
      );
    }
    return { res, text: await res.text() };
  }
  return {
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      const { res, text } = await send(method, path, body);
      if (!res.ok) throw failure(res, text, target);
      try {
        return (text ? JSON.parse(text) : {}) as T;
      } catch {
        throw new CliFailure([`psa-connector: ${target.api} answered HTTP ${res.status} with something other than JSON; is it the psa-connector admin API?`], EXIT_FAILED);
      }
    },
    async download(path) {
      const { res, text } = await send('GET', path);
      if (!res.ok) throw failure(res, text, target);
      return text;
    },
  };
}
