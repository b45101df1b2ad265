/**
 * Payloads that must not hurt the connector: null, missing, wrong types, unknown names and
 * products — through the client library, and straight to the workflow with the Temporal CLI
 * (bypassing every check of ours). Each is refused with the field and the reason, or recorded as
 * a rejected message; the worker keeps running and other subscriptions keep billing.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { subscriptionWorkflowId } from '../../contracts/subscription';
import { BillingInputError } from '../../domain/problems';
import { requireTool } from '../../sandbox/stack/tools';
import { testServers } from '../setup/servers';
import { eventually, startHarness, type Harness } from './harness';
import { mapAcmeAndProducts, workedExampleReport } from './fixtures';

const run = promisify(execFile);

describe('poison payloads (real worker)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('connectwise', 'cw_poison');
    await mapAcmeAndProducts(h);
    await h.startWorker();
  });
  afterAll(() => h.close());

  /** `temporal workflow <args>` against the test server; resolves with the exit code and output. */
  async function temporalCli(...args: string[]): Promise<{ code: number; out: string }> {
    try {
      const { stdout, stderr } = await run(requireTool('temporal'), [...args, '--address', testServers().temporalAddress], { timeout: 30_000 });
      return { code: 0, out: stdout + stderr };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof err.code === 'number' ? err.code : 1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
    }
  }

  it('the client library refuses bad input before anything is sent, naming the field', async () => {
    for (const bad of [null, undefined, [], 'x', { id: 'e', type: 'quantity-changed', date: '2026-03-05', quantity: '3' }]) {
      await expect(h.platform.sendEvent(h.connectionId, 'sub-poison', bad)).rejects.toThrow(BillingInputError);
    }
    await expect(h.platform.reportSubscription(h.connectionId, { customerId: 7 } as never)).rejects.toThrow(/customerId: must be a string/);
    await expect(h.platform.sendEvent(h.connectionId, 'bad id!', { id: 'e', type: 'cancelled', date: '2026-03-05' })).rejects.toThrow(/subscriptionId: may hold only/);
  });

  it('payloads sent straight to the workflow with the Temporal CLI are refused or recorded; the worker keeps billing', async () => {
    const sub = 'sub-poison';
    const workflowId = subscriptionWorkflowId(h.connectionId, sub);
    await h.platform.reportSubscription(h.connectionId, workedExampleReport(sub));
    await eventually(async () => ((await h.platform.state(h.connectionId, sub)).step >= 1 ? true : undefined), 'the subscription to be billed');

    // Updates: the validator refuses each, with the field and the reason.
    const refusals = [
      ['platformEvent', 'null', /invalid event: must be an object/],
      ['platformEvent', '{"id":"x","type":"quantity-changed","date":"2026-13-01","quantity":-1}', /date: must be a calendar date.*quantity: must not be negative/],
      ['platformEvent', '{"id":"x","type":"explode","date":"2026-03-05"}', /type: must be one of/],
      ['report', 'null', /invalid report/],
      ['report', '{"customerId":1}', /customerId: must be a string/],
      ['placement', '{"placement":{"psa":"sap"}}', /invalid placement: placement\.psa/],
      ['skipEvent', '{"eventId":"nope","reason":"why not"}', /no event nope/],
      ['spawn', '[]', /invalid spawn/],
    ] as const;
    for (const [name, input, reason] of refusals) {
      const r = await temporalCli('workflow', 'update', 'execute', '--workflow-id', workflowId, '--name', name, '--input', input);
      expect({ name, input, refused: r.code !== 0 }).toEqual({ name, input, refused: true });
      expect(r.out).toMatch(reason);
    }
    // Signals (no answer possible): recorded with the reason, never fatal.
    for (const [name, input] of [['queuedMessage', 'null'], ['queuedMessage', '{"kind":"event","payload":{"id":1}}'], ['created', '{"customerId":"x"}'], ['quantityChanged', 'null']] as const) {
      expect((await temporalCli('workflow', 'signal', '--workflow-id', workflowId, '--name', name, '--input', input)).code).toBe(0);
    }
    const state = await eventually(async () => {
      const s = await h.platform.state(h.connectionId, sub);
      return s.rejectedMessages.length >= 4 ? s : undefined;
    }, 'the signals to be recorded');
    expect(state.rejectedMessages.map((m) => m.name)).toEqual(['queued message', 'queued event', 'created', 'quantityChanged']);
    expect(state.rejectedMessages[1]!.reason).toMatch(/id: must be a string/);
    expect(state.rejectedMessages[2]!.reason).toMatch(/unknown message "created"/);
    expect(state.status).toBe('mapped');

    // The same workflow, and another one, still take and bill good events.
    expect(await h.platform.sendEvent(h.connectionId, sub, { id: 'ok-1', type: 'quantity-changed', date: '2026-03-15', quantity: 15 })).toMatchObject({ outcome: 'accepted' });
    await h.platform.reportSubscription(h.connectionId, workedExampleReport('sub-healthy'));
    const healthy = await eventually(async () => {
      const s = await h.platform.state(h.connectionId, 'sub-healthy');
      return s.step >= 1 && !s.syncing ? s : undefined;
    }, 'another subscription to bill');
    expect(healthy.lastError).toBeNull();
    const after = await eventually(async () => {
      const s = await h.platform.state(h.connectionId, sub);
      return s.counts.applied === 1 && !s.syncing ? s : undefined;
    }, 'the good event on the poisoned workflow');
    expect(after.lastError).toBeNull();
  });

  it('events sent without waiting ({ wait: false }): a repeat changes nothing, an id reused with other content is recorded with the reason', async () => {
    const sub = 'sub-nowait';
    await h.platform.reportSubscription(h.connectionId, workedExampleReport(sub));
    const first = { id: 'nw-1', type: 'quantity-changed', date: '2026-03-15', quantity: 15 };
    for (const event of [first, first, { ...first, quantity: 99 }]) {
      expect(await h.platform.sendEvent(h.connectionId, sub, event, { wait: false })).toMatchObject({ eventId: 'nw-1', outcome: 'queued' });
    }
    const state = await eventually(async () => {
      const s = await h.platform.state(h.connectionId, sub);
      return s.counts.applied === 1 && s.rejectedMessages.length === 1 && !s.syncing ? s : undefined;
    }, 'the event applied and the conflicting one recorded');
    expect(state.rejectedMessages[0]).toMatchObject({ name: 'queued event', reason: expect.stringMatching(/nw-1/) });
    expect(state.events.map((e) => [e.id, e.status])).toEqual([['nw-1', 'applied']]);
    expect(state.lastError).toBeNull();
    // Waiting for the workflow, the same conflict is refused to the sender at once.
    await expect(h.platform.sendEvent(h.connectionId, sub, { ...first, quantity: 98 })).rejects.toThrow(/nw-1/);
  });
});
