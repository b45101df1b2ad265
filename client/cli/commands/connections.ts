/**
 * `psa-connector connections add|list|show|test|delete|rules get|rules set`: PSA connections.
 * `add` has the admin API test the credentials live before saving. The secret (ConnectWise
 * private key, Autotask API secret) comes from stdin or PSA_CONNECTOR_SECRET, never a flag.
 */
import { Option, type Command } from 'commander';
import { action, onOff, readSecret, seg } from '../command-kit';
import { invalidInput } from '../api-client';

interface AddOptions {
  psa: 'connectwise' | 'autotask';
  id: string;
  name?: string;
  url?: string;
  companyId?: string;
  publicKey?: string;
  clientId?: string;
  privateKeyStdin?: boolean;
  username?: string;
  integrationCode?: string;
  discoveryUrl?: string;
  secretStdin?: boolean;
}

function settingsOf(o: AddOptions): Record<string, string | undefined> {
  return o.psa === 'connectwise'
    ? { baseUrl: o.url, companyId: o.companyId, publicKey: o.publicKey, clientId: o.clientId }
    : { username: o.username, integrationCode: o.integrationCode, ...(o.discoveryUrl ? { discoveryUrl: o.discoveryUrl } : {}) };
}

export function register(program: Command): void {
  const connections = program.command('connections').description('PSA connections: credentials (tested live before saving) and global sync rules.');

  connections
    .command('add')
    .description('Test credentials against the PSA, then save the connection.')
    .addOption(new Option('--psa <psa>', 'which PSA').choices(['connectwise', 'autotask']).makeOptionMandatory())
    .requiredOption('--id <id>', 'connection id (lowercase letters, digits, dashes)')
    .option('--name <name>', 'display name (default: the id)')
    .option('--url <url>', 'ConnectWise API base URL, e.g. https://api-na.myconnectwise.net/v4_6_release/apis/3.0')
    .option('--company-id <id>', 'ConnectWise company id')
    .option('--public-key <key>', 'ConnectWise public key')
    .option('--client-id <id>', 'ConnectWise clientId')
    .option('--private-key-stdin', 'read the ConnectWise private key from stdin (else PSA_CONNECTOR_SECRET)')
    .option('--username <user>', 'Autotask API user name')
    .option('--integration-code <code>', 'Autotask API integration code')
    .option('--discovery-url <url>', 'Autotask zone discovery URL (default https://webservices.autotask.net)')
    .option('--secret-stdin', 'read the Autotask API secret from stdin (else PSA_CONNECTOR_SECRET)')
    .action(
      action(async (api, o: AddOptions) => {
        const flag = o.psa === 'connectwise' ? '--private-key-stdin' : '--secret-stdin';
        const secret = readSecret(Boolean(o.psa === 'connectwise' ? o.privateKeyStdin : o.secretStdin), 'PSA_CONNECTOR_SECRET', flag);
        return api.call('POST', '/api/connections', { id: o.id, psa: o.psa, name: o.name ?? o.id, settings: settingsOf(o), secret });
      }),
    );

  connections
    .command('list')
    .description('List connections (never their secrets).')
    .addOption(new Option('--psa <psa>', 'only this PSA').choices(['connectwise', 'autotask']))
    .action(action(async (api, o: { psa?: string }) => api.call('GET', `/api/connections${o.psa ? `?psa=${o.psa}` : ''}`)));

  connections
    .command('show <id>')
    .description('Show one connection.')
    .action(action(async (api, id: string) => api.call('GET', `/api/connections/${seg(id)}`)));

  connections
    .command('test <id>')
    .description('Test the stored credentials against the PSA.')
    .action(action(async (api, id: string) => api.call('POST', `/api/connections/${seg(id)}/test`)));

  connections
    .command('delete <id>')
    .description('Delete a connection and its mapping records (refused while subscriptions are mapped).')
    .action(action(async (api, id: string) => api.call('DELETE', `/api/connections/${seg(id)}`)));

  const rules = connections.command('rules').description('Global sync rules (docs/billing-rules.md §2) and the §7 one-agreement-per-company switch.');
  rules
    .command('get <id>')
    .description('Show the rules.')
    .action(action(async (api, id: string) => api.call('GET', `/api/connections/${seg(id)}/rules`)));
  rules
    .command('set <id>')
    .description('Change only the given rules. A change of the effective-date rules applies to events dated from today (tenant time zone) on and reaches every mapped subscription; sending the same rules again re-sends them.')
    .addOption(new Option('--positive-change <rule>', 'effective date of an increase').choices(['actual-date', 'first-of-month']))
    .addOption(new Option('--negative-change <rule>', 'effective date of a decrease').choices(['actual-date', 'first-of-next-month']))
    .addOption(new Option('--cancellation <rule>', 'when a cancellation stops billing').choices(['cancellation-date', 'end-of-month']))
    .addOption(new Option('--committed-decrease <rule>', 'a decrease of a committed subscription: at its renewal, or like any decrease (docs/renewals.md)').choices(['at-renewal', 'negative-change']))
    .option('--auto-sync <on|off>', 'daily global sync at 00:00 UTC')
    .option('--one-agreement-per-company <on|off>', "a company's services must share one agreement (§7)")
    .option('--time-zone <zone>', "the PSA tenant's IANA time zone (e.g. Europe/Berlin): a rules change applies from that zone's today")
    .option('--field <kind.field=on|off...>', 'a field toggle, e.g. company.city=off (repeatable)')
    .action(
      action(async (api, id: string, o: { positiveChange?: string; negativeChange?: string; cancellation?: string; committedDecrease?: string; autoSync?: string; oneAgreementPerCompany?: string; timeZone?: string; field?: string[] }) => {
        const fieldToggles: Record<string, Record<string, boolean>> = {};
        for (const [i, f] of (o.field ?? []).entries()) {
          const m = /^(company|product|addition)\.([A-Za-z]+)=(\w+)$/.exec(f);
          if (!m) throw invalidInput({ path: `--field[${i}]`, message: `must look like company.city=off (got ${f})` });
          (fieldToggles[m[1]!] ??= {})[m[2]!] = onOff(`--field[${i}]`, m[3])!;
        }
        const patch = {
          ...(o.positiveChange ? { positiveChange: o.positiveChange } : {}),
          ...(o.negativeChange ? { negativeChange: o.negativeChange } : {}),
          ...(o.cancellation ? { cancellation: o.cancellation } : {}),
          ...(o.committedDecrease ? { committedDecrease: o.committedDecrease } : {}),
          ...(o.autoSync !== undefined ? { autoSync: onOff('--auto-sync', o.autoSync) } : {}),
          ...(o.oneAgreementPerCompany !== undefined ? { oneAgreementPerCompany: onOff('--one-agreement-per-company', o.oneAgreementPerCompany) } : {}),
          ...(o.timeZone !== undefined ? { timeZone: o.timeZone } : {}),
          ...(Object.keys(fieldToggles).length > 0 ? { fieldToggles } : {}),
        };
        return api.call('PUT', `/api/connections/${seg(id)}/rules`, patch);
      }),
    );
}
