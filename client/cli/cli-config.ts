/**
 * Where the CLI finds the admin API and its token: flags and the environment first
 * (`--api`, PSA_CONNECTOR_API, PSA_CONNECTOR_TOKEN), then a config file — PSA_CONNECTOR_CONFIG,
 * else `$XDG_CONFIG_HOME/psa-connector/config.json` (`~/.config/…`) — holding
 * `{ "api": "https://…", "token": "psat_…" }`. The token is never a flag: flags end up in
 * shell history and process lists. A config file others can read gets a warning.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_API_URL, invalidInput } from './api-client';

const ConfigFileSchema = z
  .object({
    api: z.string().url('must be a URL such as http://127.0.0.1:8080').optional(),
    token: z.string().min(1, 'must not be empty').optional(),
  })
  .strict();

export function configFilePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PSA_CONNECTOR_CONFIG) return env.PSA_CONNECTOR_CONFIG;
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'psa-connector', 'config.json');
}

function readConfigFile(file: string): z.infer<typeof ConfigFileSchema> {
  if (!existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (e) {
    throw invalidInput({ path: file, message: `is not valid JSON: ${(e as Error).message}` });
  }
  const res = ConfigFileSchema.safeParse(parsed);
  if (!res.success) throw invalidInput(...res.error.issues.map((i) => ({ path: `${file}: ${i.path.join('.')}`, message: i.message })));
  if (res.data.token && process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) {
    process.stderr.write(`psa-connector: warning: ${file} holds a token and others can read it; chmod 600 ${file}\n`);
  }
  return res.data;
}

export interface CliSettings {
  api: string;
  token?: string;
  /** Where the token came from, for messages ("PSA_CONNECTOR_TOKEN", a file path). */
  tokenSource?: string;
}

/** The API base URL and token the commands use. */
export function cliSettings(apiFlag: string | undefined, env: NodeJS.ProcessEnv = process.env): CliSettings {
  const file = configFilePath(env);
  const fromFile = env.PSA_CONNECTOR_TOKEN && (apiFlag || env.PSA_CONNECTOR_API) ? {} : readConfigFile(file);
  const api = (apiFlag || env.PSA_CONNECTOR_API || fromFile.api || DEFAULT_API_URL).replace(/\/+$/, '');
  if (env.PSA_CONNECTOR_TOKEN) return { api, token: env.PSA_CONNECTOR_TOKEN, tokenSource: 'PSA_CONNECTOR_TOKEN' };
  return fromFile.token ? { api, token: fromFile.token, tokenSource: file } : { api };
}
