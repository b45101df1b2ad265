import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { allSearchAttributes } from '../../workflows/search-attributes';

const root = path.resolve(__dirname, '../..');
const compose = readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
const hasCompose = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0;

describe('docker-compose.yml (production)', () => {
  (hasCompose ? it : it.skip)('passes `docker compose config`', () => {
    execFileSync('docker', ['compose', '-f', 'docker-compose.yml', 'config', '--quiet'], {
      cwd: root,
      env: { ...process.env, SECRETS_KEY: Buffer.alloc(32).toString('base64') },
    });
  });
  if (!hasCompose) console.log('skipped `docker compose config`: this machine\'s docker CLI has no compose plugin');

  it('registers every search attribute the workflows use', () => {
    for (const key of allSearchAttributes) expect(compose).toContain(key.name);
  });

  it('runs every part of the production stack', () => {
    for (const service of ['temporal:', 'temporal-ui:', 'temporal-db:', 'mongo:', 'mailpit:', 'connector-worker:', 'connector-api:']) {
      expect(compose).toContain(`\n  ${service}`);
    }
  });
});
