/**
 * Autotask unit changes (docs/billing-rules.md §5): create-only, dated ServiceAdjustments, at most
 * one per contract service per day. The changes of one day are netted into ONE adjustment,
 * one journaled write for all of them (journaled-write.ts).
 *
 * Days are posted in the order given, each on its own date, without reading first: the planner
 * (domain/psa-diff.ts) chose days the contract service holds no adjustment on, increases before
 * decreases (so the units never dip below zero on the way). Autotask is read only when needed:
 * - a key left `started` (we crashed, or the answer was lost): did it land? It sits on its own
 *   day, or — if that day was taken by someone else's adjustment — on the first free day after;
 * - Autotask refuses the day (another adjustment landed there meanwhile): the first free day
 *   after it is taken instead (§5), and the result says so (`shiftedFrom`). That is the rule
 *   of the PSA, not a retry: a transient error is thrown for the activity to retry.
 * Adjustments cannot be queried; ContractServiceUnits, split at each adjustment's date, tell
 * which days hold one (adjustment-dates.ts, with the limits of that inference).
 */
import { addDays, type IsoDate } from '../../../domain/dates';
import type { AtOperation } from '../../../domain/psa-operations';
import { isPsaError, psaDateField, psaDateTime, type Logger } from '../http';
import { journaledWrite, writeOrAdopt } from '../journaled-write';
import { idGroups, type AppliedOperation, type KeyedOperation, type OperationJournal, type PsaTarget } from '../psa-gateway.port';
import { PsaSetupError } from '../psa-setup-error';
import { adjustmentDates, firstFreeDate, landedOn, type UnitsSlice } from './adjustment-dates';
import type { AutotaskClient } from './autotask-client';
import { q } from './autotask-query';
import { contractServiceSchema, contractServiceUnitSchema, type AtContractServiceUnitRow } from './autotask-schemas';

export type AdjustUnits = Extract<AtOperation, { type: 'at.adjust-units' }>;
/** An adjustment to apply: its keyed operation and the change it holds. */
export interface KeyedAdjustment { keyed: KeyedOperation; change: AdjustUnits }

/** Autotask's refusal of a second adjustment for one contract service on one day (§5). */
const isDayTaken = (error: unknown): boolean => isPsaError(error) && /contract_service_period/i.test(`${error.psaMessage ?? ''} ${error.details.join(' ')} ${error.message}`);
/** Days tried after a refused one before giving up (a month of taken days is not a race). */
const MAX_SHIFTS = 31;

export interface AutotaskAdjustments {
  /** One contract service's adjustments, day by day in the order of first appearance; one result per change, in order. */
  apply(target: PsaTarget, contractServiceId: number, changes: readonly KeyedAdjustment[]): Promise<AppliedOperation[]>;
  /** The contract service's unit periods (with whether each was posted to an invoice). */
  readSlices(contractServiceId: number): Promise<(UnitsSlice & { posted: boolean })[]>;
  /** The unit periods of several contract services, in one query per LINE_IDS_PER_REQUEST of them. */
  readSlicesOf(contractServiceIds: readonly number[]): Promise<Map<number, (UnitsSlice & { posted: boolean })[]>>;
}

export function createAutotaskAdjustments(deps: { client: AutotaskClient; journal: OperationJournal; logger: Logger }): AutotaskAdjustments {
  const { client, logger } = deps;

  const sliceOf = (r: AtContractServiceUnitRow): UnitsSlice & { posted: boolean } => ({
    startDate: psaDateField('autotask', 'startDate', r.startDate, '/ContractServiceUnits'),
    endDate: psaDateField('autotask', 'endDate', r.endDate, '/ContractServiceUnits'),
    units: r.units,
    posted: r.approveAndPostDate !== null,
  });

  async function readSlices(contractServiceId: number): Promise<(UnitsSlice & { posted: boolean })[]> {
    const rows = await client.query('ContractServiceUnits', { filter: [q.eq('contractServiceID', contractServiceId)] }, contractServiceUnitSchema);
    return rows.map(sliceOf);
  }

  async function readSlicesOf(contractServiceIds: readonly number[]): Promise<Map<number, (UnitsSlice & { posted: boolean })[]>> {
    const out = new Map<number, (UnitsSlice & { posted: boolean })[]>(contractServiceIds.map((id) => [id, []]));
    const pages = await Promise.all(idGroups(contractServiceIds).map((ids) => client.query('ContractServiceUnits', { filter: [q.in('contractServiceID', ids)] }, contractServiceUnitSchema)));
    for (const r of pages.flat()) out.get(r.contractServiceID)?.push(sliceOf(r));
    return out;
  }

  /**
   * The service a contract service is for: from the planner key `<subscription>/<product>` when
   * it names a mapped product, else read once (and remembered: a contract service never changes
   * its service).
   */
  const serviceIds = new Map<number, number>();
  async function serviceIdOf(target: PsaTarget, contractServiceId: number, serviceKey: string): Promise<number> {
    const known = serviceIds.get(contractServiceId) ?? target.productIds[serviceKey.slice(serviceKey.lastIndexOf('/') + 1)];
    if (known !== undefined) return known;
    const line = await client.get('ContractServices', contractServiceId, contractServiceSchema);
    if (!line) throw new PsaSetupError(`Autotask contract service ${contractServiceId} does not exist`);
    serviceIds.set(contractServiceId, line.serviceID);
    return line.serviceID;
  }

  /** Where an adjustment of `unitChange` meant for `day` sits, if it landed. */
  async function landed(contractServiceId: number, day: IsoDate, unitChange: number): Promise<IsoDate | null> {
    const dates = adjustmentDates(await readSlices(contractServiceId));
    return dates.get(day) === unitChange ? day : landedOn(day, unitChange, dates);
  }

  /** Posts one adjustment on its day, or on the first free day after it when Autotask refuses the day as taken. */
  async function post(target: PsaTarget, contractServiceId: number, serviceKey: string, from: IsoDate, unitChange: number): Promise<IsoDate> {
    const serviceID = await serviceIdOf(target, contractServiceId, serviceKey);
    let day = from;
    for (let shifts = 0; ; shifts++) {
      const posting = day;
      try {
        return await writeOrAdopt(
          async () => {
            await client.create(`/Contracts/${target.agreementId}/ServiceAdjustments`, {
              contractID: target.agreementId,
              serviceID,
              contractServiceID: contractServiceId,
              effectiveDate: psaDateTime(posting),
              unitChange,
            });
            return posting;
          },
          () => landed(contractServiceId, posting, unitChange),
          { logger, what: 'autotask adjustment' },
        );
      } catch (error) {
        if (!isDayTaken(error) || shifts >= MAX_SHIFTS) throw error;
        day = firstFreeDate(addDays(day, 1), adjustmentDates(await readSlices(contractServiceId)));
      }
    }
  }

  async function apply(target: PsaTarget, contractServiceId: number, changes: readonly KeyedAdjustment[]): Promise<AppliedOperation[]> {
    // Changes for one day are one adjustment (Autotask keeps one per day): grouped, in order of first appearance.
    const byDay = new Map<IsoDate, KeyedAdjustment[]>();
    for (const c of changes) byDay.set(c.change.effectiveDate, [...(byDay.get(c.change.effectiveDate) ?? []), c]);
    const changeOf = new Map(changes.map((c) => [c.keyed, c.change]));
    const results = new Map<string, AppliedOperation>();
    for (const [day, group] of byDay) {
      const applied = await journaledWrite<IsoDate>(deps.journal, {
        members: group.map((c) => c.keyed),
        write: async (open, resumed) => {
          const unitChange = open.reduce((n, m) => n + changeOf.get(m)!.unitChange, 0);
          if (unitChange === 0) return day; // changes that cancel out: nothing to write
          if (resumed) {
            const found = await landed(contractServiceId, day, unitChange);
            if (found) {
              logger.info('autotask adjustment found after an unfinished write', { contractServiceId, effectiveDate: found });
              return found;
            }
          }
          return post(target, contractServiceId, group[0]!.change.serviceKey, day, unitChange);
        },
        applied: (member, postDate) => {
          const change = changeOf.get(member)!;
          return {
            lineKey: change.serviceKey,
            psaId: contractServiceId,
            effectiveDate: postDate,
            ...(postDate !== change.effectiveDate ? { shiftedFrom: change.effectiveDate } : {}),
          };
        },
        recorded: (result) => result.effectiveDate ?? day,
      });
      for (const r of applied) results.set(r.idempotencyKey, r);
    }
    return changes.map((c) => results.get(c.keyed.idempotencyKey)!);
  }

  return { apply, readSlices, readSlicesOf };
}
