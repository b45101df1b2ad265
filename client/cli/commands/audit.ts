/** `psa-connector audit`: the audit log of changes (admin token), newest first, filtered. */
import type { Command } from 'commander';
import { action, wholeNumber } from '../command-kit';

interface AuditOpts { who?: string; action?: string; connection?: string; outcome?: string; from?: string; to?: string; limit?: string }

export function register(program: Command): void {
  program
    .command('audit')
    .description('Who changed what, when, and the outcome (needs an admin token).')
    .option('--who <name>', "a token's name (or cli:<user>@<host>)")
    .option('--action <text>', 'text in the action, e.g. reconciliation or DELETE')
    .option('-c, --connection <id>', 'one connection')
    .option('--outcome <ok|refused|failed>', 'one outcome')
    .option('--from <date>', 'from this date (YYYY-MM-DD) or timestamp')
    .option('--to <date>', 'up to this date (inclusive) or timestamp')
    .option('--limit <n>', 'at most this many entries (default 100)')
    .action(
      action((api, o: AuditOpts) => {
        const limit = wholeNumber('--limit', o.limit);
        const q = new URLSearchParams(
          Object.entries({ who: o.who, action: o.action, connection: o.connection, outcome: o.outcome, from: o.from, to: o.to, limit: limit?.toString() }).filter(
            (e): e is [string, string] => e[1] !== undefined,
          ),
        );
        const s = q.toString();
        return api.call('GET', `/api/audit${s ? `?${s}` : ''}`);
      }),
    );
}
