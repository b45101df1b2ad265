/**
 * An in-memory OperationJournal for tests and the sandbox demo (production uses the MongoDB
 * one). `failNextComplete` simulates a crash after the PSA write and before the journal
 * records it.
 */
import type { PsaOperation } from '../../domain/psa-operations';
import type { AppliedOperation, JournalEntry, OperationJournal } from '../../activities/psa/psa-gateway.port';

export interface MemoryJournal extends OperationJournal {
  entries(): JournalEntry[];
  /** The next `times` calls to complete() throw (default 1). */
  failNextComplete(times?: number): void;
}

export function createMemoryJournal(): MemoryJournal {
  const entries = new Map<string, JournalEntry & { operation: PsaOperation }>();
  let failures = 0;
  return {
    async get(key) {
      const e = entries.get(key);
      return e ? { idempotencyKey: e.idempotencyKey, state: e.state, ...(e.result ? { result: e.result } : {}) } : null;
    },
    async begin(operations) {
      const existing = new Map<string, JournalEntry>();
      for (const { idempotencyKey: key, operation } of operations) {
        const e = entries.get(key);
        if (e) existing.set(key, { idempotencyKey: key, state: e.state, ...(e.result ? { result: e.result } : {}) });
        else entries.set(key, { idempotencyKey: key, state: 'started', operation });
      }
      return existing;
    },
    async complete(results: readonly AppliedOperation[]) {
      if (failures > 0) {
        failures--;
        throw new Error('simulated crash before the journal recorded the result');
      }
      for (const result of results) {
        const e = entries.get(result.idempotencyKey);
        if (!e) throw new Error(`journal: complete() without begin() for ${result.idempotencyKey}`);
        entries.set(result.idempotencyKey, { ...e, state: 'done', result });
      }
    },
    entries: () => [...entries.values()].map(({ idempotencyKey, state, result }) => ({ idempotencyKey, state, ...(result ? { result } : {}) })),
    failNextComplete(times = 1) {
      failures += times;
    },
  };
}
