/**
 * The billing engine behind `plan` (and the subscription workflow):
 * - one subscription with 1,000 events (a ledger that grows long);
 * - 10,000 subscriptions of 20 events each (a connection's worth of plans).
 */
import type { BenchCase } from './run';
import { addDays, planScenario, type ScenarioInput, type SubscriptionEventInput } from '../domain';

/** Deterministic pseudo-random numbers (no Math.random: figures must be repeatable). */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function makeScenario(id: string, events: number, seed: number): ScenarioInput {
  const r = rng(seed);
  const start = addDays('2026-01-01', Math.floor(r() * 28));
  const out: SubscriptionEventInput[] = [];
  let date = start;
  let qty = 10;
  let product = 0;
  const gap = Math.max(1, Math.floor((3 * 365) / events));
  for (let i = 0; i < events; i++) {
    date = addDays(date, Math.floor(r() * gap * 2));
    const roll = r();
    if (roll < 0.85 || i === events - 1) {
      qty = Math.max(0, qty + Math.floor(r() * 9) - 4);
      out.push({ type: 'quantity-changed', date, quantity: qty });
    } else if (roll < 0.9) {
      product++;
      out.push({ type: 'full-upgrade', date, productId: `plan-${product}`, unitPrice: `${20 + product}.00`, unitCost: `${17 + product}.50` });
    } else if (roll < 0.95) {
      out.push({ type: 'price-changed', date, unitPrice: `${21 + product}.25`, unitCost: `${18 + product}.10` });
    } else if (qty > 1) {
      out.push({
        type: 'partial-upgrade',
        date,
        quantity: 1,
        newSubscription: { id: `${id}-s2-${i}`, productId: 'premium', unitPrice: '57.00', unitCost: '48.45', endDate: addDays(date, 365) },
      });
      qty -= 1;
    }
  }
  return {
    psa: 'connectwise',
    rules: { positiveChange: r() < 0.5 ? 'actual-date' : 'first-of-month', negativeChange: r() < 0.5 ? 'actual-date' : 'first-of-next-month', cancellation: 'cancellation-date' },
    agreement: { startDate: '2026-01-01', periodType: 'monthly' },
    subscription: {
      id,
      productId: 'plan-0',
      quantity: 10,
      unitPrice: '22.00',
      unitCost: '18.70',
      startDate: start,
      endDate: null,
      billingFrequency: 'monthly',
      autoRenew: true,
      kind: 'saas',
    },
    events: out,
  };
}

const cases: BenchCase[] = [
  {
    name: 'plan: 1 subscription × 1,000 events',
    iterations: 5,
    ops: 1000,
    opsLabel: 'event',
    setup: () => makeScenario('big', 1000, 42),
    run: (s) => planScenario(s as ScenarioInput),
  },
  {
    name: 'plan: 10,000 subscriptions × 20 events',
    iterations: 3,
    ops: 10_000,
    opsLabel: 'subscription',
    setup: () => Array.from({ length: 10_000 }, (_, i) => makeScenario(`sub-${i}`, 20, i + 1)),
    run: (all) => {
      for (const s of all as ScenarioInput[]) planScenario(s);
    },
  },
];
export default cases;
