/** `psa-connector catalog push|status -c <id>`: §7 service catalog push to Autotask. */
import type { Command } from 'commander';
import { action, connectionOption, readJson, seg, wholeNumber } from '../command-kit';

export function register(program: Command): void {
  const catalog = program.command('catalog').description('Autotask service catalog push: plans become Autotask Services (unique names).');

  catalog
    .command('push')
    .description('Push every plan together: --file with [{ key, name, unitCost, unitPrice, periodType, billingCodeId }], or the platform products with --billing-code.')
    .addOption(connectionOption())
    .option('--file <path>', 'JSON list of plans (- = stdin)')
    .option('--billing-code <id>', 'Autotask billing code for the platform products')
    .action(
      action(async (api, opts: { connection: string; file?: string; billingCode?: string }) => {
        const billingCodeId = wholeNumber('--billing-code', opts.billingCode);
        const body = { ...(opts.file ? { plans: readJson(opts.file, '--file') } : {}), ...(billingCodeId ? { billingCodeId } : {}) };
        return api.call('POST', `/api/connections/${seg(opts.connection)}/catalog/push`, body);
      }),
    );

  catalog
    .command('status')
    .description('Each plan’s last push status: not-synced, synced or error.')
    .addOption(connectionOption())
    .action(action((api, opts: { connection: string }) => api.call('GET', `/api/connections/${seg(opts.connection)}/catalog`)));
}
