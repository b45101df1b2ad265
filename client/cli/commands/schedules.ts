/** `psa-connector schedules apply|list`: the Temporal Schedules the connections imply (docs/operations.md "Schedules"). */
import type { Command } from 'commander';
import { action, seg } from '../command-kit';

export function register(program: Command): void {
  const schedules = program.command('schedules').description('Temporal Schedules: global sync, reconciliation, notification digest, seat count.');

  schedules
    .command('apply')
    .description('Create, update and delete our schedules until they match the connections (safe to repeat).')
    .action(action((api) => api.call('POST', '/api/schedules/apply', {})));

  schedules
    .command('list')
    .description('Our schedules with their next run times.')
    .option('-c, --connection <id>', 'only this connection’s schedules')
    .action(action((api, opts: { connection?: string }) => api.call('GET', `/api/schedules${opts.connection ? `?connection=${seg(opts.connection)}` : ''}`)));
}
