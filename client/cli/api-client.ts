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

/** The API base: --api, else PSA_CONNECTOR_API, else the default. */
export function apiBase(flag: string | undefined): string {
  return (flag ?? process.env.PSA_CONNECTOR_API ?? DEFAULT_API_URL).replace(/\/+$/, '');
}

function why(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
}

export interface Api {
  call<T = unknown>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T>;
}

export function createApi(base: string): Api {
  return {
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, {
          method,
          ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
          signal: AbortSignal.timeout(120_000),
        });
      } catch (e) {
        throw new CliFailure(
          [`psa-connector: cannot reach the admin API at ${base} (${why(e)}); start it with \`npm run api\`, or point --api / PSA_CONNECTOR_API at it`],
          EXIT_FAILED,
        );
      }
      const text = await res.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : {};
      } catch {
        throw new CliFailure([`psa-connector: ${base} answered HTTP ${res.status} with something other than JSON; is it the psa-connector admin API?`], EXIT_FAILED);
      }
      if (res.ok) return json as T;
      const err = json as { error?: string; problems?: Problem[] };
      if (res.status === 400 && Array.isArray(err.problems)) throw new CliFailure(err.problems.map(problemLine), EXIT_INVALID);
      throw new CliFailure([`psa-connector: ${err.error ?? `HTTP ${res.status}`}`], EXIT_FAILED);
    },
  };
}
