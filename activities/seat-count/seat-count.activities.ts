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
 * These lines belong to the seat-count job alone: only a subscription whose billing mode is
 * `seat-count` is billed here (docs/billing-modes.md), and its subscription workflow writes none.
 * The lines are built by domain/seat-count-lines.ts, which `plan` runs too.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { billingOrStandard } from '../../domain/billing-mode';
import { monthOf, type IsoDate } from '../../domain/dates';
import { seatCountDecision, seatCountEndOperations, seatCountLineBefore, seatCountOperations, type SeatCountOperation, type SeatCountSubject } from '../../domain/seat-count-lines';
import type { KeyedOperation, PsaGateway, PsaTarget } from '../psa/psa-gateway.port';
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

const keyed = (key: string, ops: SeatCountOperation[]): KeyedOperation[] =>
  ops.map(({ part, operation }) => ({ idempotencyKey: part === 'contract-service' ? `${key}/contract-service` : key, operation }));

export function createSeatCountActivities(deps: SeatCountActivityDeps) {
  const { store } = deps;
  const usage = (): UsageCountRepository => {
    if (!deps.usage) throw ApplicationFailure.nonRetryable('this worker was started without a database for usage counts', 'SeatCountNotConfigured');
    return deps.usage;
  };

  async function write(connectionId: string, gateway: PsaGateway, target: PsaTarget, subscriptionId: string, ops: KeyedOperation[], lineIds: Record<string, number>) {
    const applied = await gateway.apply(target, ops, lineIds);
    await store.mappings.subscriptions.recordApplied(connectionId, subscriptionId, applied);
    return applied;
  }

  async function applyOne(connectionId: string, gateway: PsaGateway, subscriptionId: string, day: IsoDate): Promise<SeatCountResult> {
    const base = { subscriptionId };
    const mapping = await store.mappings.subscriptions.get(connectionId, subscriptionId);
    const target = mapping ? await resolvePsaTarget(store, connectionId, mapping) : null;
    if (!mapping || !target) return { ...base, outcome: 'skipped', reason: 'not mapped to an agreement' };
    const sub = await store.platform.getSubscription(connectionId, subscriptionId);
    const productId = mapping.productId ?? sub?.productId;
    if (!sub || !productId) return { ...base, outcome: 'skipped', reason: 'the platform has no such subscription' };
    const billing = billingOrStandard(mapping.billing);
    const state = await usage().getState(connectionId, subscriptionId);
    // docs/billing-modes.md: the mode decides. Another mode's subscription is billed only for the
    // days before it switched away from seat count, and its seat-count lines end on the switch day.
    const stillSeatCount = billing.mode !== 'seat-count' && state !== null && billing.from !== undefined && day < billing.from;
    const ending = billing.mode !== 'seat-count' && state !== null && state.billedQuantity > 0 && billing.from !== undefined && day >= billing.from;
    if (billing.mode !== 'seat-count' && !stillSeatCount && !ending) {
      return { ...base, outcome: 'skipped', reason: `billing mode is ${billing.mode}: its usage counts are not billed (map it with billing mode seat-count to bill them)` };
    }
    if (billing.mode === 'seat-count' && billing.from !== undefined && day < billing.from) {
      return { ...base, outcome: 'skipped', reason: `seat-count billing starts on ${billing.from} (the switch from ${billing.standardUntil ? 'standard' : 'another'} billing); until then the old mode bills` };
    }
    if (target.productIds[productId] === undefined) return { ...base, outcome: 'skipped', reason: `product ${productId} is not mapped` };
    const agreement = (await gateway.listAgreements(target.companyId)).find((a) => a.id === target.agreementId);
    if (!agreement) return { ...base, outcome: 'failed', reason: `agreement ${target.agreementId} not found on company ${target.companyId}` };
    const subject: SeatCountSubject = { subscriptionId, productId, unitPrice: sub.unitPrice, unitCost: sub.unitCost, endDate: sub.endDate, agreement };
    const lineIds = mapping.lineIds;

    if (ending) {
      const until = billing.from!;
      const lineKey = seatCountLineBefore(subject, until);
      const cancelledDate = gateway.psa === 'connectwise' && lineIds[lineKey] !== undefined ? ((await gateway.readLine(target, lineIds[lineKey]!)).cancelledDate ?? null) : undefined;
      const ops = seatCountEndOperations(gateway.psa, subject, state!.billedQuantity, until, cancelledDate);
      await write(connectionId, gateway, target, subscriptionId, keyed(`${seatCountIdempotencyKey(connectionId, subscriptionId, until)}/end`, ops), lineIds);
      await usage().saveState(connectionId, subscriptionId, { billedQuantity: 0, billedMonth: monthOf(day), lastUpdatedOn: day });
      return { ...base, outcome: 'updated', quantity: 0, effectiveDate: until, reason: `seat-count billing ended on ${until}: billing mode is now ${billing.mode}` };
    }

    const counts = await usage().countsFor(connectionId, subscriptionId, monthOf(day));
    if (counts.length === 0) return { ...base, outcome: 'skipped', reason: `no counts in ${monthOf(day)}` };
    const decision = seatCountDecision(subject, counts, state, day);
    const at = { quantity: decision.quantity, effectiveDate: decision.effectiveDate };
    if (!decision.update) return { ...base, ...at, outcome: 'unchanged', reason: decision.reason };

    const ops = seatCountOperations(gateway.psa, subject, decision, state?.billedQuantity ?? 0, (k) => lineIds[k] !== undefined, billing.mode === 'seat-count' ? billing.from : undefined);
    const applied = await write(connectionId, gateway, target, subscriptionId, keyed(seatCountIdempotencyKey(connectionId, subscriptionId, day), ops), lineIds);
    await usage().saveState(connectionId, subscriptionId, { billedQuantity: decision.quantity, billedMonth: monthOf(day), lastUpdatedOn: day });
    const shifted = applied.find((a) => a.shiftedFrom);
    return {
      ...base, ...at, outcome: 'updated',
      reason: `${decision.reason}${shifted ? ` (Autotask already held an adjustment on ${shifted.shiftedFrom}; posted on ${shifted.effectiveDate})` : ''}`,
    };
  }

  return {
    /**
     * Subscriptions with usage counts in the month of `day`, and those the job bills units for
     * now (a switch away from seat count ends them). Whether a subscription is billed is its
     * billing mode's decision (applySeatCounts says why one is skipped).
     */
    async listSeatCountSubscriptions(input: { connectionId: string; day: IsoDate }): Promise<string[]> {
      const ids = new Set([...(await usage().subscriptionsWithCounts(input.connectionId, monthOf(input.day))), ...(await usage().subscriptionsBilled(input.connectionId))]);
      return [...ids].sort();
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
