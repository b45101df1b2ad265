/**
 * `psa-connector` — the admin CLI. A thin registry: each subcommand lives in its own file under
 * commands/ and exports `register(program)`; add yours to `COMMANDS`. Usage errors exit 2.
 *
 * Run: `npx psa-connector <command>` (the bin runs the compiled dist/, see README.md) or `npm run cli -- <command>`.
 */
import { Command, CommanderError } from 'commander';
import { DEFAULT_API_URL } from './api-client';
import { register as registerConnections } from './commands/connections';
import { register as registerMappings } from './commands/mappings';
import { register as registerOwnedLines } from './commands/owned-lines';
import { register as registerPlan } from './commands/plan';
import { register as registerPlatform } from './commands/platform';
import { register as registerSchedules } from './commands/schedules';
import { register as registerSync } from './commands/sync';
import { register as registerNotifications } from './commands/notifications';
import { register as registerUsage } from './commands/usage';
import { register as registerCatalog } from './commands/catalog';
import { register as registerReconciliation } from './commands/reconciliation';
import { register as registerTokens } from './commands/tokens';
import { register as registerAudit } from './commands/audit';
import { register as registerBundles } from './commands/bundles';
import { register as registerRenewals } from './commands/renewals';

/** Every subcommand, in help order. */
const COMMANDS: ReadonlyArray<(program: Command) => void> = [registerPlan, registerConnections, registerMappings, registerBundles, registerOwnedLines, registerPlatform, registerSchedules, registerSync, registerNotifications, registerUsage, registerCatalog, registerReconciliation, registerRenewals, registerTokens, registerAudit];

export function buildProgram(): Command {
  const program = new Command('psa-connector')
    .description('Keeps cloud-marketplace subscriptions billed correctly in ConnectWise PSA and Autotask PSA.')
    .option('--api <url>', `admin HTTP API the admin commands talk to (env PSA_CONNECTOR_API, the config file, default ${DEFAULT_API_URL}); token: env PSA_CONNECTOR_TOKEN or the config file`)
    .showHelpAfterError()
    .exitOverride();
  for (const register of COMMANDS) register(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    process.stderr.write(`psa-connector: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
