/**
 * The input of `plan` for a bundle (docs/billing-modes.md "Bundles"): several members'
 * scenarios on the bundle's agreement and rules, and the bundle's terms (plan.ts `planBundle`
 * shows the bundle's ONE line):
 *
 *   { "bundle": { "id", "mode", "unitPrice"?, "unitCost"? }, "agreement", "rules"?,
 *     "members": [{ "subscription", "events"? }, ...], "asOf"? }
 */
import { z } from 'zod';
import { BundleTermsSchema } from './bundle-billing';
import { zodProblems, type Problem } from './problems';
import { ScenarioSchema, type Scenario } from './scenario';
import { AgreementSchema, IsoDateSchema, PsaKindSchema, SyncRulesSchema } from './schemas';

const BundlePlanShape = z
  .object({
    psa: PsaKindSchema.optional(),
    rules: SyncRulesSchema.default({}),
    agreement: AgreementSchema,
    bundle: BundleTermsSchema,
    members: z
      .array(z.object({ subscription: z.unknown(), events: z.unknown().optional() }).strict(), { required_error: 'is required', invalid_type_error: 'must be a list of { subscription, events }' })
      .min(1, 'must hold at least one member subscription')
      .max(100, 'at most 100 members'),
    asOf: IsoDateSchema.optional(),
  })
  .strict();

/** Validates a bundle plan input; every problem with its path (members' as `members[i].…`). */
export function parseBundlePlan(input: unknown): { ok: true; value: z.infer<typeof BundlePlanShape> & { scenarios: Scenario[] } } | { ok: false; problems: Problem[] } {
  const shape = BundlePlanShape.safeParse(input);
  if (!shape.success) return { ok: false, problems: zodProblems(shape.error) };
  const problems: Problem[] = [];
  const scenarios: Scenario[] = [];
  const ids = new Map<string, number>();
  shape.data.members.forEach((m, i) => {
    const id = (m.subscription as { id?: unknown } | null)?.id;
    const seen = typeof id === 'string' ? ids.get(id) : undefined;
    if (seen !== undefined) problems.push({ path: `members[${i}].subscription.id`, message: `is ${String(id)}, already members[${seen}]` });
    else if (typeof id === 'string') ids.set(id, i);
    const r = ScenarioSchema.safeParse({ rules: shape.data.rules, agreement: shape.data.agreement, subscription: m.subscription, events: m.events ?? [] });
    if (!r.success) {
      for (const p of zodProblems(r.error)) {
        const path = `members[${i}]${p.path ? `.${p.path}` : ''}`;
        if (!problems.some((q) => q.path === path && q.message === p.message)) problems.push({ path, message: p.message });
      }
      return;
    }
    scenarios.push(r.data);
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: { ...shape.data, scenarios } };
}
