/**
 * docker-compose.yml as an MSP deploys it: checked with `config` by both Compose
 * implementations (v1 1.29 from PyPI, v2 built from the Go module proxy), which the project
 * installs itself into .tools/ (scripts/install-compose.sh) — no skip. Then what it publishes:
 * only the admin API (127.0.0.1 unless API_BIND says otherwise) and, with `--profile ui`, the
 * Temporal UI on 127.0.0.1; and no default password anywhere.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { allSearchAttributes } from '../../workflows/search-attributes';

const root = path.resolve(__dirname, '../..');
const composeFile = readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
const tool = (name: string) => path.join(root, '.tools', 'bin', name);
const REQUIRED = {
  SECRETS_KEY: Buffer.alloc(32, 1).toString('base64'),
  MONGO_PASSWORD: 'mongo-test-password',
  TEMPORAL_DB_PASSWORD: 'pg-test-password',
  SMTP_URL: 'smtp://relay.example.com:587',
};
// Nothing from this machine's environment leaks into the check.
const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !(k in REQUIRED) && !k.startsWith('COMPOSE_') && k !== 'API_BIND'));

function config(bin: string, args: string[], env: Record<string, string | undefined>) {
  return spawnSync(tool(bin), ['-f', 'docker-compose.yml', '-p', 'psa-connector', ...args], { cwd: root, env: { ...cleanEnv(), ...env } as NodeJS.ProcessEnv, encoding: 'utf8' });
}

interface ServiceConfig {
  ports?: Array<{ host_ip?: string; published?: string; target: number }>;
  environment?: Record<string, string>;
  profiles?: string[];
}

describe('docker-compose.yml (production)', () => {
  beforeAll(() => {
    // Idempotent; prints its progress; the first run builds Compose v2 (a few minutes).
    execFileSync('bash', ['scripts/install-compose.sh'], { cwd: root, stdio: 'inherit' });
  }, 1_200_000);

  it.each([['docker-compose-v1'], ['docker-compose-v2']])('%s accepts it (`config`)', (bin) => {
    const res = config(bin, ['config', '-q'], REQUIRED);
    expect({ status: res.status, stderr: res.stderr.trim() }).toEqual({ status: 0, stderr: '' });
  });

  it.each([['docker-compose-v1'], ['docker-compose-v2']])('%s refuses it without each password and key: no defaults', (bin) => {
    for (const name of Object.keys(REQUIRED)) {
      const res = config(bin, ['config', '-q'], { ...REQUIRED, [name]: undefined });
      expect([name, res.status === 0, res.stderr]).toEqual([name, false, expect.stringContaining(name)]);
    }
  });

  it('publishes only the admin API (loopback by default) and, with --profile ui, the Temporal UI on 127.0.0.1', () => {
    const resolved = (args: string[], env: Record<string, string> = {}) => {
      const res = config('docker-compose-v2', [...args, 'config', '--format', 'json'], { ...REQUIRED, ...env });
      expect(res.stderr).toBe('');
      return JSON.parse(res.stdout) as { services: Record<string, ServiceConfig> };
    };
    const published = (services: Record<string, ServiceConfig>) =>
      Object.entries(services).flatMap(([name, s]) => (s.ports ?? []).map((p) => `${name} ${p.host_ip ?? '0.0.0.0'}:${p.published}->${p.target}`)).sort();

    const base = resolved([]);
    expect(published(base.services)).toEqual(['connector-api 127.0.0.1:8080->8080']);
    expect(base.services['temporal-ui']).toBeUndefined();
    expect(published(resolved(['--profile', 'ui']).services)).toEqual(['connector-api 127.0.0.1:8080->8080', 'temporal-ui 127.0.0.1:8233->8080']);
    expect(published(resolved([], { API_BIND: '0.0.0.0', API_PORT: '9443' }).services)).toEqual(['connector-api 0.0.0.0:9443->8080']);

    const api = base.services['connector-api']!.environment!;
    expect(api.MONGO_URL).toBe('mongodb://psa_connector:mongo-test-password@mongo:27017/psa_connector?authSource=admin');
    expect(base.services.mongo!.environment).toMatchObject({ MONGO_INITDB_ROOT_USERNAME: 'psa_connector', MONGO_INITDB_ROOT_PASSWORD: 'mongo-test-password' });
    expect(base.services['temporal-db']!.environment).toMatchObject({ POSTGRES_PASSWORD: 'pg-test-password' });
  });

  it('has no top-level name (Compose v1 rejects it) and registers every search attribute the workflows use', () => {
    expect(composeFile).not.toMatch(/^name:/m);
    for (const key of allSearchAttributes) expect(composeFile).toContain(key.name);
  });
});
