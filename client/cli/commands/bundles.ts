/**
 * `psa-connector bundles create|list|show|delete -c <id>`: bundles (docs/billing-modes.md
 * "Bundles") — several member subscriptions billed through ONE PSA line, over the admin API.
 */
import { Option, type Command } from 'commander';
import { action, connectionOption, list, readJson, seg, wholeNumber } from '../command-kit';

const base = (connection: string) => `/api/connections/${seg(connection)}/bundles`;

interface CreateOptions {
  connection: string;
  file?: string;
  id?: string;
  name?: string;
  company?: string;
  agreement?: string;
  product?: string;
  mode?: string;
  unitPrice?: string;
  unitCost?: string;
  members?: string;
  description?: string;
  billCustomer?: string;
}

export function register(program: Command): void {
  const bundles = program.command('bundles').description('Bill several subscriptions through ONE PSA line (quantity-only, average or total).');

  bundles
    .command('create')
    .description('Define a bundle and map its members onto it (--file with the JSON body instead of the flags; - = stdin).')
    .addOption(connectionOption())
    .option('--file <path>', 'JSON { id, name, companyId?, agreementId, psaProductId, mode, unitPrice?, unitCost?, members, description?, billCustomer? }')
    .option('--id <slug>', 'bundle id (lowercase letters, digits, dashes)')
    .option('--name <text>', 'bundle name')
    .option('--company <id>', "PSA company id (default: the members' customers' company)")
    .option('--agreement <id>', 'agreement / contract id the line lives on')
    .option('--product <id>', 'ConnectWise catalog item id / Autotask service id the line bills')
    .addOption(new Option('--mode <mode>', 'quantity-only: summed quantity at --unit-price/--unit-cost; average: summed quantity at average prices; total: quantity 1 at the totals').choices(['quantity-only', 'average', 'total']))
    .option('--unit-price <amount>', 'quantity-only: the bundle line’s unit price, e.g. 9.00')
    .option('--unit-cost <amount>', 'quantity-only: the bundle line’s unit cost')
    .option('--members <ids>', 'platform subscription ids (comma list)')
    .option('--description <text>', 'line description (default: bundle-<id> <name>)')
    .addOption(new Option('--bill-customer <mode>', 'ConnectWise billCustomer').choices(['Billable', 'DoNotBill', 'NoCharge']))
    .action(
      action(async (api, o: CreateOptions) => {
        // The flags go as given: the API names what is missing or wrong, field by field.
        const number = (flag: string, v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? wholeNumber(flag, v) : v);
        const body = o.file
          ? readJson(o.file, '--file')
          : Object.fromEntries(
              Object.entries({
                id: o.id, name: o.name, companyId: number('--company', o.company), agreementId: number('--agreement', o.agreement), psaProductId: number('--product', o.product),
                mode: o.mode, unitPrice: o.unitPrice, unitCost: o.unitCost, members: list(o.members), description: o.description, billCustomer: o.billCustomer,
              }).filter(([, v]) => v !== undefined),
            );
        return api.call('POST', base(o.connection), body);
      }),
    );

  bundles
    .command('list')
    .description('The bundles of a connection.')
    .addOption(connectionOption())
    .action(action((api, o: { connection: string }) => api.call('GET', base(o.connection))));

  bundles
    .command('show <bundle>')
    .description("A bundle with its workflow's state: each member's billed values, the line's values and what the PSA holds.")
    .addOption(connectionOption())
    .action(action((api, id: string, o: { connection: string }) => api.call('GET', `${base(o.connection)}/${seg(id)}`)));

  bundles
    .command('delete <bundle>')
    .description('Delete a bundle: one that never billed releases its members (unmapped); one that billed needs --force and ends on the first of next month, its members then billing on their own.')
    .addOption(connectionOption())
    .option('--force', 'end a bundle that billed (from the first of next month)')
    .action(action((api, id: string, o: { connection: string; force?: boolean }) => api.call('DELETE', `${base(o.connection)}/${seg(id)}${o.force ? '?force=true' : ''}`)));
}
