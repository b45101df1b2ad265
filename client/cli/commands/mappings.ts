/**
 * `psa-connector customers|products|services list|suggest|map|create|unmap` (+ `services retry|skip`):
 * the three mapping pages of the vendor's connector, over the admin API.
 */
import { Option, type Command } from 'commander';
import { action, connectionOption, list, seg, wholeNumber } from '../command-kit';
import { invalidInput } from '../api-client';

const base = (connection: string, kind: string) => `/api/connections/${seg(connection)}/${kind}`;

function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
  return q.size > 0 ? `?${q.toString()}` : '';
}

function addList(group: Command, kind: string, withCustomer = false): void {
  const cmd = group
    .command('list')
    .description(`List ${kind} with their mapping status.`)
    .addOption(connectionOption())
    .option('--status <statuses>', 'unmapped, mapped, failed (comma list)')
    .option('--search <text>', 'text in the id or name')
    .option('--limit <n>', 'page size (default 50)')
    .option('--skip <n>', 'rows to skip');
  if (withCustomer) cmd.option('--customer <id>', 'only this platform customer');
  cmd.action(
    action(async (api, o: { connection: string; status?: string; search?: string; limit?: string; skip?: string; customer?: string }) =>
      api.call('GET', `${base(o.connection, kind)}${query({ status: o.status, search: o.search, limit: o.limit, skip: o.skip, customerId: o.customer })}`),
    ),
  );
}

/** The PSA record a platform kind maps to, in the singular and the plural (English plurals are not a trailing "s"). */
interface PsaRecordName {
  one: string;
  many: string;
}

/** customers and products: same verbs, different PSA record names. */
function recordCommands(program: Command, kind: 'customers' | 'products', psaFlag: string, psaName: PsaRecordName): void {
  const psaWhat = psaName.one;
  const group = program.command(kind).description(`Map platform ${kind} to PSA ${psaName.many}.`);
  addList(group, kind);

  const suggest = group.command('suggest <id>').description(`PSA ${psaName.many} closest to the platform record, with a score.`).addOption(connectionOption());
  if (kind === 'customers') suggest.option('--search <text>', "search this instead of the customer's name");
  else suggest.option('--name <text>', 'search by name').option('--part-number <pn>', 'search by manufacturer part number');
  suggest.option('--limit <n>', 'how many (default 10)').action(
    action(async (api, id: string, o: { connection: string; search?: string; name?: string; partNumber?: string; limit?: string }) =>
      api.call('GET', `${base(o.connection, kind)}/${seg(id)}/suggestions${query({ search: o.search, name: o.name, partNumber: o.partNumber, limit: o.limit })}`),
    ),
  );

  const create = (api: Parameters<Parameters<typeof action>[0]>[0], connection: string, id: string) => api.call('POST', `${base(connection, kind)}/${seg(id)}/create`);

  group
    .command('map <id>')
    .description(`Map to an existing PSA ${psaWhat} (map only unless --sync), or --create one.`)
    .addOption(connectionOption())
    .option(`--${psaFlag} <id>`, `the PSA ${psaWhat} id`)
    .option('--create', `create the ${psaWhat} in the PSA from the platform's values and map it`)
    .option('--sync', `Map & Sync: also write the platform's values into the PSA ${psaWhat} now`)
    .option('--map-only', 'map without writing to the PSA (the default; the next global sync pushes the fields)')
    .option('--fields <list>', 'with --sync: only these fields (each must be on in the global sync rules)')
    .action(
      action(async (api, id: string, o: Record<string, string | boolean | undefined> & { connection: string }) => {
        const key = psaFlag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
        const psaId = wholeNumber(`--${psaFlag}`, o[key] as string | undefined);
        if (o.create) {
          if (psaId !== undefined) throw invalidInput({ path: '--create', message: `cannot be combined with --${psaFlag}` });
          return create(api, o.connection, id);
        }
        if (psaId === undefined) throw invalidInput({ path: `--${psaFlag}`, message: `is required (or --create to create the ${psaWhat})` });
        if (o.sync && o.mapOnly) throw invalidInput({ path: '--sync', message: 'cannot be combined with --map-only' });
        const fields = list(o.fields as string | undefined);
        // Same default as the HTTP API: mapping alone never writes to the PSA.
        return api.call('POST', `${base(o.connection, kind)}/${seg(id)}/mapping`, { psaId, mode: o.sync ? 'map-and-sync' : 'map-only', ...(fields ? { fields } : {}) });
      }),
    );

  group
    .command('create <id>')
    .description(`Create the ${psaWhat} in the PSA from the platform's values and map it.`)
    .addOption(connectionOption())
    .action(action(async (api, id: string, o: { connection: string }) => create(api, o.connection, id)));

  group
    .command('unmap <id>')
    .description('Disconnect the mapping (the PSA record stays).')
    .addOption(connectionOption())
    .action(action(async (api, id: string, o: { connection: string }) => api.call('DELETE', `${base(o.connection, kind)}/${seg(id)}/mapping`)));
}

const INCLUDE = { product: 'product', plan: 'plan', 'part-number': 'partNumber', licenses: 'licenseCount' } as const;

function serviceCommands(program: Command): void {
  const group = program.command('services').description('Map platform subscriptions to a PSA company and agreement/contract.');
  addList(group, 'subscriptions', true);

  group
    .command('suggest <subscription>')
    .description("The company's agreements (with any §4 rule 9 problem), the one chosen automatically, the default description.")
    .addOption(connectionOption())
    .action(action(async (api, id: string, o: { connection: string }) => api.call('GET', `${base(o.connection, 'subscriptions')}/${seg(id)}/suggestions`)));

  group
    .command('map <subscription>')
    .description("Map onto an agreement (automatic when the customer's company has exactly one); the workflow then writes the lines.")
    .addOption(connectionOption())
    .requiredOption('--description <text>', 'line description (the subscription id is always added)')
    .option('--agreement <id>', 'agreement / contract id (required when the company has several)')
    .option('--company <id>', "PSA company id (default: the customer's mapped company)")
    .option('--include <parts>', `add to the description: ${Object.keys(INCLUDE).join(', ')}`)
    .option('--effective-date <date>', 'YYYY-MM-DD (default: max(subscription start, agreement start))')
    .addOption(new Option('--bill-customer <mode>', 'ConnectWise billCustomer').choices(['Billable', 'DoNotBill', 'NoCharge']))
    .addOption(new Option('--billing-mode <mode>', 'standard: lines from lifecycle events; seat-count: the daily job bills the usage high-water mark, no other line (docs/billing-modes.md)').choices(['standard', 'seat-count']))
    .option('--force', 'switch the billing mode of a subscription that already billed (from the first of next month)')
    .option('--adopt', "take over the MSP's own line for it (cutover) instead of creating one; refused unless one fits")
    .option('--adopt-line <id>', 'with --adopt: the PSA line to take over when several fit')
    .action(
      action(async (api, id: string, o: { connection: string; description: string; agreement?: string; company?: string; include?: string; effectiveDate?: string; billCustomer?: string; billingMode?: string; force?: boolean; adopt?: boolean; adoptLine?: string }) => {
        const include: Record<string, boolean> = {};
        for (const part of list(o.include) ?? []) {
          const key = INCLUDE[part as keyof typeof INCLUDE];
          if (!key) throw invalidInput({ path: '--include', message: `"${part}" is not one of ${Object.keys(INCLUDE).join(', ')}` });
          include[key] = true;
        }
        const agreementId = wholeNumber('--agreement', o.agreement);
        const companyId = wholeNumber('--company', o.company);
        const adoptLine = wholeNumber('--adopt-line', o.adoptLine);
        if (adoptLine !== undefined && !o.adopt) throw invalidInput({ path: '--adopt-line', message: 'needs --adopt' });
        return api.call('POST', `${base(o.connection, 'subscriptions')}/${seg(id)}/mapping`, {
          description: o.description,
          include,
          ...(agreementId !== undefined ? { agreementId } : {}),
          ...(companyId !== undefined ? { companyId } : {}),
          ...(o.effectiveDate ? { effectiveDate: o.effectiveDate } : {}),
          ...(o.billCustomer ? { billCustomer: o.billCustomer } : {}),
          ...(o.billingMode ? { billingMode: o.billingMode } : {}),
          ...(o.force ? { force: true } : {}),
          ...(o.adopt ? { adopt: true } : {}),
          ...(adoptLine !== undefined ? { adoptLine } : {}),
        });
      }),
    );

  group
    .command('unmap <subscription>')
    .description('Disconnect the service; its workflow is told (lines already in the PSA stay).')
    .addOption(connectionOption())
    .action(action(async (api, id: string, o: { connection: string }) => api.call('DELETE', `${base(o.connection, 'subscriptions')}/${seg(id)}/mapping`)));

  group
    .command('retry <subscription>')
    .description('Ask the workflow to retry its failed step.')
    .addOption(connectionOption())
    .action(action(async (api, id: string, o: { connection: string }) => api.call('POST', `${base(o.connection, 'subscriptions')}/${seg(id)}/retry`)));

  group
    .command('skip <subscription>')
    .description('Leave out an event that cannot apply (e.g. an upgrade to a product that will never be mapped); the subscription goes on, the event and the reason stay in its log.')
    .addOption(connectionOption())
    .requiredOption('--event <id>', "the event's id (see `subscriptions state`)")
    .requiredOption('--reason <text>', 'why it is left out (kept in the history)')
    .action(
      action(async (api, id: string, o: { connection: string; event: string; reason: string }) =>
        api.call('POST', `${base(o.connection, 'subscriptions')}/${seg(id)}/events/${seg(o.event)}/skip`, { reason: o.reason }),
      ),
    );
}

export function register(program: Command): void {
  recordCommands(program, 'customers', 'company', { one: 'company', many: 'companies' });
  recordCommands(program, 'products', 'catalog-item', { one: 'catalog item / service', many: 'catalog items / services' });
  serviceCommands(program);
}
