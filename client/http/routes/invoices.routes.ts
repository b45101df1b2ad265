/**
 * `/api/platform/invoices`: the platform delivers the final reseller and customer invoices of a
 * billing month (docs/platform-intake.md). Each invoice is received on its own: created, or
 * unchanged (the same id with the same content — a re-send is harmless), or amended (same id,
 * other content: it replaces the stored one and the change shows in the reconciliation log).
 * A bad invoice is named by its index in the batch; the good ones of the batch are still taken.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { ConflictError, MonthSchema, parseInput, PlatformInvoiceSchema, StoreInputError, type InvoiceReceipt, type Store } from '../../../activities/store';

export interface InvoiceRouteDeps {
  store: Pick<Store, 'platform'>;
}

export const InvoiceIntakeSchema = z
  .object({
    invoices: z.array(PlatformInvoiceSchema, { required_error: 'is required', invalid_type_error: 'must be a list of invoices' }).min(1, 'must hold at least one invoice').max(1000, 'at most 1000 per call'),
  })
  .strict();
export type InvoiceIntake = z.input<typeof InvoiceIntakeSchema>;

export const InvoiceListQuerySchema = z
  .object({
    month: MonthSchema,
    subscriptionId: z.string().min(1, 'must not be empty').max(200, 'is too long').optional(),
    provider: z.string().min(1, 'must not be empty').max(100, 'is too long').optional(),
    kind: z.enum(['reseller', 'customer'], { errorMap: () => ({ message: 'must be "reseller" or "customer"' }) }).optional(),
  })
  .strict();

/** What one intake call did, per invoice and in total. */
export interface InvoiceIntakeResult {
  received: number;
  created: number;
  unchanged: number;
  amended: number;
  results: InvoiceReceipt[];
}

export const invoiceRoutes: FastifyPluginAsync<InvoiceRouteDeps> = async (app, deps) => {
  app.post<{ Body: unknown }>('/api/platform/invoices', async (request) => {
    const { invoices } = parseInput(InvoiceIntakeSchema, request.body);
    // Two entries of one batch for the same invoice id would make the batch's outcome depend on its order.
    const seen = new Map<string, number>();
    const dupes = invoices.flatMap((inv, i) => {
      const first = seen.get(inv.id);
      seen.set(inv.id, first ?? i);
      return first === undefined ? [] : [{ path: `invoices[${i}].id`, message: `repeats invoices[${first}].id "${inv.id}"; send one version of an invoice per call` }];
    });
    if (dupes.length > 0) throw new StoreInputError(dupes);
    const by = request.principal?.name ?? 'unknown';
    const results: InvoiceReceipt[] = [];
    const conflicts: string[] = [];
    for (const [i, inv] of invoices.entries()) {
      try {
        results.push(await deps.store.platform.receiveInvoice(inv, by));
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
        conflicts.push(`invoices[${i}]: ${e.message}`);
      }
    }
    if (conflicts.length > 0) {
      throw new ConflictError(`${conflicts.join('; ')}${results.length ? ` (the other ${results.length} invoice(s) were received)` : ''}`);
    }
    const count = (o: InvoiceReceipt['outcome']) => results.filter((r) => r.outcome === o).length;
    const out: InvoiceIntakeResult = { received: results.length, created: count('created'), unchanged: count('unchanged'), amended: count('amended'), results };
    return out;
  });

  app.get<{ Querystring: unknown }>('/api/platform/invoices', async (request) => {
    const q = parseInput(InvoiceListQuerySchema, request.query);
    return { items: await deps.store.platform.listInvoices(q) };
  });
};
