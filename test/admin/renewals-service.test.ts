/**
 * The renewals service (app/admin/renewals.ts, docs/renewals.md) without servers: the window it
 * looks at (today to today + N days, N from the query, else the connection's renewal days, else
 * 30), the rows it returns, its query validation (one problem per field) and an unknown
 * connection. The store is an in-memory stand-in for the two repositories the service reads;
 * the real repository's range query runs in test/api/renewals.test.ts.
 */
import type { CommitmentRecord, CommitmentRepository, Connection, Store } from '../../activities/store';
import { StoreInputError } from '../../activities/store';
import type { MappingServiceDeps } from '../../app/admin/mapping-service.deps';
import { NotFoundError } from '../../app/admin/mapping-errors';
import { createRenewalOperations } from '../../app/admin/renewals';

const record = (subscriptionId: string, commitmentEnd: string | null, over: Partial<CommitmentRecord> = {}): CommitmentRecord => ({
  connectionId: 'cw-1', subscriptionId, customerId: 'c-acme', customerName: 'Acme Ltd.', productId: 'p-bp', productName: 'Microsoft 365 Business Premium',
  quantity: 10, asOf: '2026-06-01', term: 'annual', termStart: '2025-07-01', commitmentEnd, nextRenewal: commitmentEnd === null ? null : '2026-07-01',
  autoRenew: true, scheduledDecrease: null, updatedAt: '2026-06-01T00:00:00.000Z', ...over,
});

function service(opts: { renewalDays?: number; records: CommitmentRecord[] }) {
  const calls: Array<Parameters<CommitmentRepository['due']>[1]> = [];
  const commitments: Pick<CommitmentRepository, 'due'> = {
    async due(connectionId, query) {
      calls.push(query);
      const hits = opts.records
        .filter((r) => r.connectionId === connectionId && r.commitmentEnd !== null && r.commitmentEnd >= query.from && r.commitmentEnd <= query.to)
        .sort((a, b) => a.commitmentEnd!.localeCompare(b.commitmentEnd!) || a.subscriptionId.localeCompare(b.subscriptionId));
      const skip = query.skip ?? 0;
      return { items: hits.slice(skip, skip + (query.limit ?? 50)), total: hits.length };
    },
  };
  const conn = { id: 'cw-1', notifications: { enabled: false, recipients: [], templates: {}, ...(opts.renewalDays === undefined ? {} : { renewalDays: opts.renewalDays }) } } as unknown as Connection;
  const store = { commitments, connections: { get: async (id: string) => (id === 'cw-1' ? conn : null) } } as unknown as Store;
  const ops = createRenewalOperations({ store, now: () => new Date('2026-06-01T23:30:00Z') } as unknown as MappingServiceDeps);
  return { ops, calls };
}

/** The `path: reason` lines a rejected query yields (what the API and the CLI print). */
async function problems(p: Promise<unknown>): Promise<string[]> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(StoreInputError);
  return (e as StoreInputError).problems.map((x) => `${x.path}: ${x.message}`);
}

describe('renewals due (service)', () => {
  const records = [
    record('sub-later', '2026-07-02'),
    record('sub-soon', '2026-06-20', { quantity: 7, scheduledDecrease: { date: '2026-06-21', from: 10, to: 7 }, nextRenewal: '2026-06-21' }),
    record('sub-today', '2026-06-01'),
    record('sub-past', '2026-05-31'),
    record('sub-edge', '2026-07-01', { autoRenew: false, nextRenewal: null }),
    record('sub-cancelled', null),
  ];

  it('lists the commitments ending from today to today + N days (both included), soonest first, with what waits for the renewal', async () => {
    const { ops } = service({ records });
    const due = await ops.due('cw-1', { days: '30' });
    expect(due).toMatchObject({ connectionId: 'cw-1', from: '2026-06-01', through: '2026-07-01', days: 30, total: 3 });
    expect(due.items.map((r) => [r.subscriptionId, r.commitmentEnd])).toEqual([
      ['sub-today', '2026-06-01'],
      ['sub-soon', '2026-06-20'],
      ['sub-edge', '2026-07-01'],
    ]);
    expect(due.items[1]).toEqual({
      subscriptionId: 'sub-soon', customerId: 'c-acme', customerName: 'Acme Ltd.', productId: 'p-bp', productName: 'Microsoft 365 Business Premium',
      quantity: 7, term: 'annual', commitmentEnd: '2026-06-20', nextRenewal: '2026-06-21', autoRenew: true, scheduledDecrease: { date: '2026-06-21', from: 10, to: 7 },
    });
    // Lists never leak the store's bookkeeping.
    expect(due.items[0]).not.toHaveProperty('updatedAt');
    expect(due.items[0]).not.toHaveProperty('connectionId');
  });

  it("without ?days, looks as far as the connection's renewal days, else 30 days", async () => {
    expect(await service({ records, renewalDays: 19 }).ops.due('cw-1')).toMatchObject({ through: '2026-06-20', days: 19, total: 2 });
    expect(await service({ records }).ops.due('cw-1', {})).toMatchObject({ through: '2026-07-01', days: 30, total: 3 });
    expect(await service({ records, renewalDays: 19 }).ops.due('cw-1', { days: '31' })).toMatchObject({ through: '2026-07-02', total: 4 });
  });

  it('pages with limit and skip', async () => {
    const { ops, calls } = service({ records });
    const page = await ops.due('cw-1', { days: '60', limit: '2', skip: '1' });
    expect(calls.at(-1)).toEqual({ from: '2026-06-01', to: '2026-07-31', limit: 2, skip: 1 });
    expect(page.total).toBe(4);
    expect(page.items.map((r) => r.subscriptionId)).toEqual(['sub-soon', 'sub-edge']);
  });

  it('rejects a bad query with one line per field, before reading anything', async () => {
    const { ops, calls } = service({ records });
    expect(await problems(ops.due('cw-1', { days: '0' }))).toEqual(['days: must be at least 1 day']);
    expect(await problems(ops.due('cw-1', { days: '367' }))).toEqual(['days: must be at most 366 days']);
    expect(await problems(ops.due('cw-1', { days: 'soon' }))).toEqual(['days: must be a number of days']);
    expect(await problems(ops.due('cw-1', { days: '1.5' }))).toEqual(['days: must be a whole number of days']);
    expect(await problems(ops.due('cw-1', { days: '' }))).toEqual(['days: must be a number of days']);
    expect(await problems(ops.due('cw-1', { days: '400', limit: '0', skip: '-1' }))).toEqual([
      'days: must be at most 366 days',
      'limit: must be at least 1',
      'skip: must not be negative',
    ]);
    expect((await problems(ops.due('cw-1', { window: '30' })))[0]).toMatch(/window/);
    expect(calls).toEqual([]);
  });

  it('an unknown connection is a not-found error naming it', async () => {
    await expect(service({ records }).ops.due('cw-nope', {})).rejects.toThrow(NotFoundError);
    await expect(service({ records }).ops.due('cw-nope', {})).rejects.toThrow(/cw-nope/);
  });
});
