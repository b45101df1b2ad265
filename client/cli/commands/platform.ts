/**
 * `psa-connector summary`, `events send`, `subscriptions state|report`, `platform import FILE`,
 * `platform invoices import|list`: mapping counts, and what the platform pushes (for demos and
 * tests too; docs/platform-intake.md).
 */
import type { Command } from 'commander';
import { invoicesFromCsv } from '../../platform-invoices';
import { action, connectionOption, readJson, readText, seg } from '../command-kit';
import { CliFailure, EXIT_INVALID, invalidInput, type Api } from '../api-client';

const INVOICE_BATCH = 1000;

/** Invoices of a JSON file (`{ invoices: [...] }` or a list) or CSV (header line); `-` = stdin. */
async function importInvoices(api: Api, file: string, format: string | undefined) {
  const text = readText(file, 'file');
  const csv = format === undefined ? !/^\s*[[{]/.test(text) : format === 'csv';
  if (format !== undefined && format !== 'csv' && format !== 'json') throw invalidInput({ path: '--format', message: `must be json or csv (got ${format})` });
  let invoices: unknown[];
  if (csv) {
    try {
      invoices = invoicesFromCsv(text);
    } catch (e) {
      throw invalidInput({ path: file, message: `is not valid CSV: ${(e as Error).message}` });
    }
  } else {
    const json = readJson(file, 'file', text);
    const list = Array.isArray(json) ? json : (json as { invoices?: unknown })?.invoices;
    if (!Array.isArray(list)) throw invalidInput({ path: 'invoices', message: 'must be a list (the file holds { "invoices": [...] } or a list)' });
    invoices = list;
  }
  if (invoices.length === 0) throw invalidInput({ path: 'invoices', message: 'the file holds no invoice' });
  const total = { received: 0, created: 0, unchanged: 0, amended: 0, results: [] as unknown[] };
  for (let start = 0; start < invoices.length; start += INVOICE_BATCH) {
    try {
      const r = await api.call<typeof total>('POST', '/api/platform/invoices', { invoices: invoices.slice(start, start + INVOICE_BATCH) });
      for (const k of ['received', 'created', 'unchanged', 'amended'] as const) total[k] += r[k];
      total.results.push(...r.results);
    } catch (e) {
      if (!(e instanceof CliFailure)) throw e;
      // Name each problem where it is in the file: CSV line, or the index in the whole list.
      const where = (i: number) => (csv ? `line ${i + 2}: ` : `invoices[${i}].`);
      throw new CliFailure(e.lines.map((l) => l.replace(/invoices\[(\d+)\]\.?/g, (_m, i: string) => where(start + Number(i)))), e.exitCode);
    }
  }
  return total;
}

/** `platform import` file: any of the three lists. */
interface ImportFile {
  customers?: unknown[];
  products?: unknown[];
  subscriptions?: unknown[];
}

async function importFile(api: Api, file: unknown, connection: string | undefined) {
  if (typeof file !== 'object' || file === null || Array.isArray(file)) throw invalidInput({ path: '', message: 'must be an object with customers, products and/or subscriptions lists' });
  const f = file as ImportFile & Record<string, unknown>;
  const unknownKeys = Object.keys(f).filter((k) => !['customers', 'products', 'subscriptions'].includes(k));
  if (unknownKeys.length > 0) throw invalidInput(...unknownKeys.map((k) => ({ path: k, message: 'is not a known field' })));
  if (f.subscriptions?.length && !connection) throw invalidInput({ path: '--connection', message: 'is required to report subscriptions' });
  const out: Record<string, unknown> = {};
  if (f.customers !== undefined) out.customers = await api.call('PUT', '/api/platform/customers', { customers: f.customers });
  if (f.products !== undefined) out.products = await api.call('PUT', '/api/platform/products', { products: f.products });
  if (f.subscriptions !== undefined) {
    if (!Array.isArray(f.subscriptions)) throw invalidInput({ path: 'subscriptions', message: 'must be a list' });
    const reported: unknown[] = [];
    for (const [i, s] of f.subscriptions.entries()) {
      try {
        reported.push(await api.call('POST', `/api/connections/${seg(connection!)}/subscriptions`, s));
      } catch (e) {
        // Name the record in the file: "subscriptions[3].subscription.quantity: ...".
        if (e instanceof CliFailure && e.exitCode === EXIT_INVALID) throw new CliFailure(e.lines.map((l) => `subscriptions[${i}].${l}`), EXIT_INVALID);
        throw e;
      }
    }
    out.subscriptions = { reported: reported.length };
  }
  return out;
}

export function register(program: Command): void {
  program
    .command('summary')
    .description('Mapping counts per kind: total, mapped, unmapped, failed.')
    .addOption(connectionOption())
    .action(action(async (api, o: { connection: string }) => api.call('GET', `/api/connections/${seg(o.connection)}/summary`)));

  program
    .command('events')
    .description("Send a subscription's lifecycle events.")
    .command('send <subscription>')
    .description(
      'Send one lifecycle event (JSON: quantity-changed, full-upgrade, partial-upgrade, cancelled, renewed, price-changed) with its platform id. ' +
        'Answers accepted (billed now, or on its date when in the future), duplicate (that id was received already), or queued (no worker answered in time).',
    )
    .addOption(connectionOption())
    .option('--event <json>', 'the event as JSON, e.g. {"id":"evt-17","type":"quantity-changed","date":"2026-03-15","quantity":15}')
    .option('--file <file>', 'read the event from a JSON file (- for stdin)')
    .option('--id <eventId>', "the event's platform id (when the JSON has none): a repeat with the same id is a no-op")
    .option('--sequence <n>', 'order among events of the same date (the platform\'s sequence number)')
    .action(
      action(async (api, id: string, o: { connection: string; event?: string; file?: string; id?: string; sequence?: string }) => {
        if ((o.event === undefined) === (o.file === undefined)) throw invalidInput({ path: '--event', message: 'give exactly one of --event or --file' });
        let event: unknown;
        if (o.file !== undefined) event = readJson(o.file, '--file');
        else {
          try {
            event = JSON.parse(o.event!) as unknown;
          } catch (e) {
            throw invalidInput({ path: '--event', message: `is not valid JSON: ${(e as Error).message}` });
          }
        }
        if (o.id !== undefined || o.sequence !== undefined) {
          if (typeof event !== 'object' || event === null || Array.isArray(event)) throw invalidInput({ path: '--event', message: 'must be a JSON object' });
          const sequence = o.sequence === undefined ? undefined : Number(o.sequence);
          if (sequence !== undefined && !Number.isSafeInteger(sequence)) throw invalidInput({ path: '--sequence', message: `must be a whole number (got ${o.sequence})` });
          event = { ...(event as object), ...(o.id !== undefined ? { id: o.id } : {}), ...(sequence !== undefined ? { sequence } : {}) };
        }
        return api.call('POST', `/api/connections/${seg(o.connection)}/subscriptions/${seg(id)}/events`, event);
      }),
    );

  const subscriptions = program.command('subscriptions').description('Subscriptions as the platform reports them.');
  subscriptions
    .command('state <subscription>')
    .description("The subscription's mapping document and its workflow's state.")
    .addOption(connectionOption())
    .action(action(async (api, id: string, o: { connection: string }) => api.call('GET', `/api/connections/${seg(o.connection)}/subscriptions/${seg(id)}/state`)));
  subscriptions
    .command('report <file>')
    .description('Report one subscription ({ customerId, provider?, subscription }) from a JSON file (- for stdin).')
    .addOption(connectionOption())
    .action(action(async (api, file: string, o: { connection: string }) => api.call('POST', `/api/connections/${seg(o.connection)}/subscriptions`, readJson(file, 'file'))));

  const platform = program.command('platform').description('Platform records: customers, products, subscriptions, invoices.');
  const invoices = platform.command('invoices').description('Final reseller and customer invoices of a billing month (docs/platform-intake.md).');
  invoices
    .command('import <file>')
    .description('Deliver invoices from a JSON ({ invoices: [...] }) or CSV file (- for stdin); idempotent by invoice id, a changed invoice is an amendment.')
    .option('--format <json|csv>', 'file format (default: recognised from the content)')
    .action(action(async (api, file: string, o: { format?: string }) => importInvoices(api, file, o.format)));
  invoices
    .command('list')
    .description("A billing month's invoices with their amendments.")
    .requiredOption('-m, --month <YYYY-MM>', 'billing month')
    .option('--subscription <id>', 'one subscription')
    .option('--kind <reseller|customer>', 'one kind')
    .action(
      action((api, o: { month: string; subscription?: string; kind?: string }) => {
        const q = new URLSearchParams({ month: o.month, ...(o.subscription ? { subscriptionId: o.subscription } : {}), ...(o.kind ? { kind: o.kind } : {}) });
        return api.call('GET', `/api/platform/invoices?${q}`);
      }),
    );

  platform
    .command('import <file>')
    .description('Bulk import { customers?, products?, subscriptions? } from a JSON file (- for stdin); subscriptions need --connection.')
    .option('-c, --connection <id>', 'connection to report the subscriptions on (env PSA_CONNECTOR_CONNECTION)', process.env.PSA_CONNECTOR_CONNECTION)
    .action(action(async (api, file: string, o: { connection?: string }) => importFile(api, readJson(file, 'file'), o.connection)));
}
