/**
 * `psa-connector reconciliation log|export|status|accept|reject|retry`: the monthly billing
 * reconciliation (§6) over the admin API. Decisions name subscriptions (`--sub a,b`) or take
 * every eligible item (`--all`); the run is (connection, provider, billing month).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { invalidInput } from '../api-client';
import { action, connectionOption, list, seg, wholeNumber } from '../command-kit';
import { decisionAnswer, type DecisionResult } from '../../../contracts/reconciliation';

interface LogOpts {
  connection: string;
  from?: string;
  to?: string;
  status?: string;
  provider?: string;
  customer?: string;
  search?: string;
  limit?: string;
}

function logQuery(o: LogOpts): string {
  const q = new URLSearchParams();
  if (o.from) q.set('from', o.from);
  if (o.to) q.set('to', o.to);
  if (o.status) q.set('status', o.status);
  if (o.provider) q.set('provider', o.provider);
  if (o.customer) q.set('customerId', o.customer);
  if (o.search) q.set('search', o.search);
  const limit = wholeNumber('--limit', o.limit);
  if (limit !== undefined) q.set('limit', String(limit));
  const s = q.toString();
  return s ? `?${s}` : '';
}

const logFilters = (c: Command): Command =>
  c
    .addOption(connectionOption())
    .option('--from <month>', 'first billing month (YYYY-MM or a date in it)')
    .option('--to <month>', 'last billing month (YYYY-MM or a date in it)')
    .option('-s, --status <list>', 'statuses, comma separated: pending, failed-review, pending-review, reconciled, rejected, failed')
    .option('-p, --provider <name>', 'one provider, e.g. "Microsoft CSP"')
    .option('--customer <id>', 'one platform customer')
    .option('--search <text>', 'text in customer, plan or subscription id')
    .option('--limit <n>', 'at most this many rows');

/**
 * Exit code of a decision the run carried out but that left items failed (the PSA refused the
 * post, or could not be read): the JSON answer is still printed, and one stderr line per item.
 * Distinct from 1 (the command itself failed) so scripts can tell the two apart.
 */
export const EXIT_ITEMS_FAILED = 3;

/** Data rows of a CSV text (header excluded); a newline inside a quoted field is not a row. */
export function csvDataRows(text: string): number {
  let rows = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === '\n' && !quoted) rows++;
  }
  if (text.length > 0 && !text.endsWith('\n')) rows++;
  return Math.max(0, rows - 1);
}

const runPath = (o: { connection: string; provider: string; month: string }) =>
  `/api/connections/${seg(o.connection)}/reconciliation/runs/${seg(o.provider)}/${seg(o.month)}`;

export function register(program: Command): void {
  const rec = program.command('reconciliation').description('Monthly billing reconciliation: the log, a run’s state, accept / reject / retry.');

  logFilters(rec.command('log').description('Reconciliation log rows (JSON), newest month first.')).action(
    action((api, o: LogOpts) => api.call('GET', `/api/connections/${seg(o.connection)}/reconciliation/log${logQuery(o)}`)),
  );

  logFilters(rec.command('export').description('Reconciliation log as CSV (stdout, or --out FILE, then prints the file, rows and bytes as JSON).'))
    .option('-o, --out <file>', 'write the CSV to this file')
    .action(
      action(async (api, o: LogOpts & { out?: string }) => {
        const text = await api.download(`/api/connections/${seg(o.connection)}/reconciliation/log.csv${logQuery(o)}`);
        if (!o.out) {
          process.stdout.write(text);
          return undefined;
        }
        writeFileSync(o.out, text);
        // Say what landed where: the file is the result, stdout only reports it.
        return { file: path.resolve(o.out), rows: csvDataRows(text), bytes: Buffer.byteLength(text) };
      }),
    );

  const run = (c: Command): Command =>
    c
      .addOption(connectionOption())
      .requiredOption('-p, --provider <name>', 'provider, e.g. "Microsoft CSP" (or its slug microsoft-csp)')
      .requiredOption('-m, --month <YYYY-MM>', 'billing month');

  run(rec.command('start').description('Start the month’s run now (normally its Schedule does, at the cutover start); finds a run already going.')).action(
    action((api, o: { connection: string; provider: string; month: string }) => api.call('POST', runPath(o))),
  );

  run(rec.command('status').description('A run’s state: every subscription with its status, reason and decision.')).action(
    action((api, o: { connection: string; provider: string; month: string }) => api.call('GET', runPath(o))),
  );

  for (const [name, what] of [
    ['accept', `Accept pending-review items: posts cost and price (never quantity) to the PSA. Exits ${EXIT_ITEMS_FAILED} when an item ends failed.`],
    ['reject', 'Reject pending-review items.'],
    ['retry', `Retry failed (post again) or failed-review (read the PSA again) items. Exits ${EXIT_ITEMS_FAILED} when an item stays failed.`],
  ] as const) {
    const cmd = run(rec.command(name).description(what))
      .option('--sub <ids>', 'subscription ids, comma separated')
      .option('--all', name === 'retry' ? 'every failed / failed-review item' : 'every pending-review item');
    if (name !== 'retry') cmd.option('--note <text>', 'why (at most 500 characters): kept with each item\'s decision, in the log and the CSV');
    cmd.action(
        action(async (api, o: { connection: string; provider: string; month: string; sub?: string; all?: boolean; note?: string }) => {
          const ids = list(o.sub);
          if (!ids?.length && !o.all) throw invalidInput({ path: '--sub', message: 'give subscription ids, or --all' });
          if (ids?.length && o.all) throw invalidInput({ path: '--all', message: 'cannot be combined with --sub' });
          // Recorded under the API token's name (the log's "Decided by").
          const result = await api.call<DecisionResult>('POST', `${runPath(o)}/${name}`, { ...(o.all ? { all: true } : { subscriptionIds: ids }), ...(o.note !== undefined ? { note: o.note } : {}) });
          const { failed } = decisionAnswer({ items: result.items ?? [] });
          if (failed.length > 0) {
            process.stderr.write(failed.map((i) => `${i.subscriptionId}: ${i.status}: ${i.reason}\n`).join(''));
            process.exitCode = EXIT_ITEMS_FAILED;
          }
          return result;
        }),
      );
  }
}
