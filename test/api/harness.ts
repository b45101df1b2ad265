/**
 * The admin API over real parts for tests: FerretDB and the Temporal dev server from the jest
 * global setup, the ConnectWise and Autotask sandboxes in-process, the real store, gateways,
 * platform client and mapping service. No worker runs: tests see the workflows' signals in
 * their histories. Each file passes its own name (database, task queue and connection ids stay
 * apart from other files').
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Db, MongoClientOptions } from 'mongodb';
import type { MappingService } from '../../app/admin/mapping-service';
import { generateEncryptionKey, type Store } from '../../activities/store';
import { createAdminApi, type AdminApiDeps } from '../../client/http/admin-api';
import { parseOutboundAllowList } from '../../app/admin/outbound-policy';
import { createRuntime, type Runtime } from '../../runtime/runtime';
import type { Role } from '../../activities/store';
import { createUsageCountRepository } from '../../activities/seat-count/usage-counts';
import { createServiceCatalog } from '../../activities/sync/service-catalog.activities';
import { DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS, startAutotaskSandbox, type AutotaskSandbox } from '../../sandbox/autotask/server';
import { startConnectWiseSandbox, type ConnectWiseSandbox } from '../../sandbox/connectwise/server';
import { ensureSearchAttributes } from '../../worker/search-attributes';
import { testDbUrl, testServers } from '../setup/servers';

export interface Harness {
  /** The composition root this API is built from (runtime/runtime.ts); `rt.activities()` for a worker. */
  rt: Runtime;
  app: FastifyInstance;
  /** Where the API listens, e.g. http://127.0.0.1:40123. */
  url: string;
  service: MappingService;
  store: Store;
  db: Db;
  cw: ConnectWiseSandbox;
  at: AutotaskSandbox;
  temporal: Client;
  taskQueue: string;
  /** Lines the API reported through onError (must stay empty). */
  errors: string[];
  /** An admin token (the bootstrap token of this API); `request()` sends it unless told otherwise. */
  adminToken: string;
  /** What `createAdminApi` needs for tokens and audit, for tests that build their own app. */
  access: AdminApiDeps['access'];
  /** Creates a stored token of a role (optionally limited to connections); returns the token. */
  tokenFor(role: Role, connections?: string[]): Promise<string>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Also serve the operations routes (schedules, sync, notifications, seat count, catalog, reconciliation). */
  operations?: boolean;
  /** Wrong tokens per address before throttling (default: high, so tests are not throttled). */
  failureLimit?: number;
  /** OUTBOUND_ALLOWLIST of the mapping service (default "127.0.0.1": the sandboxes). */
  outboundAllowList?: string;
  /** Extra options of the API's MongoDB client (e.g. `monitorCommands` to count its round trips). */
  mongoOptions?: MongoClientOptions;
}

export async function startHarness(name: string, options: HarnessOptions = {}): Promise<Harness> {
  const servers = testServers();
  const taskQueue = `${name}-${Date.now()}`;
  const rt = await createRuntime(
    {
      mongoUrl: testDbUrl(servers.mongoUrl, name),
      secretsKey: generateEncryptionKey(),
      temporal: { address: servers.temporalAddress, namespace: 'default', taskQueue },
      // No worker runs here: messages are queued after a short wait (what `queued` means is tested with workers elsewhere).
      messageAcceptTimeoutMs: 300,
      // The sandboxes listen on 127.0.0.1, which connections may reach only when allow-listed.
      outboundAllowList: parseOutboundAllowList(options.outboundAllowList ?? '127.0.0.1'),
      ...(options.mongoOptions ? { mongoOptions: options.mongoOptions } : {}),
    },
    { onTemporal: (connection) => ensureSearchAttributes(connection, 'default') },
  );
  const { store, db, mongo, gateways, temporal, connection } = rt;
  const [cw, at] = await Promise.all([
    startConnectWiseSandbox({ seed: 'demo', rateLimit: { limit: 0, windowMs: 10_000 } }),
    startAutotaskSandbox({ seed: 'demo' }),
  ]);
  const service = rt.mappingService({ stateQueryTimeoutMs: 1_000 });
  const errors: string[] = [];
  const adminToken = `bootstrap-${randomUUID()}-${randomUUID()}`;
  // A high failure limit: tests send many wrong tokens on purpose (throttling has its own test).
  const access: AdminApiDeps['access'] = { tokens: store.tokens, audit: store.audit, bootstrapToken: adminToken, failureLimit: options.failureLimit ?? 10_000 };
  const operations: AdminApiDeps['operations'] = options.operations
    ? {
        temporal, taskQueue, store, usage: createUsageCountRepository(db),
        catalog: createServiceCatalog({ store, gateways, db }),
        schedules: { taskQueue, idPrefix: `${name}-${Date.now()}/` },
      }
    : undefined;
  const app = createAdminApi({ service, store, access, ...(operations ? { operations } : {}), onError: (e, route) => errors.push(`${route}: ${e instanceof Error ? e.stack : String(e)}`) });
  // Over real HTTP: fastify's inject() pulls in an ESM-only module jest cannot load.
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    rt,
    app,
    url,
    service,
    store,
    db,
    cw,
    at,
    temporal,
    taskQueue,
    errors,
    adminToken,
    access,
    async tokenFor(role, connections) {
      return (await store.tokens.create({ name: `${role}-${randomUUID().slice(0, 8)}`, role, ...(connections ? { connections } : {}) }, 'test')).token;
    },
    async close() {
      await app.close();
      await Promise.all([cw.close(), at.close()]);
      await connection.close();
      await mongo.close();
    },
  };
}

/** A ConnectWise connection body for the sandbox (secret = the private key). */
export const cwConnection = (h: Harness, id: string, secret = h.cw.credentials.privateKey) => ({
  id,
  psa: 'connectwise',
  name: `ConnectWise ${id}`,
  settings: { baseUrl: h.cw.apiUrl, companyId: h.cw.credentials.companyId, publicKey: h.cw.credentials.publicKey, clientId: h.cw.credentials.clientId },
  secret,
});

/** An Autotask connection body for the sandbox. */
export const atConnection = (h: Harness, id: string, secret = DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS.secret) => ({
  id,
  psa: 'autotask',
  name: `Autotask ${id}`,
  settings: { discoveryUrl: h.at.url, username: DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS.username, integrationCode: DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS.integrationCode },
  secret,
});

/** Platform records matching the sandboxes' demo seeds. */
export const demoCustomers = [
  { id: 'c-acme', name: 'Acme Ltd.', city: 'Leeds' },
  { id: 'c-globex', name: 'Globex Corp', city: 'Springfield' },
  { id: 'c-initech', name: 'Initech', city: 'Austin' },
  { id: 'c-umbrella', name: 'Umbrella Health', city: 'Berlin' },
  { id: 'c-new', name: 'Brand New Customer Inc', city: 'Paris' },
];
export const demoProducts = [
  { id: 'p-m365bp', name: 'Microsoft 365 Business Premium', partNumber: 'M365-BP', provider: 'Microsoft CSP', unitPrice: '22.00', unitCost: '18.70', billingFrequency: 'monthly' },
  { id: 'p-e3', name: 'Microsoft 365 E3', partNumber: 'M365-E3', provider: 'Microsoft CSP', unitPrice: '36.00', unitCost: '30.60', billingFrequency: 'monthly' },
  { id: 'p-backup', name: 'Cloud Backup Yearly', partNumber: 'BKP-Y-01', provider: 'Acronis', unitPrice: '96.00', unitCost: '72.00', billingFrequency: 'yearly' },
];

/** A subscription report body. */
export const report = (id: string, customerId: string, productId: string, extra: Record<string, unknown> = {}) => ({
  customerId,
  subscription: {
    id,
    productId,
    quantity: 10,
    unitPrice: '22.00',
    unitCost: '18.70',
    startDate: '2026-03-01',
    endDate: '2027-02-28',
    billingFrequency: 'monthly',
    autoRenew: true,
    ...extra,
  },
});

/** Names of the signals a workflow has received, in order. */
/**
 * The messages a subscription workflow received, in order: `report`, `placement`, `event` …
 * whether a worker accepted them as Updates or they were queued with a signal (no worker ran).
 */
export async function messagesOf(temporal: Client, workflowId: string): Promise<string[]> {
  const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
  const updates: Record<string, string> = { platformEvent: 'event', report: 'report', placement: 'placement' };
  return (history.events ?? []).flatMap((e) => {
    const signal = e.workflowExecutionSignaledEventAttributes;
    if (signal?.signalName === 'queuedMessage') {
      const [message] = (signal.input?.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload<{ kind: string; payload: { placement?: unknown } }>(p));
      return [message!.kind === 'placement' && message!.payload.placement === null ? 'unplacement' : message!.kind];
    }
    const name = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
    return name ? [updates[name] ?? name] : [];
  });
}

export interface ApiAnswer {
  status: number;
  /** The parsed JSON body ({} when empty). */
  body: Record<string, any>;
  /** The raw body, for "no secret in any answer" checks. */
  text: string;
  headers: Headers;
}

/**
 * One request to the API with the admin token (or `token`; null sends none); JSON in, JSON
 * out. `raw` sends the string as is (bad JSON tests).
 */
export async function request(h: Harness, method: string, path: string, payload?: unknown, raw?: string, token: string | null = h.adminToken, extraHeaders: Record<string, string> = {}): Promise<ApiAnswer> {
  const body = raw ?? (payload === undefined ? undefined : JSON.stringify(payload));
  const headers: Record<string, string> = { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}), ...extraHeaders };
  const res = await fetch(`${h.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : {}, text, headers: res.headers };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `psa-connector` bin as a child process (never blocking this process, where
 * the API it calls lives), against `env.PSA_CONNECTOR_API` with `env.PSA_CONNECTOR_TOKEN`. No
 * config file of the machine is read. `input` goes to its stdin.
 */
export function runCli(args: string[], env: Record<string, string | undefined>, input = ''): Promise<CliRun> {
  const root = join(__dirname, '..', '..');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'client', 'bin', 'psa-connector.js'), ...args], {
      cwd: root,
      env: { ...process.env, PSA_CONNECTOR_CONFIG: join(root, '.data', 'no-such-cli-config.json'), ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
