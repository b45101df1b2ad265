/** The event log: platform events parsed at the boundary, ordered for billing, de-duplicated by id. */
import { admit, compareLogged, insertLogged, parsePlatformEvent, type LoggedEvent } from '../../domain/event-log';

const logged = (id: string, date: string, arrival: number, sequence: number | null = null): LoggedEvent => ({
  id,
  sequence,
  arrival,
  receivedAt: '2026-11-29T00:00:00.000Z',
  event: { type: 'quantity-changed', date, quantity: arrival + 1 },
});

describe('parsePlatformEvent', () => {
  it('takes { id, sequence?, ...event } and normalises money', () => {
    expect(parsePlatformEvent({ id: 'e1', type: 'price-changed', date: '2026-11-02', unitPrice: '22', unitCost: '18.7' })).toEqual({
      ok: true,
      value: { id: 'e1', sequence: null, event: { type: 'price-changed', date: '2026-11-02', unitPrice: '22.00', unitCost: '18.70' } },
    });
  });

  it.each([
    [null, [{ path: '', message: 'must be an object { id, type, date, ... }' }]],
    [undefined, [{ path: '', message: 'must be an object { id, type, date, ... }' }]],
    [[], [{ path: '', message: 'must be an object { id, type, date, ... }' }]],
    ['quantity-changed', [{ path: '', message: 'must be an object { id, type, date, ... }' }]],
  ])('refuses %p whole, without throwing', (payload, problems) => {
    expect(parsePlatformEvent(payload)).toEqual({ ok: false, problems });
  });

  it('names every bad field: id, sequence, type-specific fields', () => {
    const r = parsePlatformEvent({ id: '', sequence: -1, type: 'quantity-changed', date: '2026-02-30', quantity: 1.5, extra: true });
    expect(r.ok).toBe(false);
    const paths = r.ok ? [] : r.problems.map((p) => p.path).sort();
    expect(paths).toEqual(['date', 'extra', 'id', 'quantity', 'sequence']);
  });

  it('refuses an unknown type and a missing id with a clear reason', () => {
    const r = parsePlatformEvent({ type: 'downgrade', date: '2026-11-02' });
    expect(r).toEqual({
      ok: false,
      problems: [
        { path: 'id', message: 'is required' },
        { path: 'type', message: 'must be one of quantity-changed, full-upgrade, partial-upgrade, cancelled, renewed, price-changed' },
      ],
    });
  });
});

describe('billing order', () => {
  it('sorts by date, then the platform sequence (events with one first), then arrival', () => {
    const events = [logged('c', '2026-11-02', 0), logged('b', '2026-11-02', 1, 2), logged('a', '2026-11-01', 2), logged('d', '2026-11-02', 3, 1), logged('e', '2026-11-02', 4)];
    expect([...events].sort(compareLogged).map((e) => e.id)).toEqual(['a', 'd', 'b', 'c', 'e']);
  });

  it('insertLogged keeps the log sorted whatever the arrival order, without touching the input', () => {
    const arrivals = [logged('x', '2026-11-20', 0), logged('y', '2026-10-01', 1), logged('z', '2026-11-20', 2, 0), logged('w', '2026-12-31', 3)];
    let log: LoggedEvent[] = [];
    for (const e of arrivals) {
      const before = [...log];
      const next = insertLogged(log, e);
      expect(log).toEqual(before);
      log = next;
    }
    expect(log.map((e) => e.id)).toEqual(['y', 'z', 'x', 'w']);
  });
});

describe('admit: idempotency by event id', () => {
  const log = [logged('e1', '2026-11-02', 0)];
  it('a new id is new; the same id with the same content is a duplicate (key order and money form do not matter)', () => {
    expect(admit(log, { id: 'e2', sequence: null, event: log[0]!.event }).kind).toBe('new');
    expect(admit(log, { id: 'e1', sequence: null, event: { quantity: 1, date: '2026-11-02', type: 'quantity-changed' } }).kind).toBe('duplicate');
  });
  it('the same id with other content is a conflict naming the first one', () => {
    const a = admit(log, { id: 'e1', sequence: null, event: { type: 'quantity-changed', date: '2026-11-02', quantity: 7 } });
    expect(a.kind).toBe('conflict');
    expect(a.kind === 'conflict' && a.reason).toMatch(/event id e1 was already received .*\(quantity-changed dated 2026-11-02\)/);
  });
});
