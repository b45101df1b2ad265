/**
 * `psa-connector services adopt|drift|restore|accept-drift`: adoption of hand-made lines at
 * cutover and drift of owned lines (docs/adopt-and-drift.md), over the admin API. `adopt` is a
 * dry run unless --apply; `map --adopt` (commands/mappings.ts) adopts while mapping.
 */
import { Option, type Command } from 'commander';
import { action, connectionOption, seg, wholeNumber } from '../command-kit';
import { invalidInput } from '../api-client';

const sub = (connection: string, id: string) => `/api/connections/${seg(connection)}/subscriptions/${seg(id)}`;

export function register(program: Command): void {
  const group = program.commands.find((c) => c.name() === 'services') ?? program.command('services');

  group
    .command('adopt [subscription]')
    .description('Find the hand-made line (addition / contract service) of a mapped subscription and report what differs; --apply takes it over, so the next sync updates it instead of creating a second one.')
    .addOption(connectionOption())
    .option('--all', 'every mapped subscription of the connection')
    .option('--line <id>', 'the PSA line to take over when several fit')
    .option('--apply', 'take the lines over (default: dry run, report only)')
    .action(
      action(async (api, id: string | undefined, o: { connection: string; all?: boolean; line?: string; apply?: boolean }) => {
        const line = wholeNumber('--line', o.line);
        if (o.all && id) throw invalidInput({ path: '--all', message: 'cannot be combined with a subscription id' });
        if (!o.all && !id) throw invalidInput({ path: 'subscription', message: 'is required (or --all for every mapped subscription)' });
        if (o.all && line !== undefined) throw invalidInput({ path: '--line', message: 'needs one subscription, not --all' });
        const path = o.all ? `/api/connections/${seg(o.connection)}/adoption` : `${sub(o.connection, id!)}/adoption`;
        if (o.apply) return api.call('POST', path, o.all ? undefined : { ...(line !== undefined ? { line } : {}) });
        return api.call('GET', `${path}${line !== undefined ? `?line=${line}` : ''}`);
      }),
    );

  group
    .command('drift <subscription>')
    .description("Compare the subscription's lines in the PSA with what it should bill (the ledger) now; also shows the last daily comparison.")
    .addOption(connectionOption())
    .action(action(async (api, id: string, o: { connection: string }) => api.call('GET', `${sub(o.connection, id)}/drift`)));

  group
    .command('restore <subscription>')
    .description("Write the ledger's values back over drifted lines (every drifted line, or --line).")
    .addOption(connectionOption())
    .option('--line <key>', "one line's key (see `services drift`)")
    .action(action(async (api, id: string, o: { connection: string; line?: string }) => api.call('POST', `${sub(o.connection, id)}/drift/restore`, o.line ? { lineKey: o.line } : {})));

  group
    .command('accept-drift <subscription>')
    .description("Accept the PSA's quantity or price of a drifted line: billed from today as if the platform had reported it (recorded as an event).")
    .addOption(connectionOption())
    .requiredOption('--line <key>', "the line's key (see `services drift`)")
    .addOption(new Option('--field <field>', 'only this field').choices(['quantity', 'unitPrice', 'unitCost']))
    .action(
      action(async (api, id: string, o: { connection: string; line: string; field?: string }) =>
        api.call('POST', `${sub(o.connection, id)}/drift/accept`, { lineKey: o.line, ...(o.field ? { field: o.field } : {}) }),
      ),
    );
}
