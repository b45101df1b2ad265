/** `psa-connector notifications get|set|send-now -c <id>`: §8 notification preferences and the daily digest. */
import type { Command } from 'commander';
import { action, connectionOption, list, onOff, seg } from '../command-kit';

interface SetOptions { connection: string; enabled?: string; recipients?: string; serviceMapping?: string; billingReconciliation?: string; renewals?: string; renewalDays?: string }

export function register(program: Command): void {
  const notifications = program.command('notifications').description('Daily notification digests (opt-in, per connection).');

  notifications
    .command('get')
    .description('Show the connection’s notification preferences.')
    .addOption(connectionOption())
    .action(action((api, opts: { connection: string }) => api.call('GET', `/api/connections/${seg(opts.connection)}/notifications`)));

  notifications
    .command('set')
    .description('Change only the given preferences.')
    .addOption(connectionOption())
    .option('--enabled <on|off>', 'notifications on or off')
    .option('--recipients <emails>', 'comma-separated recipients (replaces the list; "" clears it)')
    .option('--service-mapping <on|off>', '"Action Needed for Service Mapping" mail')
    .option('--billing-reconciliation <on|off>', '"Billing Reconciliation Status Synced" mail')
    .option('--renewals <on|off>', '"Renewals Due" mail (docs/renewals.md)')
    .option('--renewal-days <n>', 'how many days ahead the renewals mail (and `renewals due`) looks, 1-366 (default 30)')
    .action(
      action(async (api, opts: SetOptions) => {
        const enabled = onOff('--enabled', opts.enabled);
        const serviceMapping = onOff('--service-mapping', opts.serviceMapping);
        const billingReconciliation = onOff('--billing-reconciliation', opts.billingReconciliation);
        const renewals = onOff('--renewals', opts.renewals);
        const templates = {
          ...(serviceMapping === undefined ? {} : { serviceMapping }),
          ...(billingReconciliation === undefined ? {} : { billingReconciliation }),
          ...(renewals === undefined ? {} : { renewals }),
        };
        // A number when it reads as one; anything else goes as sent, so the API names what is wrong with it.
        const renewalDays = opts.renewalDays === undefined ? undefined : /^\d+$/.test(opts.renewalDays) ? Number(opts.renewalDays) : opts.renewalDays;
        return api.call('PUT', `/api/connections/${seg(opts.connection)}/notifications`, {
          ...(enabled === undefined ? {} : { enabled }),
          ...(opts.recipients === undefined ? {} : { recipients: list(opts.recipients) ?? [] }),
          ...(Object.keys(templates).length ? { templates } : {}),
          ...(renewalDays === undefined ? {} : { renewalDays }),
        });
      }),
    );

  notifications
    .command('send-now')
    .description('Run today’s digest now (still at most one mail per template per day; none when nothing changed).')
    .addOption(connectionOption())
    .action(action((api, opts: { connection: string }) => api.call('POST', `/api/connections/${seg(opts.connection)}/notifications/send-now`, {})));
}
