/**
 * §7 seat count / high-water mark: once a day, for each subscription with usage counts this
 * month, bill the month's highest daily count — writing the PSA only when it rose (or on the
 * first count of a month), effective the start of the current billing period (§5: bypassing
 * Autotask proration). The decision is domain/seat-count.ts `seatCountUpdate`; the write goes
 * through the gateway's journaled `apply` with keys `seat-count/<conn>/<sub>/<day>`, so a retry
 * never writes twice.
 *
 * Lines (our decision; the spec names none): ConnectWise — one addition per billing period,
 * line key `<sub>/<product>/seat-count/<periodStart>`, created with the first count of the
 * period and its quantity raised in place; Autotask — one contract service per subscription,
 * `<sub>/<product>/seat-count`, whose units move by an adjustment dated the period start.
 * These lines belong to the seat-count job alone: a seat-count subscription is mapped (company,
 * agreement, product) but receives no lifecycle events, so the subscription workflow writes none.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { addDays, minDate, monthOf, type IsoDate } from '../../domain/dates';
import type { KeyedOperation, PsaGateway } from '../psa/psa-gateway.port';
import { currentBillingPeriodStart, seatCountUpdate } from '../../domain/seat-count';
import type { GatewayRegistry } from '../psa/gateway-registry';
import { withFailureTypes } from '../psa-failure';
import { resolvePsaTarget } from '../psa-targets';
import type { Store } from '../store';
import type { UsageCountRepository } from './usage-counts';

export interface SeatCountResult {
  subscriptionId: string;
  outcome: 'updated' | 'unchanged' | 'skipped' | 'failed';
  quantity?: number;
  effectiveDate?: IsoDate;
  reason: string;
}

export interface SeatCountActivityDeps {
  store: Store;
  gateways: GatewayRegistry;
  /** Absent on workers started without a database handle: the activities then fail, non-retryable. */
  usage?: UsageCountRepository;
}

export function seatCountIdempotencyKey(connectionId: string, subscriptionId: string, day: IsoDate): string {
  return `seat-count/${connectionId}/${subscriptionId}/${day}`;
}

/** First day of the billing period after the one starting `start` (periods are 28–31 or 365–366 days). */
const nextPeriodStart = (periodType: 'monthly' | 'yearly', anchor: IsoDate, start: IsoDate): IsoDate =>
  currentBillingPeriodStart(periodType, anchor, addDays(start, periodType === 'monthly' ? 31 : 366));

export function createSeatCountActivities(deps: SeatCountActivityDeps) {
  const { store } = deps;
  const usage = (): UsageCountRepository => {
    if (!deps.usage) throw ApplicationFailure.nonRetryable('this worker was started without a database for usage counts', 'SeatCountNotConfigured');
    return deps.usage;
  };

  async function applyOne(connectionId: string, gateway: PsaGateway, subscriptionId: string, day: IsoDate): Promise<SeatCountResult> {
    const base = { subscriptionId };
    const mapping = await store.mappings.subscriptions.get(connectionId, subscriptionId);
    const target = mapping ? await resolvePsaTarget(store, connectionId, mapping) : null;
    if (!mapping || !target) return { ...base, outcome: 'skipped', reason: 'not mapped to an agreement' };
    const sub = await store.platform.getSubscription(connectionId, subscriptionId);
    const productId = mapping.productId ?? sub?.productId;
    if (!sub || !productId) return { ...base, outcome: 'skipped', reason: 'the platform has no such subscription' };
    if (target.productIds[productId] === undefined) return { ...base, outcome: 'skipped', reason: `product ${productId} is not mapped` };
    const agreement = (await gateway.listAgreements(target.companyId)).find((a) => a.id === target.agreementId);
    if (!agreement) return { ...base, outcome: 'failed', reason: `agreement ${target.agreementId} not found on company ${target.companyId}` };

    const state = await usage().getState(connectionId, subscriptionId);
    const counts = await usage().countsFor(connectionId, subscriptionId, monthOf(day));
    if (counts.length === 0) return { ...base, outcome: 'skipped', reason: `no counts in ${monthOf(day)}` };
    const decision = seatCountUpdate({
      counts,
      today: day,
      billedQuantity: state?.billedQuantity ?? 0,
      billedMonth: state?.billedMonth ?? null,
      lastUpdatedOn: state?.lastUpdatedOn ?? null,
      periodType: agreement.periodType,
      periodAnchor: agreement.startDate,
    });
    const at = { quantity: decision.quantity, effectiveDate: decision.effectiveDate };
    if (!decision.update) return { ...base, ...at, outcome: 'unchanged', reason: decision.reason };

    const key = seatCountIdempotencyKey(connectionId, subscriptionId, day);
    const lineIds = mapping.lineIds;
    const ops: KeyedOperation[] = [];
    if (gateway.psa === 'connectwise') {
      const lineKey = `${subscriptionId}/${productId}/seat-count/${decision.effectiveDate}`;
      if (lineIds[lineKey] !== undefined) {
        ops.push({ idempotencyKey: key, operation: { type: 'cw.update-addition', lineKey, set: { quantity: decision.quantity } } });
      } else {
        const periodEnd = addDays(nextPeriodStart(agreement.periodType, agreement.startDate, decision.effectiveDate), -1);
        ops.push({
          idempotencyKey: key,
          operation: {
            type: 'cw.create-addition',
            addition: {
              lineKey, subscriptionId, productId, kind: 'base',
              quantity: decision.quantity, unitPrice: sub.unitPrice, unitCost: sub.unitCost,
              effectiveDate: decision.effectiveDate,
              cancelledDate: sub.endDate ? minDate(periodEnd, sub.endDate) : periodEnd,
            },
          },
        });
      }
    } else {
      const serviceKey = `${subscriptionId}/${productId}/seat-count`;
      if (lineIds[serviceKey] === undefined) {
        ops.push({
          idempotencyKey: `${key}/contract-service`,
          operation: { type: 'at.create-contract-service', service: { serviceKey, subscriptionId, productId, unitPrice: sub.unitPrice, unitCost: sub.unitCost } },
        });
      }
      // Units are cumulative: move them from what is billed now to the new high-water mark.
      const unitChange = decision.quantity - (state?.billedQuantity ?? 0);
      if (unitChange !== 0) ops.push({ idempotencyKey: key, operation: { type: 'at.adjust-units', serviceKey, effectiveDate: decision.effectiveDate, unitChange } });
    }
    const applied = await gateway.apply(target, ops, lineIds);
    await store.mappings.subscriptions.recordApplied(connectionId, subscriptionId, applied);
    await usage().saveState(connectionId, subscriptionId, { billedQuantity: decision.quantity, billedMonth: monthOf(day), lastUpdatedOn: day });
    const shifted = applied.find((a) => a.shiftedFrom);
    return {
      ...base, ...at, outcome: 'updated',
      reason: `${decision.reason}${shifted ? ` (Autotask already held an adjustment on ${shifted.shiftedFrom}; posted on ${shifted.effectiveDate})` : ''}`,
    };
  }

  return {
    /** Subscriptions with usage counts in the month of `day`. */
    async listSeatCountSubscriptions(input: { connectionId: string; day: IsoDate }): Promise<string[]> {
      return usage().subscriptionsWithCounts(input.connectionId, monthOf(input.day));
    },

    /**
     * Applies the day's seat count of each subscription. A PSA refusal fails that subscription
     * (recorded on its mapping) and the others go on; a transient error retries the activity,
     * and subscriptions already updated today are `unchanged` on the retry.
     */
    async applySeatCounts(input: { connectionId: string; subscriptionIds: string[]; day: IsoDate }): Promise<SeatCountResult[]> {
      const gateway = await withFailureTypes(() => deps.gateways.forConnection(input.connectionId));
      const out: SeatCountResult[] = [];
      for (const subscriptionId of input.subscriptionIds) {
        try {
          out.push(await withFailureTypes(() => applyOne(input.connectionId, gateway, subscriptionId, input.day)));
        } catch (e) {
          if (!(e instanceof ApplicationFailure) || !e.nonRetryable) throw e;
          await store.mappings.subscriptions.markFailed(input.connectionId, subscriptionId, `seat-count update failed: ${e.message}`);
          out.push({ subscriptionId, outcome: 'failed', reason: e.message });
        }
      }
      return out;
    },
  };
}

export type SeatCountActivities = ReturnType<typeof createSeatCountActivities>;
