/**
 * Renewals due (docs/renewals.md): the subscriptions of a connection whose term ends within
 * the next N days — the last chance to ask for fewer licences before they are committed for
 * another term. Read from the commitments each subscription's workflow records; the admin API
 * (`GET /api/connections/:id/renewals`) and the CLI (`renewals due`) show this, the renewals
 * mail the same rows.
 */
import { z } from 'zod';
import { addDays, isoDateOf, type IsoDate } from '../../domain/dates';
import { DEFAULT_RENEWAL_DAYS, parseInput, renewalRow, RenewalDaysSchema, type RenewalRow } from '../../activities/store';
import { NotFoundError } from './mapping-errors';
import type { MappingServiceDeps } from './mapping-service.deps';

/** `?days=` (1–366; default: the connection's renewal days, else 30), `?limit=`, `?skip=`. */
export const RenewalsQuerySchema = z
  .object({
    // Query values arrive as text: a number is read from it, anything else is reported as not a number.
    days: z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), RenewalDaysSchema).optional(),
    limit: z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').optional(),
    skip: z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(0, 'must not be negative').optional(),
  })
  .strict();
export type RenewalsQueryInput = z.input<typeof RenewalsQuerySchema>;

export interface RenewalsDue {
  connectionId: string;
  /** Today (UTC), the first day looked at. */
  from: IsoDate;
  /** The last day looked at: `from` + `days`. */
  through: IsoDate;
  days: number;
  total: number;
  items: RenewalRow[];
}

export function createRenewalOperations(deps: MappingServiceDeps) {
  const { store } = deps;
  return {
    /** Subscriptions whose commitment ends between today and today + `days` (both included), soonest first. */
    async due(connectionId: string, query: unknown = {}): Promise<RenewalsDue> {
      const q = parseInput(RenewalsQuerySchema, query ?? {});
      const conn = await store.connections.get(connectionId);
      if (!conn) throw new NotFoundError('connection', connectionId);
      // Connections stored before the setting existed have none: the default.
      const days = q.days ?? conn.notifications.renewalDays ?? DEFAULT_RENEWAL_DAYS;
      const from = isoDateOf((deps.now?.() ?? new Date()).getTime());
      const through = addDays(from, days);
      const page = await store.commitments.due(connectionId, { from, to: through, ...(q.limit !== undefined ? { limit: q.limit } : {}), ...(q.skip !== undefined ? { skip: q.skip } : {}) });
      return { connectionId, from, through, days, total: page.total, items: page.items.map(renewalRow) };
    },
  };
}
