/**
 * What the sandboxes hold for a subscription, read from the sandbox itself and named by the
 * planner keys the connector reports in its state (test/support/plan-agreement.ts compares it
 * with the plan). A line the connector does not know is kept under `unknown:<id>`, so a
 * duplicate line fails the comparison.
 */
import type { SubscriptionWorkflowState } from '../../contracts/subscription';
import { moneyFromJsonNumber } from '../../domain/money';
import type { AutotaskSandbox } from '../../sandbox/autotask/server';
import type { ConnectWiseSandbox } from '../../sandbox/connectwise/server';
import type { LiveAtService, LiveCwLine } from './plan-agreement';

const day = (v: unknown): string | null => (v === null || v === undefined ? null : String(v).slice(0, 10));
/** An addition's description without the connector's leading operation tag (`op:<16 hex> `). */
const describedAs = (description: unknown): string => String(description ?? '').replace(/^op:[0-9a-f]{16} /, '');
const isOf = (subscriptionId: string) => (a: Record<string, unknown>) => {
  // `sub <id> | …` (docs/mapping.md "Line descriptions"), or a test's own placement text starting with the id.
  const text = describedAs(a.description).replace(/^sub /, '');
  return text === subscriptionId || text.startsWith(`${subscriptionId} `);
};

type CwAdditionRecord = ConnectWiseSandbox['state']['additions'][number];
function toLive(a: CwAdditionRecord, keys: Map<number, string>, productOf: (catalogId: number) => string): LiveCwLine {
  return {
    lineKey: keys.get(a.id as number) ?? `unknown:${String(a.id)}`,
    productId: productOf((a.product as { id: number }).id),
    quantity: a.quantity as number,
    unitPrice: moneyFromJsonNumber((a.unitPrice as number) ?? 0),
    unitCost: moneyFromJsonNumber((a.unitCost as number) ?? 0),
    effectiveDate: day(a.effectiveDate)!,
    cancelledDate: day(a.cancelledDate),
  };
}
const keysById = (state: SubscriptionWorkflowState) => new Map(Object.entries(state.lineIds).map(([k, id]) => [id, k]));

/** Lines on the sandbox whose description names the subscription; `productOf` maps a catalog item id to a platform product id. */
export function cwLiveLines(cw: ConnectWiseSandbox, state: SubscriptionWorkflowState, productOf: (catalogId: number) => string): LiveCwLine[] {
  const keys = keysById(state);
  return cw.state.additions.filter(isOf(state.subscriptionId)).map((a) => toLive(a, keys, productOf));
}

/** Every addition on one agreement, named by the line keys of the given states (S1 and its S2s). */
export function cwAgreementLines(cw: ConnectWiseSandbox, agreementId: number, states: readonly SubscriptionWorkflowState[], productOf: (catalogId: number) => string): LiveCwLine[] {
  const keys = new Map(states.flatMap((s) => [...keysById(s)]));
  return cw.state.additions.filter((a) => a.agreementId === agreementId).map((a) => toLive(a, keys, productOf));
}

/** Contract services the connector created for the subscription, with the sandbox's adjustments mapped to the dates they were meant for. */
export function atLiveServices(at: AutotaskSandbox, state: SubscriptionWorkflowState): LiveAtService[] {
  return Object.entries(state.held.autotask).map(([serviceKey, held]) => {
    const cs = at.state.contractServices.find((c) => c.id === held.psaId);
    if (!cs) throw new Error(`contract service ${held.psaId} (${serviceKey}) is not in the sandbox`);
    const meant = new Map(held.adjustments.map((a) => [a.postedOn, a.forDate]));
    const netByDate: Record<string, number> = {};
    for (const a of at.state.adjustments.filter((x) => x.contractServiceID === held.psaId)) {
      const posted = day(a.effectiveDate)!;
      const forDate = meant.get(posted) ?? `unknown:${posted}`;
      netByDate[forDate] = (netByDate[forDate] ?? 0) + Number(a.unitChange);
    }
    return { serviceKey, productId: held.productId, unitPrice: moneyFromJsonNumber(Number(cs.adjustedPrice ?? cs.unitPrice ?? 0)), unitCost: held.unitCost, netByDate };
  });
}
