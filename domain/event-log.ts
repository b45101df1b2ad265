/**
 * A subscription's event log: every lifecycle event the platform sent, once per event id, in
 * billing order — by the event's date, then the platform's sequence number, then arrival
 * (docs/billing-rules.md §3 "Several events on one date apply in the order given"). The log, not the
 * order in which events happened to arrive, decides what is billed: the subscription workflow
 * and `plan` replay the same sorted log (replay.ts), so any arrival order bills the same.
 */
import { z } from 'zod';
import type { IsoDate } from './dates';
import { zodProblems, type Problem } from './problems';
import { SubscriptionEventSchema, type SubscriptionEvent } from './schemas';

export interface LoggedEvent {
  /** The platform's id of the event (idempotency: a repeat with the same id is a duplicate). */
  id: string;
  /** The platform's order of events on one date; null when it sent none. */
  sequence: number | null;
  /** Arrival number within the subscription: the tie-break of last resort. */
  arrival: number;
  /** When it was received (workflow clock, ISO instant). */
  receivedAt: string;
  event: SubscriptionEvent;
}

/**
 * The status of a logged event after a replay: `waiting` (the subscription is not mapped yet),
 * `scheduled` (dated after today), `applied`, `rejected` (breaks a rule at its place in the
 * log — the reason says which), `skipped` (by an admin, with a reason).
 */
export type EventStatus = 'waiting' | 'scheduled' | 'applied' | 'rejected' | 'skipped';
export const EVENT_STATUSES: readonly EventStatus[] = ['waiting', 'scheduled', 'applied', 'rejected', 'skipped'];

const EventIdSchema = z
  .string({ required_error: 'is required', invalid_type_error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(200, 'is too long');
const SequenceSchema = z
  .number({ invalid_type_error: 'must be a number' })
  .int('must be a whole number')
  .nonnegative('must not be negative')
  .max(Number.MAX_SAFE_INTEGER, 'is too large');

/** The platform event `{ id, sequence?, type, date, ... }` as one zod schema (for API descriptions; parsePlatformEvent checks it field by field). */
export const PlatformEventSchema = z.discriminatedUnion(
  'type',
  SubscriptionEventSchema.options.map((o) => o.extend({ id: EventIdSchema, sequence: SequenceSchema.optional() })) as unknown as [
    z.AnyZodObject,
    z.AnyZodObject,
    ...z.AnyZodObject[],
  ],
);

/** A platform event as sent: the lifecycle event's fields plus its `id` and optional `sequence`. */
export interface PlatformEvent {
  id: string;
  sequence: number | null;
  event: SubscriptionEvent;
}

/**
 * Parses a platform event (any JSON): `{ id, sequence?, type, date, ... }`. Every problem names
 * its field; nothing here throws, whatever the payload's shape.
 */
export function parsePlatformEvent(input: unknown): { ok: true; value: PlatformEvent } | { ok: false; problems: Problem[] } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, problems: [{ path: '', message: 'must be an object { id, type, date, ... }' }] };
  }
  const { id, sequence, ...rest } = input as Record<string, unknown>;
  const problems: Problem[] = [];
  const idResult = EventIdSchema.safeParse(id);
  if (!idResult.success) problems.push(...zodProblems(idResult.error).map((p) => ({ ...p, path: 'id' })));
  const seqResult = sequence === undefined || sequence === null ? null : SequenceSchema.safeParse(sequence);
  if (seqResult && !seqResult.success) problems.push(...zodProblems(seqResult.error).map((p) => ({ ...p, path: 'sequence' })));
  const eventResult = SubscriptionEventSchema.safeParse(rest);
  if (!eventResult.success) problems.push(...zodProblems(eventResult.error));
  if (problems.length > 0 || !idResult.success || !eventResult.success) return { ok: false, problems };
  return { ok: true, value: { id: idResult.data, sequence: seqResult?.success ? seqResult.data : null, event: eventResult.data } };
}

/** Billing order: date, then sequence (events with one before those without), then arrival. */
export function compareLogged(a: LoggedEvent, b: LoggedEvent): number {
  if (a.event.date !== b.event.date) return a.event.date < b.event.date ? -1 : 1;
  const sa = a.sequence ?? Number.POSITIVE_INFINITY;
  const sb = b.sequence ?? Number.POSITIVE_INFINITY;
  if (sa !== sb) return sa < sb ? -1 : 1;
  return a.arrival - b.arrival;
}

/** JSON with sorted keys: equal content gives equal text whatever the key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Same content: the same event fields (money normalised by parsing) and the same sequence. */
export const sameContent = (a: Pick<PlatformEvent, 'sequence' | 'event'>, b: Pick<PlatformEvent, 'sequence' | 'event'>): boolean =>
  a.sequence === b.sequence && canonical(a.event) === canonical(b.event);

export type Admission =
  | { kind: 'new' }
  | { kind: 'duplicate'; existing: LoggedEvent }
  | { kind: 'conflict'; existing: LoggedEvent; reason: string };

/** Is `incoming` new, a repeat of a logged event (same id, same content), or a conflict (same id, other content)? */
export function admit(log: readonly LoggedEvent[], incoming: PlatformEvent): Admission {
  const existing = log.find((e) => e.id === incoming.id);
  if (!existing) return { kind: 'new' };
  if (sameContent(existing, incoming)) return { kind: 'duplicate', existing };
  return {
    kind: 'conflict',
    existing,
    reason: `event id ${incoming.id} was already received on ${existing.receivedAt} with other content (${existing.event.type} dated ${existing.event.date}); send a new id for a new event`,
  };
}

/** The log with `entry` inserted at its place in billing order (the input is not modified). */
export function insertLogged(log: readonly LoggedEvent[], entry: LoggedEvent): LoggedEvent[] {
  const out = [...log];
  let i = out.length;
  while (i > 0 && compareLogged(out[i - 1]!, entry) > 0) i--;
  out.splice(i, 0, entry);
  return out;
}

/** The earliest date after `asOf` among logged events (not skipped), or null. */
export function firstScheduledDate(log: readonly LoggedEvent[], asOf: IsoDate, skipped: ReadonlySet<string>): IsoDate | null {
  for (const e of log) if (e.event.date > asOf && !skipped.has(e.id)) return e.event.date;
  return null;
}
