/**
 * No payload of a reconciliation run grows with the month (issue 15): the run and its chunks on
 * the time-skipping server with typed mocked activities (no database, no PSA), at 1,000 and at
 * 4,000 subscriptions. The run's state query, result, continue-as-new input (its state) and every
 * payload in its history stay the same size but for one short line per chunk; a chunk's largest
 * payload is bounded by the chunk, not the month.
 */
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { ReconciliationActivities } from '../../activities/reconciliation/reconciliation.activities';
import { CHUNK_SIZE, reconciliationChunkWorkflowId, reconciliationWorkflowId, type ReconciliationFacts, type ReconciliationRunState } from '../../contracts/reconciliation';
import { reconciliationStateQuery } from '../../workflows/reconciliation-messages';
import { testServers } from '../setup/servers';
import { largestPayload } from './history-payloads';
import { startTimeSkippingEnv } from '../support/time-skipping-env';

jest.setTimeout(300_000);

const PROVIDER = 'Microsoft CSP';
const MONTH = '2026-01'; // long past: the run checks once, at its start

/** Activities that list `n` subscriptions that all agree with the PSA. */
function mocked(n: number): Partial<ReconciliationActivities> {
  const chunks = Math.ceil(n / CHUNK_SIZE);
  const agreed: ReconciliationFacts = {
    invoices: { reseller: true, customer: true },
    platform: { quantity: 10, cost: '187.00', price: '220.00' },
    psa: { ok: true, values: { quantity: 10, cost: '187.00', price: '220.00' } },
  };
  return {
    async listReconciliationSubjects() {
      return { psa: 'connectwise', chunks: [...Array(chunks).keys()].map((c) => ({ chunk: c, items: Math.min(CHUNK_SIZE, n - c * CHUNK_SIZE) })), subjects: n, added: n };
    },
    async loadReconciliationChunk({ chunk, from }) {
      const size = Math.min(CHUNK_SIZE, n - chunk * CHUNK_SIZE);
      return [...Array(Math.max(0, size - from)).keys()].map((i) => ({
        subscriptionId: `sub-${String(chunk * CHUNK_SIZE + from + i).padStart(6, '0')}`, customerId: 'cust-acme', customerName: 'Acme Ltd', plan: 'Microsoft 365 Business Premium', productId: 'm365-bp', kind: 'saas' as const,
      }));
    },
    async gatherReconciliationFacts({ subscriptionIds }) {
      return Object.fromEntries(subscriptionIds.map((id) => [id, agreed]));
    },
    async recordReconciliations() {},
  };
}

describe('reconciliation payloads do not grow with the month', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startTimeSkippingEnv(testServers().temporalTestServerPath);
  });
  afterAll(() => env?.teardown());

  async function month(n: number) {
    const taskQueue = `payloads-${randomUUID().slice(0, 8)}`;
    const connectionId = `cw-${n}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: { codePath: testServers().workflowBundle }, activities: mocked(n) });
    return worker.runUntil(async () => {
      const handle = await env.client.workflow.start('reconciliationWorkflow', {
        taskQueue,
        workflowId: reconciliationWorkflowId(connectionId, PROVIDER, MONTH),
        args: [{ connectionId, provider: PROVIDER, billingMonth: MONTH }],
      });
      const result: ReconciliationRunState = await handle.result();
      const state = await handle.query(reconciliationStateQuery);
      const chunk = env.client.workflow.getHandle(reconciliationChunkWorkflowId(connectionId, PROVIDER, MONTH, 0));
      return { result, stateBytes: JSON.stringify(state).length, runMax: largestPayload(await handle.fetchHistory()), chunkMax: largestPayload(await chunk.fetchHistory()) };
    });
  }

  it('1,000 and 4,000 subscriptions: the run grows by one chunk line per 500, a chunk by nothing', async () => {
    const small = await month(1_000);
    const large = await month(4_000);
    expect(small.result).toMatchObject({ finished: true, total: 1_000, counts: { reconciled: 1_000 } });
    expect(large.result).toMatchObject({ finished: true, total: 4_000, counts: { reconciled: 4_000 } });
    expect(large.result.chunks).toHaveLength(8);

    // The run: four times the subscriptions, six more chunk lines (~220 bytes each: id, counts) — not 3,000 items.
    const perChunk = 250;
    expect(large.stateBytes - small.stateBytes).toBeLessThan(6 * perChunk);
    expect(large.runMax - small.runMax).toBeLessThan(6 * perChunk);
    expect(large.runMax).toBeLessThan(4_000);
    // A chunk: the same 500 items whatever the month's size.
    expect(Math.abs(large.chunkMax - small.chunkMax)).toBeLessThan(100);
    expect(large.chunkMax).toBeLessThan(200_000);
  });
});
