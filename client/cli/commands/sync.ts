/** `psa-connector sync run [--connection <id>] [--entity customer:ID] [--wait]`: the global sync now (§2). */
import type { Command } from 'commander';
import { action } from '../command-kit';

export function register(program: Command): void {
  const sync = program.command('sync').description('Global sync: push toggled, changed fields of mapped records to the PSA.');

  sync
    .command('run')
    .description('Run the global sync now: every connection, one connection, or one record (waits for a record’s result).')
    .option('-c, --connection <id>', 'only this connection (required with --entity)')
    .option('--entity <kind:id>', 'one record: customer:<id>, product:<id> or subscription:<id>')
    .option('--wait', 'wait for the result of a whole-connection sync')
    .action(
      action((api, opts: { connection?: string; entity?: string; wait?: boolean }) =>
        api.call('POST', '/api/sync', {
          ...(opts.connection ? { connectionId: opts.connection } : {}),
          ...(opts.entity ? { entity: opts.entity } : {}),
          ...(opts.wait ? { wait: true } : {}),
        }),
      ),
    );
}
