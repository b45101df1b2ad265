/**
 * "Every subscription ends as `plan` says" for a benchmark's ConnectWise subscriptions: the
 * lines on the subscription's agreement (each bench subscription has an agreement of its own)
 * against the plan the admin API's `POST /api/plan` computes for the events the driver sent,
 * sorted by date, on the placement the workflow reports. Lines with quantity 0 (history kept
 * after a correction) are left out on both sides; any other difference — a missing, extra or
 * duplicated line, another quantity, price or date — is reported. (The idea of
 * test/support/plan-agreement.ts, as a plain comparison of line values.)
 */
import type { RunContext } from './context';
import { requestJson } from './http';
import { mapLimit } from './stats';
import type { BenchConnection, BenchSubscription } from './world';

interface PlanAddition {
  subscriptionId: string;
  quantity: number;
  unitPrice: string;
  unitCost: string;
  effectiveDate: string;
  cancelledDate: string | null;
}
interface SandboxAddition {
  agreementId: number;
  quantity: number;
  unitPrice?: number;
  unitCost?: number;
  effectiveDate?: string;
  cancelledDate?: string;
}

const day = (v: string | null | undefined) => (v ? v.slice(0, 10) : '-');
const lineText = (q: number, price: number, cost: number, from: string, to: string) => `${q} × ${price.toFixed(2)}/${cost.toFixed(2)} ${from}…${to}`;

export async function planMismatches(ctx: RunContext, conn: BenchConnection, subs: readonly BenchSubscription[]): Promise<string[]> {
  if (conn.psa !== 'connectwise') throw new Error('the plan check compares ConnectWise lines');
  const { additions } = await requestJson<{ additions: SandboxAddition[] }>('GET', `${ctx.stack.cw.url}/__sandbox/state`, {});
  const byAgreement = new Map<number, SandboxAddition[]>();
  for (const a of additions) byAgreement.set(a.agreementId, [...(byAgreement.get(a.agreementId) ?? []), a]);

  const problems = await mapLimit(subs, 4, async (sub): Promise<string[]> => {
    const state = await ctx.stack.platform.state(conn.id, sub.id, { timeoutMs: 15_000 });
    if (!state.placement) return [`${sub.id}: not placed on an agreement`];
    const events = sub.sent.map((e, i) => ({ ...e, i })).sort((a, b) => (a.event.date === b.event.date ? a.i - b.i : String(a.event.date) < String(b.event.date) ? -1 : 1));
    const plan = await ctx.world.api.call<{ connectwise: { additions: PlanAddition[] } }>('POST', `/api/plan?asOf=${ctx.dates.today}`, {
      psa: 'connectwise',
      rules: state.placement.rules,
      agreement: state.placement.agreement,
      subscription: sub.report.subscription,
      events: events.map((e) => e.event),
      asOf: ctx.dates.today,
    });
    const want = plan.connectwise.additions
      .filter((a) => a.subscriptionId === sub.id && a.quantity !== 0)
      .map((a) => lineText(a.quantity, Number(a.unitPrice), Number(a.unitCost), a.effectiveDate, a.cancelledDate ?? '-'))
      .sort();
    const have = (byAgreement.get(sub.slot.agreementId) ?? [])
      .filter((a) => a.quantity !== 0)
      .map((a) => lineText(a.quantity, a.unitPrice ?? 0, a.unitCost ?? 0, day(a.effectiveDate), day(a.cancelledDate)))
      .sort();
    return JSON.stringify(have) === JSON.stringify(want) ? [] : [`${sub.id}: the PSA has [${have.join('; ')}], plan says [${want.join('; ')}]`];
  });
  return problems.flat();
}
