/**
 * The journaled-write core both gateways build on (activities/psa/journaled-write.ts), with a
 * scripted write: what is replayed, begun, resumed and completed, and the one look after a write
 * that may have landed.
 */
import { PsaError } from '../../activities/psa/http/psa-error';
import { journaledWrite, writeOrAdopt } from '../../activities/psa/journaled-write';
import type { KeyedOperation } from '../../activities/psa/psa-gateway.port';
import { createMemoryJournal } from '../support/memory-journal';

const op = (key: string, unitChange = 1): KeyedOperation => ({
  idempotencyKey: key,
  operation: { type: 'at.adjust-units', serviceKey: 's/p', effectiveDate: '2026-03-10', unitChange },
});
const lostAnswer = () => new PsaError({ psa: 'autotask', kind: 'unavailable', method: 'POST', path: '/x', status: 500, maybeApplied: true });

/** A write that records how it was called and returns the day it "posted" on. */
function scriptedWrite(outcome = '2026-03-10') {
  const calls: { open: string[]; resumed: boolean }[] = [];
  return {
    calls,
    write: async (open: readonly KeyedOperation[], resumed: boolean) => {
      calls.push({ open: open.map((m) => m.idempotencyKey), resumed });
      return outcome;
    },
    applied: (_m: KeyedOperation, day: string) => ({ lineKey: 's/p', psaId: 7, effectiveDate: day }),
    recorded: (r: { effectiveDate?: string }) => r.effectiveDate!,
  };
}

describe('journaledWrite', () => {
  it('begins new keys, writes once for all members, completes each with the outcome, in order', async () => {
    const journal = createMemoryJournal();
    const w = scriptedWrite();
    const results = await journaledWrite(journal, { members: [op('a'), op('b')], ...w });
    expect(w.calls).toEqual([{ open: ['a', 'b'], resumed: false }]);
    expect(results.map((r) => [r.idempotencyKey, r.effectiveDate, r.replayed])).toEqual([['a', '2026-03-10', false], ['b', '2026-03-10', false]]);
    expect(journal.entries().map((e) => e.state)).toEqual(['done', 'done']);
  });

  it('replays keys done before without writing', async () => {
    const journal = createMemoryJournal();
    await journaledWrite(journal, { members: [op('a')], ...scriptedWrite() });
    const w = scriptedWrite('2026-04-01');
    const [again] = await journaledWrite(journal, { members: [op('a')], ...w });
    expect(w.calls).toEqual([]);
    expect(again).toMatchObject({ idempotencyKey: 'a', effectiveDate: '2026-03-10', replayed: true });
  });

  it('a key left started resumes the write (look before writing); a failed write leaves its keys started', async () => {
    const journal = createMemoryJournal();
    const failing = { ...scriptedWrite(), write: async () => Promise.reject(lostAnswer()) };
    await expect(journaledWrite(journal, { members: [op('a'), op('b')], ...failing })).rejects.toMatchObject({ maybeApplied: true });
    expect(journal.entries().map((e) => e.state)).toEqual(['started', 'started']);
    const w = scriptedWrite();
    await journaledWrite(journal, { members: [op('a'), op('b')], ...w });
    expect(w.calls).toEqual([{ open: ['a', 'b'], resumed: true }]);
  });

  it('when a crash fell between two completions, the rest is completed with the recorded outcome, nothing written', async () => {
    const journal = createMemoryJournal();
    let completes = 0;
    const dying = { ...journal, complete: async (r: Parameters<typeof journal.complete>[0]) => (++completes === 2 ? Promise.reject(new Error('crash')) : journal.complete(r)) };
    await expect(journaledWrite(dying, { members: [op('a'), op('b')], ...scriptedWrite('2026-03-11') })).rejects.toThrow('crash');
    const w = scriptedWrite('2026-04-01');
    const results = await journaledWrite(journal, { members: [op('a'), op('b')], ...w });
    expect(w.calls).toEqual([]);
    expect(results.map((r) => [r.replayed, r.effectiveDate])).toEqual([[true, '2026-03-11'], [false, '2026-03-11']]);
  });
});

describe('writeOrAdopt: one look after a write that may have landed, never a loop', () => {
  it('adopts what the look finds', async () => {
    let looks = 0;
    const found = await writeOrAdopt(() => Promise.reject(lostAnswer()), async () => (looks++, 42));
    expect([found, looks]).toEqual([42, 1]);
  });

  it('throws the write\'s error when the look finds nothing', async () => {
    let looks = 0;
    const error = await writeOrAdopt(() => Promise.reject(lostAnswer()), async () => (looks++, null)).catch((e: unknown) => e);
    expect(error).toMatchObject({ maybeApplied: true, retryable: true });
    expect(looks).toBe(1);
  });

  it('does not look after a refusal or an error that surely did not write', async () => {
    let looks = 0;
    const look = async () => (looks++, 1);
    const refused = new PsaError({ psa: 'connectwise', kind: 'validation', method: 'POST', path: '/x', status: 400 });
    const busy = new PsaError({ psa: 'connectwise', kind: 'rate-limited', method: 'POST', path: '/x', status: 429 });
    await expect(writeOrAdopt(() => Promise.reject(refused), look)).rejects.toBe(refused);
    await expect(writeOrAdopt(() => Promise.reject(busy), look)).rejects.toBe(busy);
    expect(looks).toBe(0);
  });
});
