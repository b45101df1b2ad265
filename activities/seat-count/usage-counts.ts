/**
 * §7 seat-count mode: the daily usage counts the platform reports per subscription, and what
 * the connector last billed from them (quantity, month, day) — the inputs of `seatCountUpdate`.
 * One document per (connection, subscription, day): a count reported twice for a day replaces
 * the first. Kept beside the store's repositories, in its own collections.
 */
import type { Db } from 'mongodb';
import { z } from 'zod';
import { DailyCountSchema, type DailyCount } from '../../domain/seat-count';
import { parseInput } from '../store';

export const USAGE_COUNTS = 'usage_counts';
export const SEAT_COUNT_STATE = 'seat_count_state';

export const UsageReportSchema = z
  .object({
    subscriptionId: z.string({ required_error: 'is required', invalid_type_error: 'must be a string' }).min(1, 'must not be empty').max(200, 'is too long'),
    counts: z.array(DailyCountSchema, { required_error: 'is required', invalid_type_error: 'must be a list of { date, count }' }).min(1, 'must not be empty').max(400, 'at most 400 days at once'),
  })
  .strict();
export type UsageReport = z.input<typeof UsageReportSchema>;

/** What the PSA bills now for a seat-count subscription. */
export interface SeatCountState {
  billedQuantity: number;
  /** YYYY-MM the quantity was set for. */
  billedMonth: string;
  lastUpdatedOn: string;
}

export interface UsageCountRepository {
  /** Stores daily counts (a day reported again replaces its count); returns how many days were written. */
  report(connectionId: string, input: UsageReport): Promise<number>;
  /** Counts of one month (YYYY-MM), by date. */
  countsFor(connectionId: string, subscriptionId: string, month: string): Promise<DailyCount[]>;
  /** Subscriptions with at least one count in the month. */
  subscriptionsWithCounts(connectionId: string, month: string): Promise<string[]>;
  /** Subscriptions whose seat-count lines bill units now (billed quantity above 0). */
  subscriptionsBilled(connectionId: string): Promise<string[]>;
  getState(connectionId: string, subscriptionId: string): Promise<SeatCountState | null>;
  saveState(connectionId: string, subscriptionId: string, state: SeatCountState): Promise<void>;
}

interface CountDoc { _id: string; connectionId: string; subscriptionId: string; date: string; count: number; reportedAt: Date }
interface StateDoc extends SeatCountState { _id: string; connectionId: string; subscriptionId: string; updatedAt: Date }

const key = (...parts: string[]) => JSON.stringify(parts);

export function createUsageCountRepository(db: Db, now: () => Date = () => new Date()): UsageCountRepository {
  const counts = db.collection<CountDoc>(USAGE_COUNTS);
  const states = db.collection<StateDoc>(SEAT_COUNT_STATE);
  // One index, created once per process (FerretDB: one index per createIndex call).
  let indexed: Promise<unknown> | undefined;
  const ready = () => (indexed ??= counts.createIndex({ connectionId: 1, date: 1, subscriptionId: 1 }, { name: 'connection_date_subscription' }).catch((e: unknown) => {
    indexed = undefined;
    throw e;
  }));
  const monthRange = (month: string) => ({ $gte: `${month}-01`, $lte: `${month}-31` });

  return {
    async report(connectionId, input) {
      const r = parseInput(UsageReportSchema, input);
      await ready();
      for (const c of r.counts) {
        await counts.replaceOne(
          { _id: key(connectionId, r.subscriptionId, c.date) },
          { connectionId, subscriptionId: r.subscriptionId, date: c.date, count: c.count, reportedAt: now() },
          { upsert: true },
        );
      }
      return r.counts.length;
    },
    async countsFor(connectionId, subscriptionId, month) {
      await ready();
      const docs = await counts.find({ connectionId, subscriptionId, date: monthRange(month) }).sort({ date: 1 }).toArray();
      return docs.map((d) => ({ date: d.date, count: d.count }));
    },
    async subscriptionsWithCounts(connectionId, month) {
      await ready();
      const docs = await counts.find({ connectionId, date: monthRange(month) }, { projection: { subscriptionId: 1 } }).toArray();
      return [...new Set(docs.map((d) => d.subscriptionId))].sort();
    },
    async subscriptionsBilled(connectionId) {
      const docs = await states.find({ connectionId, billedQuantity: { $gt: 0 } }, { projection: { subscriptionId: 1 } }).toArray();
      return docs.map((d) => d.subscriptionId).sort();
    },
    async getState(connectionId, subscriptionId) {
      const d = await states.findOne({ _id: key(connectionId, subscriptionId) });
      return d ? { billedQuantity: d.billedQuantity, billedMonth: d.billedMonth, lastUpdatedOn: d.lastUpdatedOn } : null;
    },
    async saveState(connectionId, subscriptionId, state) {
      await states.replaceOne({ _id: key(connectionId, subscriptionId) }, { connectionId, subscriptionId, ...state, updatedAt: now() }, { upsert: true });
    },
  };
}
