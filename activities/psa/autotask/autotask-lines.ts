/**
 * Autotask's lines (docs/billing-rules.md §5, §6): contract services hold price and cost, units
 * change only through dated adjustments (autotask-adjustments.ts), and an accepted SaaS
 * reconciliation posts a one-off contract charge. Every write is journaled
 * (journaled-write.ts); contract services and charges are looked for before they are created,
 * so a write whose answer was lost is adopted, never made twice:
 * - contract services: Autotask keeps one per service per contract, so we look it up by
 *   contract id + service id (and adopt an existing one rather than create a second);
 * - charges: by the charge key at the end of their description.
 * Nothing is retried here: a transient error goes to the activity, whose retry (same keys)
 * resumes (docs/retries.md).
 */
import { z } from 'zod';
import { isoDateOf, type IsoDate } from '../../../domain/dates';
import { moneyEquals, moneyFromJsonNumber, moneyToJsonNumber, type Money } from '../../../domain/money';
import type { AtOperation } from '../../../domain/psa-operations';
import { psaDateTime, type Logger } from '../http';
import { journaledWrite, writeOrAdopt, type AppliedFields } from '../journaled-write';
import { psaLineText } from '../line-description-room';
import { descriptionFor, idGroups, type AppliedOperation, type KeyedOperation, type OperationJournal, type PsaLineFound, type PsaLines, type PsaLineSnapshot, type PsaTarget } from '../psa-gateway.port';
import { PsaSetupError } from '../psa-setup-error';
import { adjustmentDates, unitsOn, type UnitsSlice } from './adjustment-dates';
import { createAutotaskAdjustments, type KeyedAdjustment } from './autotask-adjustments';
import type { AutotaskClient } from './autotask-client';
import { q } from './autotask-query';
import { contractServiceSchema, serviceSchema, type AtContractServiceRow } from './autotask-schemas';
import { customerCurrencyPrice } from './contract-service-price';
import { CONCEPTS, type Picklists } from './picklists';

export interface AutotaskLinesDeps {
  client: AutotaskClient;
  picklists: Picklists;
  journal: OperationJournal;
  logger: Logger;
  now: () => number;
  /** Billing code of reconciliation charges when neither the connection nor the service names one. */
  defaultBillingCodeId: () => Promise<number>;
  /** Billing code of reconciliation charges; default: the billing code of the subscription's service. */
  chargeBillingCodeId?: number;
}

const contractChargeSchema = z.object({ id: z.number().int() }).passthrough();

export function createAutotaskLines(deps: AutotaskLinesDeps): PsaLines {
  const { client, picklists, journal, logger } = deps;
  const adjustments = createAutotaskAdjustments({ client, journal, logger });

  /** One operation, one journaled write. */
  const single = async (keyed: KeyedOperation, lineKey: string, write: () => Promise<Omit<AppliedFields, 'lineKey'>>): Promise<AppliedOperation> =>
    (await journaledWrite(journal, { members: [keyed], write, applied: (_m, outcome) => ({ lineKey, ...outcome }) }))[0]!;

  const findContractService = async (contractId: number, serviceId: number): Promise<AtContractServiceRow | null> =>
    (await client.query('ContractServices', { filter: [q.eq('contractID', contractId), q.eq('serviceID', serviceId)] }, contractServiceSchema, 1))[0] ?? null;

  async function setPrice(contractId: number, contractServiceId: number, unitPrice: Money): Promise<void> {
    await client.update(`/Contracts/${contractId}/Services`, { id: contractServiceId, adjustedPrice: moneyToJsonNumber(unitPrice) });
  }

  async function createContractService(target: PsaTarget, op: Extract<AtOperation, { type: 'at.create-contract-service' }>): Promise<{ psaId: number }> {
    const serviceId = target.productIds[op.service.productId];
    if (serviceId === undefined) throw new PsaSetupError(`no Autotask service mapped for product ${op.service.productId}`);
    // One contract service per service per contract: an existing one (ours from before a
    // crash, or the MSP's) is adopted instead of failing on a duplicate.
    const existing = await findContractService(target.agreementId, serviceId);
    if (existing) {
      if (!moneyEquals(customerCurrencyPrice(existing), op.service.unitPrice)) await setPrice(target.agreementId, existing.id, op.service.unitPrice);
      return { psaId: existing.id };
    }
    const id = await writeOrAdopt(
      () =>
        client.create(`/Contracts/${target.agreementId}/Services`, {
          contractID: target.agreementId,
          serviceID: serviceId,
          adjustedPrice: moneyToJsonNumber(op.service.unitPrice),
          // Autotask fills the cost from the service; sent for tenants that accept it.
          unitCost: moneyToJsonNumber(op.service.unitCost),
          // The text names this line's own product (an upgrade's new one), cut to the 100 characters Autotask keeps.
          internalDescription: psaLineText('autotask', descriptionFor(target, op.service.productId)),
        }),
      async () => (await findContractService(target.agreementId, serviceId))?.id ?? null,
      { logger, what: 'autotask contract service create' },
    );
    return { psaId: id };
  }

  async function chargeBillingCodeId(target: PsaTarget, productId: string): Promise<number> {
    if (deps.chargeBillingCodeId !== undefined) return deps.chargeBillingCodeId;
    const serviceId = target.productIds[productId];
    const service = serviceId === undefined ? null : await client.get('Services', serviceId, serviceSchema);
    return service?.billingCodeID ?? deps.defaultBillingCodeId();
  }

  /**
   * §6 accepted SaaS reconciliation: a one-off ContractCharge (quantity 1, the month's delta cost
   * and price). ContractCharges have no internal description, so the charge key goes at the end
   * of its `description` (a queryable field of the entity); we look for it before writing (like
   * contract services), so a write whose answer was lost is never posted twice. Autotask wants a
   * billing code or a product on a charge: the billing code of the subscription's service.
   */
  async function createContractCharge(target: PsaTarget, op: Extract<AtOperation, { type: 'at.create-contract-charge' }>): Promise<{ psaId: number }> {
    const c = op.charge;
    const tag = `[${c.chargeKey}]`;
    const look = async () =>
      (await client.query('ContractCharges', { filter: [q.eq('contractID', target.agreementId), q.contains('description', tag)] }, contractChargeSchema, 1))[0]?.id ?? null;
    const existing = await look();
    if (existing !== null) return { psaId: existing };
    const billingCodeID = await chargeBillingCodeId(target, c.productId);
    const chargeType = await picklists.valueOf('ContractCharges', 'chargeType', CONCEPTS.operationalCharge);
    const id = await writeOrAdopt(
      () =>
        client.create(`/Contracts/${target.agreementId}/Charges`, {
          contractID: target.agreementId,
          name: `Billing reconciliation ${c.date.slice(0, 7)}`,
          description: `${target.description} ${tag}`,
          chargeType,
          billingCodeID,
          datePurchased: psaDateTime(c.date),
          unitQuantity: c.quantity,
          unitCost: moneyToJsonNumber(c.unitCost),
          unitPrice: moneyToJsonNumber(c.unitPrice),
          isBillableToCompany: true,
        }),
      look,
      { logger, what: 'autotask contract charge create' },
    );
    return { psaId: id };
  }

  async function apply(target: PsaTarget, operations: KeyedOperation[], lineIds: Record<string, number>): Promise<AppliedOperation[]> {
    const ids: Record<string, number> = { ...lineIds };
    const results = new Map<string, AppliedOperation>();
    const changes = new Map<string, KeyedAdjustment[]>();
    const csIdOf = (serviceKey: string): number => {
      const csId = ids[serviceKey];
      if (csId === undefined) throw new PsaSetupError(`no Autotask contract service known for ${serviceKey}`);
      return csId;
    };
    // Contract services first, in plan order; their ids are what adjustments write against.
    for (const keyed of operations) {
      const op = keyed.operation;
      switch (op.type) {
        case 'at.create-contract-service': {
          const applied = await single(keyed, op.service.serviceKey, () => createContractService(target, op));
          if (applied.psaId !== null) ids[op.service.serviceKey] = applied.psaId;
          results.set(keyed.idempotencyKey, applied);
          break;
        }
        case 'at.update-contract-service': {
          const csId = csIdOf(op.serviceKey);
          // Only the price is writable on a contract service; its cost stays the service's. A
          // PATCH of a value is the same write twice, so a resumed key simply writes again.
          results.set(keyed.idempotencyKey, await single(keyed, op.serviceKey, async () => {
            await setPrice(target.agreementId, csId, op.unitPrice);
            return { psaId: csId };
          }));
          break;
        }
        case 'at.create-contract-charge':
          results.set(keyed.idempotencyKey, await single(keyed, op.charge.chargeKey, () => createContractCharge(target, op)));
          break;
        case 'at.adjust-units':
          changes.set(op.serviceKey, [...(changes.get(op.serviceKey) ?? []), { keyed, change: op }]);
          break;
        default:
          throw new PsaSetupError(`the Autotask gateway cannot apply ${op.type}`);
      }
    }
    // Contract services are independent: adjust them side by side (the client's limiter keeps
    // each endpoint within Autotask's thread limit). Every one is let finish before a failure is
    // thrown: the activity's retry must not race a write still under way for the same keys.
    const perService = [...changes].map(([serviceKey, group]) => ({ csId: csIdOf(serviceKey), group }));
    const settled = await Promise.allSettled(perService.map(({ csId, group }) => adjustments.apply(target, csId, group)));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    for (const s of settled) if (s.status === 'fulfilled') for (const r of s.value) results.set(r.idempotencyKey, r);
    return operations.map((o) => results.get(o.idempotencyKey)!);
  }

  /** A contract service as reconciliation reads it: the units in force on `on`, invoiced once a unit period was posted. */
  const snapshotOf = (line: AtContractServiceRow, slices: readonly (UnitsSlice & { posted: boolean })[], on?: IsoDate): PsaLineSnapshot => ({
    psaId: line.id,
    // Units live in the unit periods: those in force on the day asked for (default today).
    quantity: unitsOn(on ?? isoDateOf(deps.now()), slices),
    unitPrice: customerCurrencyPrice(line),
    unitCost: moneyFromJsonNumber(line.unitCost ?? 0),
    invoiced: slices.some((s) => s.posted),
  });

  async function readLine(_target: PsaTarget, psaId: number, on?: IsoDate): Promise<PsaLineSnapshot> {
    const line = await client.get('ContractServices', psaId, contractServiceSchema);
    if (!line) throw new PsaSetupError(`Autotask contract service ${psaId} does not exist`);
    return snapshotOf(line, await adjustments.readSlices(psaId), on);
  }

  async function readLines(agreementId: number, psaIds: readonly number[], on?: IsoDate): Promise<Map<number, PsaLineSnapshot>> {
    // The services and their unit periods side by side (the client's limiter bounds the threads).
    const [pages, slices] = await Promise.all([
      Promise.all(idGroups(psaIds).map((ids) => client.query('ContractServices', { filter: [q.eq('contractID', agreementId), q.in('id', ids)] }, contractServiceSchema))),
      adjustments.readSlicesOf(psaIds),
    ]);
    return new Map(pages.flat().map((line) => [line.id, snapshotOf(line, slices.get(line.id) ?? [], on)]));
  }

  async function listLines(agreementId: number, on?: IsoDate): Promise<PsaLineFound[]> {
    const day = on ?? isoDateOf(deps.now());
    const services = await client.query('ContractServices', { filter: [q.eq('contractID', agreementId)] }, contractServiceSchema);
    const out: PsaLineFound[] = [];
    // One contract service at a time: each reads its unit periods (the client's limiter would
    // queue them anyway, and a contract holds a handful of services).
    for (const line of services.sort((a, b) => a.id - b.id)) {
      const slices = await adjustments.readSlices(line.id);
      out.push({
        psaId: line.id,
        psaProductId: line.serviceID,
        quantity: unitsOn(day, slices),
        unitPrice: customerCurrencyPrice(line),
        unitCost: moneyFromJsonNumber(line.unitCost ?? 0),
        effectiveDate: null,
        cancelledDate: null,
        description: line.internalDescription ?? '',
        adjustments: [...adjustmentDates(slices)].map(([date, unitChange]) => ({ date, unitChange })).sort((a, b) => (a.date < b.date ? -1 : 1)),
      });
    }
    return out;
  }

  return { apply, readLine, readLines, listLines };
}
