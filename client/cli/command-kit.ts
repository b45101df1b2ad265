/**
 * Small helpers every admin command shares: the global --api option, the connection option,
 * running an action (print JSON, or the failure's lines and exit code), option parsing.
 */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { CliFailure, createApi, EXIT_FAILED, invalidInput, type Api } from './api-client';
import { cliSettings } from './cli-config';

/** `-c, --connection <id>`, or PSA_CONNECTOR_CONNECTION. */
export const connectionOption = () =>
  new Option('-c, --connection <id>', 'PSA connection id').env('PSA_CONNECTOR_CONNECTION').makeOptionMandatory();

/** Runs `fn` with an API client; prints its result as JSON, or the failure (exit 2 bad input, 1 otherwise). */
export function action<A extends unknown[]>(fn: (api: Api, ...args: A) => Promise<unknown>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const command = args[args.length - 1] as Command;
    try {
      const api = createApi(cliSettings(command.optsWithGlobals<{ api?: string }>().api));
      const out = await fn(api, ...args);
      if (out !== undefined) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    } catch (e) {
      if (!(e instanceof CliFailure)) throw e;
      process.stderr.write(e.lines.map((l) => `${l}\n`).join(''));
      process.exitCode = e.exitCode;
    }
  };
}

/** A positive whole number from a flag, or an exit-2 problem naming the flag. */
export function wholeNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw invalidInput({ path: flag, message: `must be a positive whole number (got ${value})` });
  return Number(value);
}

/** `on`/`off` (also true/false, yes/no). */
export function onOff(flag: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (['on', 'true', 'yes'].includes(v)) return true;
  if (['off', 'false', 'no'].includes(v)) return false;
  throw invalidInput({ path: flag, message: `must be on or off (got ${value})` });
}

/** A comma list. */
export const list = (value: string | undefined): string[] | undefined => value?.split(',').map((s) => s.trim()).filter(Boolean);

/** A file's text (`-` = stdin), or an exit-2 problem naming it. */
export function readText(file: string, what: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw invalidInput({ path: what, message: `cannot read ${file}: ${(e as Error).message}` });
  }
}

/** JSON from a file (`-` = stdin; or its `text` already read), or an exit-2 problem naming the file. */
export function readJson(file: string, what: string, text: string = readText(file, what)): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw invalidInput({ path: what, message: `${file} is not valid JSON: ${(e as Error).message}` });
  }
}

/**
 * A secret from stdin (when its flag is given) or the environment, never from a flag value:
 * flags end up in shell history and process lists. The trailing newline of `echo` is dropped.
 */
export function readSecret(fromStdin: boolean, envName: string, flag: string): string {
  if (fromStdin) {
    const text = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
    if (!text) throw invalidInput({ path: flag, message: 'stdin was empty; pipe the secret in' });
    return text;
  }
  const env = process.env[envName];
  if (env) return env;
  throw invalidInput({ path: flag, message: `is required: pipe the secret in with ${flag}, or set ${envName}` });
}

/** Path segment encoding for record ids. */
export const seg = (id: string) => encodeURIComponent(id);

export { CliFailure, EXIT_FAILED };
