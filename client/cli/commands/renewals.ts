/**
 * `psa-connector renewals due -c <id> [--days N]`: subscriptions whose commitment ends within the
 * next N days (docs/renewals.md), over the admin API. Bad input exits 2 with the API's
 * `field: reason` lines (e.g. `days: must be at most 366 days`).
 */
import type { Command } from 'commander';
import { action, connectionOption, seg } from '../command-kit';

export function register(program: Command): void {
  const renewals = program.command('renewals').description('Commitment terms ending soon: the last chance to lower a quantity before the renewal.');
  renewals
    .command('due')
    .description('Subscriptions whose commitment ends within the next N days: customer, product, quantity, commitment end, auto-renew, any decrease scheduled for the renewal.')
    .addOption(connectionOption())
    .option('--days <n>', "how many days ahead, 1-366 (default: the connection's renewal days, 30 unless set)")
    .option('--limit <n>', 'page size (default 50)')
    .option('--skip <n>', 'rows to skip')
    .action(
      action(async (api, o: { connection: string; days?: string; limit?: string; skip?: string }) => {
        const q = new URLSearchParams(Object.entries({ days: o.days, limit: o.limit, skip: o.skip }).filter((e): e is [string, string] => e[1] !== undefined));
        return api.call('GET', `/api/connections/${seg(o.connection)}/renewals${q.size > 0 ? `?${q.toString()}` : ''}`);
      }),
    );
}
