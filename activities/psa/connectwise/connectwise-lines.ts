/**
 * ConnectWise's lines: agreement additions (docs/billing-rules.md §4). Each operation is one
 * journaled write (journaled-write.ts), so applying a key twice never creates a second line:
 * a key left `started` is looked up by the `op:` tag its addition carries in its description
 * (operation-tag.ts) before anything is written again. Nothing is retried here: a create that
 * may have landed is looked up once, and a transient error goes to the activity, whose retry
 * (same keys) resumes (docs/retries.md).
 */
import { moneyFromJsonNumber, moneyToJsonNumber } from '../../../domain/money';
import type { CwOperation, PsaOperation } from '../../../domain/psa-operations';
import type { Logger } from '../http/logger';
import { psaDateTime, psaOptionalDateField } from '../http/psa-dates';
import { isPsaError } from '../http/psa-error';
import { journaledWrite, writeOrAdopt, type AppliedFields } from '../journaled-write';
import type { KeyedOperation, OperationJournal, PsaLineFound, PsaLines, PsaLineSnapshot, PsaTarget } from '../psa-gateway.port';
import { PsaSetupError } from '../psa-setup-error';
import type { ConnectWiseClient } from './connectwise-client';
import { descriptionFor, idGroups } from '../psa-gateway.port';
import { CW_ADDITION_DESCRIPTION_MAX, describeWithTag, operationTag, tagConditions, tagOf } from './operation-tag';
import type { CwAddition, CwAdditionInput, CwAgreement, CwPatchOp } from './schemas';

export interface ConnectWiseLinesDeps {
  journal: OperationJournal;
  logger: Logger;
}

const isCw = (op: PsaOperation): op is CwOperation => op.type.startsWith('cw.');

function catalogIdOf(target: PsaTarget, productId: string): number {
  const id = target.productIds[productId];
  if (id === undefined) throw new PsaSetupError(`product ${productId} is not mapped to a ConnectWise catalog item`);
  return id;
}

function patchOf(op: Extract<CwOperation, { type: 'cw.update-addition' }>, target: PsaTarget): CwPatchOp[] {
  const s = op.set;
  const patch: CwPatchOp[] = [];
  if (s.quantity !== undefined) patch.push({ op: 'replace', path: 'quantity', value: s.quantity });
  if (s.unitPrice !== undefined) patch.push({ op: 'replace', path: 'unitPrice', value: moneyToJsonNumber(s.unitPrice) });
  if (s.unitCost !== undefined) patch.push({ op: 'replace', path: 'unitCost', value: moneyToJsonNumber(s.unitCost) });
  if (s.cancelledDate !== undefined) patch.push({ op: 'replace', path: 'cancelledDate', value: s.cancelledDate === null ? null : psaDateTime(s.cancelledDate) });
  if (s.productId !== undefined) patch.push({ op: 'replace', path: 'product', value: { id: catalogIdOf(target, s.productId) } });
  return patch;
}

export function createConnectWiseLines(client: ConnectWiseClient, deps: ConnectWiseLinesDeps): PsaLines {
  const { logger } = deps;

  const findByTag = async (agreementId: number, tag: string): Promise<CwAddition | null> => {
    const { items } = await client.additions.list(agreementId, { conditions: tagConditions(tag), orderBy: 'id asc', pageSize: 10 });
    if (items.length > 1) logger.warn('connectwise: several additions carry one operation tag', { agreementId, tag, ids: items.map((i) => i.id) });
    return items[0] ?? null;
  };

  /**
   * Sends a description: the whole text behind the tag (the model publishes no maximum), or, when
   * the tenant refuses it (a 400 naming `description`), cut to 60 in all — a refused write
   * changed nothing, so the second try is safe (docs/mapping.md "Line descriptions").
   */
  async function withDescription<T>(text: string, tag: string, send: (description: string) => Promise<T>): Promise<T> {
    const whole = describeWithTag(text, tag);
    try {
      return await send(whole);
    } catch (error) {
      const refused = isPsaError(error) && error.kind === 'validation' && error.details.some((d) => /^description\b/i.test(d));
      if (!refused || whole.length <= CW_ADDITION_DESCRIPTION_MAX) throw error;
      logger.info('connectwise refused a long addition description; writing it cut to 60 characters', { length: whole.length });
      return send(describeWithTag(text, tag, CW_ADDITION_DESCRIPTION_MAX));
    }
  }

  /** One operation's write. `resumed`: an earlier attempt may have created the line already. */
  async function write(target: PsaTarget, key: string, op: CwOperation, lineIds: ReadonlyMap<string, number>, resumed: boolean): Promise<AppliedFields> {
    const lineIdOf = (lineKey: string): number => {
      const id = lineIds.get(lineKey);
      if (id === undefined) throw new PsaSetupError(`no ConnectWise addition is known for line ${lineKey}`);
      return id;
    };
    switch (op.type) {
      case 'cw.create-addition': {
        const a = op.addition;
        const tag = operationTag(key);
        const body = (description: string): CwAdditionInput => ({
          product: { id: catalogIdOf(target, a.productId) },
          billCustomer: target.billCustomer ?? 'Billable',
          quantity: a.quantity,
          unitPrice: moneyToJsonNumber(a.unitPrice),
          unitCost: moneyToJsonNumber(a.unitCost),
          effectiveDate: psaDateTime(a.effectiveDate),
          // An addition without an end leaves the field out (the model has no null for it).
          ...(a.cancelledDate === null ? {} : { cancelledDate: psaDateTime(a.cancelledDate) }),
          description,
        });
        const look = () => findByTag(target.agreementId, tag);
        const earlier = resumed ? await look() : null;
        if (earlier) logger.info('connectwise addition found after an unfinished write', { agreementId: target.agreementId, id: earlier.id });
        // The line's text names its own product (an upgrade's new one: docs/mapping.md "Line descriptions").
        const create = () => withDescription(descriptionFor(target, a.productId), tag, (description) => client.additions.create(target.agreementId, body(description)));
        const line = earlier ?? (await writeOrAdopt(create, look, { logger, what: 'connectwise addition create' }));
        return { lineKey: a.lineKey, psaId: line.id };
      }
      case 'cw.update-addition': {
        const id = lineIdOf(op.lineKey);
        const patch = patchOf(op, target);
        const text = op.set.productId === undefined ? undefined : target.descriptions?.[op.set.productId];
        if (text !== undefined) {
          // The product swapped in place (§4 rule 2): the text names the new product, behind the tag the line was created with.
          const tag = tagOf((await client.additions.get(target.agreementId, id)).description) ?? '';
          await withDescription(text, tag, (description) => client.additions.update(target.agreementId, id, [...patch, { op: 'replace', path: 'description', value: description.trimStart() }]));
        } else if (patch.length) await client.additions.update(target.agreementId, id, patch); // a PATCH of values is safe to repeat
        return { lineKey: op.lineKey, psaId: id };
      }
      case 'cw.delete-addition': {
        const id = lineIdOf(op.lineKey);
        try {
          await client.additions.delete(target.agreementId, id);
        } catch (error) {
          // Gone already (an earlier attempt deleted it): the goal is reached.
          if (!(isPsaError(error) && error.kind === 'not-found')) throw error;
        }
        return { lineKey: op.lineKey, psaId: null };
      }
    }
  }

  async function apply(target: PsaTarget, operations: KeyedOperation[], lineIds: Record<string, number>) {
    for (const { operation } of operations) if (!isCw(operation)) throw new PsaSetupError(`ConnectWise cannot apply ${operation.type}`);
    const known = new Map(Object.entries(lineIds));
    const results = [];
    // In plan order, one write per operation: later operations may touch lines created earlier.
    for (const keyed of operations) {
      const [result] = await journaledWrite(deps.journal, {
        members: [keyed],
        write: (_open, resumed) => write(target, keyed.idempotencyKey, keyed.operation as CwOperation, known, resumed),
        applied: (_member, outcome) => outcome,
      });
      if (result!.psaId === null) known.delete(result!.lineKey);
      else known.set(result!.lineKey, result!.psaId);
      results.push(result!);
    }
    return results;
  }

  /** A line as reconciliation reads it: `invoiced` from the agreement's next invoice date. */
  function snapshotOf(line: CwAddition, agreement: CwAgreement): PsaLineSnapshot {
    const where = `/finance/agreements/${agreement.id}/additions/${line.id}`;
    const dateOf = (field: string, value: string | null | undefined) => psaOptionalDateField('connectwise', field, value, where);
    const effective = dateOf('effectiveDate', line.effectiveDate);
    const nextInvoice = dateOf('nextInvoiceDate', agreement.nextInvoiceDate);
    return {
      psaId: line.id,
      quantity: line.quantity,
      unitPrice: moneyFromJsonNumber(line.unitPrice ?? 0),
      unitCost: moneyFromJsonNumber(line.unitCost ?? 0),
      // A line whose first day precedes the agreement's next invoice date has been on an invoice.
      invoiced: !!effective && !!nextInvoice && effective < nextInvoice,
      effectiveDate: effective,
      cancelledDate: dateOf('cancelledDate', line.cancelledDate),
    };
  }

  async function readLine(target: PsaTarget, psaId: number): Promise<PsaLineSnapshot> {
    const [line, agreement] = await Promise.all([
      client.additions.get(target.agreementId, psaId),
      client.agreements.get(target.agreementId),
    ]);
    return snapshotOf(line, agreement);
  }

  async function readLines(agreementId: number, psaIds: readonly number[]): Promise<Map<number, PsaLineSnapshot>> {
    const groups = idGroups(psaIds);
    if (groups.length === 0) return new Map();
    const [agreement, ...pages] = await Promise.all([
      client.agreements.get(agreementId),
      ...groups.map((ids) => client.additions.listAll(agreementId, { conditions: `id in (${ids.join(',')})`, orderBy: 'id asc' })),
    ]);
    return new Map(pages.flat().map((line) => [line.id, snapshotOf(line, agreement)]));
  }

  async function listLines(agreementId: number): Promise<PsaLineFound[]> {
    const where = `/finance/agreements/${agreementId}/additions`;
    const dateOf = (field: string, value: string | null | undefined) => psaOptionalDateField('connectwise', field, value, where);
    const rows = await client.additions.listAll(agreementId, { orderBy: 'id asc' });
    return rows.map((a) => ({
      psaId: a.id,
      psaProductId: a.product.id,
      quantity: a.quantity,
      unitPrice: moneyFromJsonNumber(a.unitPrice ?? 0),
      unitCost: moneyFromJsonNumber(a.unitCost ?? 0),
      effectiveDate: dateOf('effectiveDate', a.effectiveDate),
      cancelledDate: dateOf('cancelledDate', a.cancelledDate),
      description: a.description ?? '',
    }));
  }

  return { apply, readLine, readLines, listLines };
}
