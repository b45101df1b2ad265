/**
 * The platform's client library for billing data (docs/platform-intake.md): final reseller and
 * customer invoices per subscription and billing month, and daily usage counts of seat-count
 * subscriptions. It talks to the admin API with an operator token (invoices and usage live in
 * the connector's database, not in a workflow — see client/platform-client.ts for lifecycle
 * events). Input is checked here with the API's own schemas first, so a bad invoice fails
 * before anything is sent, with every problem named by field; the API checks again.
 *
 * Also the CSV readers the CLI's `platform invoices import` / `usage import` use.
 */
import { parse } from 'csv-parse/sync';
import { UsageReportSchema, type UsageReport } from '../activities/seat-count/usage-counts';
import { zodInputProblems, type InputProblem, type PlatformInvoiceInput, type PlatformInvoiceRecord } from '../activities/store';
import { InvoiceIntakeSchema, type InvoiceIntakeResult } from './http/routes/invoices.routes';

export type { InvoiceIntakeResult, PlatformInvoiceInput, PlatformInvoiceRecord, UsageReport };

/** A refusal: bad input (status 400, `problems` by field) or what the API answered otherwise. */
export class IntakeError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly problems: InputProblem[] = [],
  ) {
    super(problems.length ? `${message}\n${problems.map((p) => `${p.path}: ${p.message}`).join('\n')}` : message);
    this.name = 'IntakeError';
  }
}

export interface PlatformIntakeOptions {
  /** The admin API, e.g. https://connector.example.com */
  baseUrl: string;
  /** An API token with role operator (or admin). */
  token: string;
  fetch?: typeof fetch;
}

export interface PlatformIntakeClient {
  /** Delivers invoices (1–1000 a call); re-sending one is harmless, a changed one is an amendment. */
  sendInvoices(invoices: readonly PlatformInvoiceInput[]): Promise<InvoiceIntakeResult>;
  /** A billing month's invoices as stored, with their amendments. */
  listInvoices(q: { month: string; subscriptionId?: string; provider?: string; kind?: 'reseller' | 'customer' }): Promise<PlatformInvoiceRecord[]>;
  /** Daily usage counts of one seat-count subscription on a connection (a day sent again replaces its count). */
  reportUsage(connectionId: string, report: UsageReport): Promise<{ stored: number }>;
}

export function createPlatformIntakeClient(options: PlatformIntakeOptions): PlatformIntakeClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await doFetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${options.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let json: { error?: string; problems?: InputProblem[] } & Record<string, unknown>;
    try {
      json = (text ? JSON.parse(text) : {}) as typeof json;
    } catch {
      throw new IntakeError(`${base} answered HTTP ${res.status} with something other than JSON`, res.status);
    }
    if (!res.ok) throw new IntakeError(json.error ?? `HTTP ${res.status}`, res.status, json.problems ?? []);
    return json as T;
  }
  const check = <T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: import('zod').ZodError } }, value: unknown): void => {
    const res = schema.safeParse(value);
    if (!res.success) throw new IntakeError('invalid input', 400, zodInputProblems(res.error));
  };
  return {
    async sendInvoices(invoices) {
      check(InvoiceIntakeSchema, { invoices });
      return call('POST', '/api/platform/invoices', { invoices });
    },
    async listInvoices(q) {
      const query = new URLSearchParams(Object.entries(q).filter(([, v]) => v !== undefined) as Array<[string, string]>);
      return (await call<{ items: PlatformInvoiceRecord[] }>('GET', `/api/platform/invoices?${query}`)).items;
    },
    async reportUsage(connectionId, report) {
      check(UsageReportSchema, report);
      return call('POST', `/api/connections/${encodeURIComponent(connectionId)}/usage`, report);
    },
  };
}

/** CSV rows as objects keyed by the header line; empty cells left out; whole numbers in `numeric` columns as numbers. */
function csvRecords(text: string, numeric: readonly string[]): Array<Record<string, unknown>> {
  const rows = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Array<Record<string, string>>;
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row)
        .filter(([, v]) => v !== '')
        // A cell that is not a number stays text, so the API names the field and says why.
        .map(([k, v]) => [k, numeric.includes(k) && /^\d+(\.\d+)?$/.test(v) ? Number(v) : v]),
    ),
  );
}

/**
 * Invoices from CSV with a header line naming the invoice fields:
 * `id,kind,subscriptionId,customerId,provider,month,quantity,usageQuantity,amount,issuedOn`.
 * Money stays text ("264.00"); the row for `invoices[i]` is line i + 2.
 */
export function invoicesFromCsv(text: string): Array<Record<string, unknown>> {
  return csvRecords(text, ['quantity', 'usageQuantity']);
}

/** Usage from CSV `subscriptionId,date,count`: one report per subscription, days in file order. */
export function usageFromCsv(text: string): UsageReport[] {
  const bySubscription = new Map<string, Array<{ date: unknown; count: unknown }>>();
  for (const r of csvRecords(text, ['count'])) {
    const id = String(r.subscriptionId ?? '');
    bySubscription.set(id, [...(bySubscription.get(id) ?? []), { date: r.date, count: r.count }]);
  }
  return [...bySubscription].map(([subscriptionId, counts]) => ({ subscriptionId, counts }) as UsageReport);
}
