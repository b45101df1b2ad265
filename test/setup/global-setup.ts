/**
 * Starts the real servers the integration tests use, on free ports, once per jest run:
 * Temporal dev server (in-memory), FerretDB (temp SQLite dir), and the SMTP sink. The native
 * time-skipping test server is started per test file by @temporalio/testing from its path.
 * Only the `integration` test level needs them (jest.config.js).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFerretDb } from '../../sandbox/stack/ferretdb';
import { freePort } from '../../sandbox/stack/ports';
import { startTemporalDevServer } from '../../sandbox/stack/temporal-dev-server';
import { startSmtpSink } from '../../sandbox/smtp-sink/smtp-sink';
import workflowSetup from './workflow-setup';

export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'psa-connector-test-'));
  const started = Date.now();
  const [temporal, ferret, sink] = await Promise.all([
    freePort().then((port) => startTemporalDevServer({ port, logFile: path.join(dir, 'temporal.log') })),
    freePort().then((port) => startFerretDb({ port, dataDir: path.join(dir, 'ferretdb'), logFile: path.join(dir, 'ferretdb.log') })),
    Promise.all([freePort(), freePort()]).then(([smtpPort, httpPort]) => startSmtpSink({ smtpPort, httpPort })),
  ]);
  // Bundled once per run (shared with the workflow level): every test worker loads it.
  await workflowSetup();
  (globalThis as Record<string, unknown>).__psaTestServers = { temporal, ferret, sink, dir };
  process.env.TEST_TEMPORAL_ADDRESS = temporal.address;
  process.env.TEST_MONGO_URL = ferret.url;
  process.env.TEST_SMTP_URL = sink.smtpUrl;
  process.env.TEST_SMTP_API_URL = sink.apiUrl;
  process.env.TEST_SERVERS_DIR = dir;
  console.log(`\n[test servers] Temporal ${temporal.address}, FerretDB ${ferret.url}, SMTP ${sink.smtpUrl} — up in ${Date.now() - started} ms (logs: ${dir})`);
}
