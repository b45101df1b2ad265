/**
 * Bundles (docs/billing-modes.md "Bundles", §7 bundled billing): an admin defines, on a
 * connection, ONE PSA line — company, agreement/contract, catalog item/service — that bills
 * several member subscriptions together (quantity-only | average | total). Members are platform
 * subscription ids (not products: a line lives on one company's agreement, and a product is sold
 * to many companies); each member is mapped onto the bundle's agreement in mode `bundled`, so its
 * workflow writes no lines of its own and sends its billed values to the bundle's workflow,
 * which writes the line.
 *
 * Decisions: a member must not have billed on its own (its lines would double-bill with the
 * bundle's); deleting a bundle that never billed releases its members (unmapped); deleting one
 * that billed is refused unless `force`, which ends its line on the first of next month and
 * bills the members on their own (standard) from that day, on the bundle's agreement.
 */
import { z } from 'zod';
import { BundleModeSchema } from '../../domain/bundling';
import { switchDay, type Billing } from '../../domain/billing-mode';
import { addDays } from '../../domain/dates';
import { mappingProblems } from '../../domain/connectwise-projection';
import { MoneySchema } from '../../domain/schemas';
import type { Problem } from '../../domain/problems';
import { bundleWorkflowId } from '../../contracts/bundle';
import type { SubscriptionPlacement } from '../../contracts/subscription';
import { effectiveDateRules, parseInput, type BundleRecord, type Connection } from '../../activities/store';
import { ConflictError, invalid, NotFoundError, normalizeErrors } from './mapping-errors';
import type { MappingServiceDeps } from './mapping-service.deps';
import { BILL_CUSTOMER, PlatformIdSchema } from './mapping-service.schemas';
import { domainSubscription } from './mapping-service.services';

const psaRecordId = z
  .number({ required_error: 'is required', invalid_type_error: 'must be a PSA record id (a whole number)' })
  .int('must be a whole number')
  .positive('must be a positive PSA record id');

export const CreateBundleInputSchema = z
  .object({
    id: z.string({ required_error: 'is required', invalid_type_error: 'must be a string' }).regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a slug: lowercase letters, digits and dashes, at most 63 characters'),
    name: z.string({ required_error: 'is required', invalid_type_error: 'must be a string' }).trim().min(1, 'must not be empty').max(200, 'is too long'),
    /** Default: the company the members' customers are mapped to. */
    companyId: psaRecordId.optional(),
    agreementId: psaRecordId,
    /** ConnectWise catalog item id / Autotask service id the bundle line bills. */
    psaProductId: psaRecordId,
    mode: BundleModeSchema,
    unitPrice: MoneySchema.optional(),
    unitCost: MoneySchema.optional(),
    members: z.array(PlatformIdSchema, { required_error: 'is required', invalid_type_error: 'must be a list of platform subscription ids' }).min(1, 'must hold at least one subscription').max(100, 'at most 100 members'),
    description: z.string({ invalid_type_error: 'must be a string' }).trim().min(1, 'must not be empty').max(500, 'is too long').optional(),
    billCustomer: z.enum(BILL_CUSTOMER, { errorMap: () => ({ message: `must be one of ${BILL_CUSTOMER.join(', ')}` }) }).optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    for (const f of ['unitPrice', 'unitCost'] as const) {
      if (b.mode === 'quantity-only' && b[f] === undefined) ctx.addIssue({ code: 'custom', path: [f], message: 'is required in mode quantity-only (the bundle line bills the summed quantity at this price)' });
      if (b.mode !== 'quantity-only' && b[f] !== undefined) ctx.addIssue({ code: 'custom', path: [f], message: `is not accepted in mode ${b.mode}: the members' prices make it` });
    }
    b.members.forEach((m, i) => {
      const first = b.members.indexOf(m);
      if (first !== i) ctx.addIssue({ code: 'custom', path: ['members', i], message: `is ${m}, already members[${first}]` });
    });
  });
export type CreateBundleInput = z.input<typeof CreateBundleInputSchema>;

export const DeleteBundleQuerySchema = z.object({ force: z.enum(['true', 'false'], { errorMap: () => ({ message: 'must be true or false' }) }).optional() }).strict();

export function createBundleOperations(deps: MappingServiceDeps) {
  const { store } = deps;
  const subs = store.mappings.subscriptions;
  const today = () => (deps.now?.() ?? new Date()).toISOString().slice(0, 10);
  const messenger = () => {
    if (!deps.bundles) throw new Error('this admin service was built without a way to reach bundle workflows');
    return deps.bundles;
  };

  async function connection(connectionId: string): Promise<Connection> {
    const conn = await store.connections.get(connectionId);
    if (!conn) throw new NotFoundError('connection', connectionId);
    return conn;
  }
  async function bundle(connectionId: string, id: string): Promise<BundleRecord> {
    await connection(connectionId);
    const b = await store.bundles.get(connectionId, id);
    if (!b) throw new NotFoundError('bundle', `${connectionId}/${id}`);
    return b;
  }
  /** Every subscription billing through the bundle: its members, and the partial upgrades' new subscriptions that joined it. */
  async function membersOf(b: BundleRecord): Promise<string[]> {
    const state = await messenger().state(b.connectionId, b.id, { timeoutMs: deps.stateQueryTimeoutMs ?? 5_000 }).catch(() => null);
    return [...new Set([...b.members, ...Object.keys(state?.members ?? {})])];
  }
  const placementOf = (conn: Connection, b: Pick<BundleRecord, 'companyId' | 'agreementId' | 'agreement'>, description: string, billing: Billing): SubscriptionPlacement => ({
    psa: conn.psa, companyId: b.companyId, agreementId: b.agreementId, agreement: b.agreement, rules: effectiveDateRules(conn.rules), description, billing,
  });

  return {
    async list(connectionId: string, query: { limit?: string; skip?: string } = {}) {
      await connection(connectionId);
      return store.bundles.list(connectionId, { ...(query.limit ? { limit: Number(query.limit) } : {}), ...(query.skip ? { skip: Number(query.skip) } : {}) });
    },

    /** The bundle, and its workflow's state (members' values, the line's values and ledger, what the PSA holds). */
    async show(connectionId: string, id: string) {
      const b = await bundle(connectionId, id);
      let state = null;
      let stateError: string | undefined;
      try {
        state = await messenger().state(connectionId, id, { timeoutMs: deps.stateQueryTimeoutMs ?? 5_000 });
      } catch (e) {
        stateError = e instanceof Error ? e.message : String(e);
      }
      return { bundle: b, workflowId: bundleWorkflowId(connectionId, id), state, ...(stateError ? { stateError } : {}) };
    },

    /** Validates the definition (every problem with its field), records it, maps the members onto it, starts its workflow. */
    async create(connectionId: string, input: unknown) {
      const conn = await connection(connectionId);
      const d = parseInput(CreateBundleInputSchema, input);
      if (await store.bundles.get(connectionId, d.id)) throw new ConflictError(`bundle "${d.id}" already exists on connection "${connectionId}"`);
      const problems: Problem[] = [];
      const platform = await Promise.all(d.members.map((m) => store.platform.getSubscription(connectionId, m)));
      const companies = new Set<number>();
      const billed: string[] = [];
      for (const [i, m] of d.members.entries()) {
        const s = platform[i];
        if (!s) {
          problems.push({ path: `members[${i}]`, message: `no platform subscription "${m}" is reported on connection "${connectionId}"` });
          continue;
        }
        const other = await store.bundles.memberOf(connectionId, m);
        if (other) problems.push({ path: `members[${i}]`, message: `subscription "${m}" is already a member of bundle "${other.id}"` });
        const customer = await store.mappings.customers.get(connectionId, s.customerId);
        if (customer?.linked && customer.psaId !== undefined) {
          companies.add(customer.psaId);
          if (d.companyId !== undefined && customer.psaId !== d.companyId) {
            problems.push({ path: `members[${i}]`, message: `subscription "${m}" is customer "${s.customerId}"'s, which is mapped to company ${customer.psaId}, not ${d.companyId}` });
          }
        }
        const mapping = await subs.get(connectionId, m);
        const lines = Object.keys(mapping?.lineIds ?? {}).length;
        if (lines > 0) billed.push(`"${m}" (${lines} line(s), ${mapping?.billing?.mode ?? 'standard'})`);
      }
      const companyId = d.companyId ?? (companies.size === 1 ? [...companies][0]! : undefined);
      if (companyId === undefined) {
        problems.push({ path: 'companyId', message: companies.size > 1 ? `is required: the members' customers are mapped to several companies (${[...companies].join(', ')})` : "is required: no member's customer is mapped to a PSA company" });
      }
      const agreement = companyId === undefined ? undefined : (await (await deps.gateways.forConnection(connectionId)).listAgreements(companyId)).find((a) => a.id === d.agreementId);
      if (companyId !== undefined && !agreement) problems.push({ path: 'agreementId', message: `agreement ${d.agreementId} is not one of company ${companyId}'s agreements` });
      if (agreement) {
        for (const [i, s] of platform.entries()) {
          if (s) for (const p of mappingProblems(agreement, domainSubscription(s))) problems.push({ path: `members[${i}]`, message: p.message });
        }
      }
      if (problems.length > 0) throw invalid(...problems);
      if (billed.length > 0) {
        throw new ConflictError(`subscription(s) ${billed.join(', ')} already bill on their own; a bundle takes only subscriptions that have not billed yet (their lines would bill twice)`);
      }

      const description = d.description ?? `bundle-${d.id} ${d.name}`;
      const record = await store.bundles.create({
        connectionId, id: d.id, name: d.name, psa: conn.psa, companyId: companyId!, agreementId: d.agreementId,
        agreement: { startDate: agreement!.startDate, periodType: agreement!.periodType }, psaProductId: d.psaProductId, mode: d.mode,
        ...(d.unitPrice !== undefined ? { unitPrice: d.unitPrice } : {}), ...(d.unitCost !== undefined ? { unitCost: d.unitCost } : {}),
        members: d.members, description, ...(d.billCustomer ? { billCustomer: d.billCustomer } : {}),
      });
      const billing: Billing = { mode: 'bundled', bundleId: d.id };
      for (const m of d.members) {
        const memberDescription = `${m} (bundle ${d.id})`;
        await subs.markMapped(connectionId, m, { companyId: companyId!, agreementId: d.agreementId, productIds: {}, description: memberDescription, billing });
        await normalizeErrors(() => deps.platform.place(connectionId, m, placementOf(conn, record, memberDescription, billing)));
      }
      await messenger().changed(connectionId, d.id);
      return { bundle: record, workflowId: bundleWorkflowId(connectionId, d.id) };
    },

    /** See the file comment: an unbilled bundle is removed and its members released; a billed one ends only with `force`. */
    async delete(connectionId: string, id: string, query: unknown = {}) {
      const conn = await connection(connectionId);
      const { force } = parseInput(DeleteBundleQuerySchema, query ?? {});
      const b = await bundle(connectionId, id);
      if (b.status === 'ended') throw new ConflictError(`bundle "${id}" was ended already: its line stops billing on ${b.endFrom}`);
      const members = await membersOf(b);
      const lines = Object.keys(b.lineIds).length;
      if (lines === 0) {
        await store.bundles.remove(connectionId, id);
        for (const m of members) {
          const mapping = await subs.get(connectionId, m);
          if (mapping?.billing?.mode !== 'bundled' || mapping.billing.bundleId !== id) continue;
          await subs.disconnect(connectionId, m);
          if (await deps.platform.exists(connectionId, m)) await normalizeErrors(() => deps.platform.place(connectionId, m, null));
        }
        await messenger().changed(connectionId, id);
        return { deleted: true, bundleId: id, released: members, note: 'the bundle never billed: its members are unmapped; map them again as they should bill' };
      }
      const on = switchDay(today());
      if (force !== 'true') {
        throw new ConflictError(
          `bundle "${id}" bills through ${lines} PSA line(s); deleting it ends its line: give force (CLI --force) to end it on ${on} (it bills through ${addDays(on, -1)}) and bill its ${members.length} member(s) on their own (standard) from ${on}`,
        );
      }
      const record = await store.bundles.end(connectionId, id, on);
      const billing: Billing = { mode: 'standard', from: on };
      const warnings: string[] = [];
      for (const m of members) {
        const mapping = await subs.get(connectionId, m);
        const s = await store.platform.getSubscription(connectionId, m);
        const product = s ? await store.mappings.products.get(connectionId, s.productId) : null;
        if (!product?.linked) warnings.push(`subscription "${m}": its product ${s?.productId ?? '?'} is not mapped; map it, or its own lines cannot be written from ${on}`);
        const description = mapping?.description ?? m;
        await subs.markMapped(connectionId, m, { companyId: b.companyId, agreementId: b.agreementId, productIds: s && product?.psaId !== undefined ? { [s.productId]: product.psaId } : {}, description, billing });
        await normalizeErrors(() => deps.platform.place(connectionId, m, placementOf(conn, b, description, billing)));
      }
      await messenger().changed(connectionId, id);
      return { ended: true, bundle: record, endFrom: on, members, warnings };
    },
  };
}
