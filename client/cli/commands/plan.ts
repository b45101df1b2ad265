/**
 * `psa-connector plan --scenario FILE [--as-of YYYY-MM-DD]`: the dry-run preview of what the
 * PSAs would hold after a scenario's events (docs/architecture.md "The `plan` command"). Needs no
 * server. FILE `-` reads stdin. A bad scenario exits 2 with one line per problem
 * (field path: reason) on stderr.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { isIsoDate } from '../../../domain/dates';
import { planScenario } from '../../../domain/plan';
import { BillingInputError, problemLine, type Problem } from '../../../domain/problems';

export const EXIT_INVALID = 2;

function fail(problems: Problem[]): void {
  process.stderr.write(problems.map((p) => `${problemLine(p)}\n`).join(''));
  process.exitCode = EXIT_INVALID;
}

export function register(program: Command): void {
  program
    .command('plan')
    .description('Print, as JSON, what ConnectWise and Autotask would hold after a scenario (dry run); a scenario may be in seat-count mode or a bundle (docs/billing-modes.md).')
    .requiredOption('--scenario <file>', 'scenario JSON file, or - for stdin')
    .option('--as-of <date>', 'ignore events after this date (YYYY-MM-DD); default: the last event date')
    .action((opts: { scenario: string; asOf?: string }) => {
      let text: string;
      try {
        text = readFileSync(opts.scenario === '-' ? 0 : opts.scenario, 'utf8');
      } catch (err) {
        return fail([{ path: '', message: `cannot read scenario ${opts.scenario}: ${(err as Error).message}` }]);
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        return fail([{ path: '', message: `scenario ${opts.scenario} is not valid JSON: ${(err as Error).message}` }]);
      }
      if (opts.asOf !== undefined && !isIsoDate(opts.asOf)) {
        return fail([{ path: '--as-of', message: `must be a calendar date YYYY-MM-DD (got ${opts.asOf})` }]);
      }
      try {
        process.stdout.write(`${JSON.stringify(planScenario(json, opts.asOf), null, 2)}\n`);
      } catch (err) {
        if (err instanceof BillingInputError) return fail(err.problems);
        throw err;
      }
    });
}
