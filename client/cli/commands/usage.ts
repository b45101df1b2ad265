/** `psa-connector usage report|show|apply -c <id>`: §7 seat-count mode (daily usage counts, high-water mark). */
import type { Command } from 'commander';
import { usageFromCsv } from '../../platform-invoices';
import { CliFailure, invalidInput } from '../api-client';
import { action, connectionOption, readJson, readText, seg } from '../command-kit';

interface ReportOptions { connection: string; subscription?: string; date?: string; count?: string; file?: string }

export function register(program: Command): void {
  const usage = program.command('usage').description('Seat-count mode: daily usage counts; the month bills its highest count.');

  usage
    .command('report')
    .description('Store daily counts: --subscription --date --count, or --file with { subscriptionId, counts: [{ date, count }] } (- = stdin).')
    .addOption(connectionOption())
    .option('--subscription <id>', 'platform subscription id')
    .option('--date <YYYY-MM-DD>', 'day of the count')
    .option('--count <n>', 'seats in use that day')
    .option('--file <path>', 'JSON report instead of the flags')
    .action(
      action(async (api, opts: ReportOptions) => {
        let body: unknown;
        if (opts.file) body = readJson(opts.file, '--file');
        else {
          const missing = (['subscription', 'date', 'count'] as const).filter((k) => opts[k] === undefined);
          if (missing.length) throw invalidInput(...missing.map((k) => ({ path: `--${k}`, message: 'is required (or give --file)' })));
          // The count goes as given; the API says why a non-number is wrong.
          const count = /^\d+$/.test(opts.count!) ? Number(opts.count) : opts.count;
          body = { subscriptionId: opts.subscription, counts: [{ date: opts.date, count }] };
        }
        return api.call('POST', `/api/connections/${seg(opts.connection)}/usage`, body);
      }),
    );

  usage
    .command('import <file>')
    .description('Store many days of many subscriptions: CSV subscriptionId,date,count or JSON [{ subscriptionId, counts }] (- = stdin).')
    .addOption(connectionOption())
    .option('--format <json|csv>', 'file format (default: recognised from the content)')
    .action(
      action(async (api, file: string, opts: { connection: string; format?: string }) => {
        const text = readText(file, 'file');
        if (opts.format !== undefined && !['json', 'csv'].includes(opts.format)) throw invalidInput({ path: '--format', message: `must be json or csv (got ${opts.format})` });
        const csv = opts.format === undefined ? !/^\s*[[{]/.test(text) : opts.format === 'csv';
        let reports: unknown[];
        try {
          reports = csv ? usageFromCsv(text) : ([] as unknown[]).concat(readJson(file, 'file', text));
        } catch (e) {
          if (e instanceof CliFailure) throw e;
          throw invalidInput({ path: file, message: `is not valid CSV: ${(e as Error).message}` });
        }
        let stored = 0;
        for (const [i, report] of reports.entries()) {
          try {
            stored += (await api.call<{ stored: number }>('POST', `/api/connections/${seg(opts.connection)}/usage`, report)).stored;
          } catch (e) {
            // Name the report: its subscription in CSV, its index in JSON.
            const where = csv ? `subscription ${(report as { subscriptionId: string }).subscriptionId}: ` : `[${i}].`;
            if (e instanceof CliFailure) throw new CliFailure(e.lines.map((l) => (l.startsWith('psa-connector:') ? l : `${where}${l}`)), e.exitCode);
            throw e;
          }
        }
        return { subscriptions: reports.length, stored };
      }),
    );

  usage
    .command('show')
    .description('A subscription’s counts, high-water mark and what is billed.')
    .addOption(connectionOption())
    .requiredOption('--subscription <id>', 'platform subscription id')
    .option('--month <YYYY-MM>', 'billing month (default: this month)')
    .action(
      action((api, opts: { connection: string; subscription: string; month?: string }) =>
        api.call('GET', `/api/connections/${seg(opts.connection)}/usage/${seg(opts.subscription)}${opts.month ? `?month=${seg(opts.month)}` : ''}`),
      ),
    );

  usage
    .command('apply')
    .description('Run the daily seat-count update now (at most one PSA update per subscription per day).')
    .addOption(connectionOption())
    .option('--day <YYYY-MM-DD>', 'bill as of this day (default: today)')
    .action(action((api, opts: { connection: string; day?: string }) => api.call('POST', `/api/connections/${seg(opts.connection)}/seat-count/run`, opts.day ? { day: opts.day } : {})));
}
