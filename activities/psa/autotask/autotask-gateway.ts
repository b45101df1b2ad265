/**
 * The PsaGateway for Autotask: its directory part (companies, services, contracts, credentials,
 * record updates, the service catalog push; autotask-directory.ts) and its lines part
 * (contract services, adjustments and charges written through the operation journal;
 * autotask-lines.ts, autotask-adjustments.ts) over one client — and so one request budget.
 */
import { silentLogger } from '../http';
import type { OperationJournal, PsaGateway } from '../psa-gateway.port';
import { createAutotaskClient, type AutotaskClient, type AutotaskClientDeps } from './autotask-client';
import { createAutotaskDirectory, type AutotaskDirectory, type AutotaskDirectoryDeps } from './autotask-directory';
import { createAutotaskLines } from './autotask-lines';
import { defaultServiceBillingCode } from './billing-codes';
import { createPicklists } from './picklists';

export interface AutotaskGatewayDeps extends AutotaskClientDeps {
  journal: OperationJournal;
  /** Fields Autotask requires on a new company that the connector does not know. */
  companyDefaults?: AutotaskDirectoryDeps['companyDefaults'];
  /** Billing code of services created by createCatalogItem; default: the first active Recurring Contract Service code. */
  serviceBillingCodeId?: number;
  /** Billing code of reconciliation charges; default: the billing code of the subscription's service. */
  chargeBillingCodeId?: number;
}

export interface AutotaskGateway extends PsaGateway, Pick<AutotaskDirectory, 'pushServiceCatalog'> {
  readonly psa: 'autotask';
  /** The underlying client, for tools and tests. */
  readonly client: AutotaskClient;
}

export function createAutotaskGateway(deps: AutotaskGatewayDeps): AutotaskGateway {
  const client = createAutotaskClient(deps);
  const picklists = createPicklists(client);
  const logger = deps.logger ?? silentLogger;
  const defaultBillingCodeId = defaultServiceBillingCode(client, picklists, deps.serviceBillingCodeId);
  return {
    psa: 'autotask',
    client,
    ...createAutotaskDirectory({ client, picklists, logger, serviceBillingCodeId: defaultBillingCodeId, companyDefaults: deps.companyDefaults }),
    ...createAutotaskLines({
      client,
      picklists,
      journal: deps.journal,
      logger,
      now: deps.now ?? Date.now,
      defaultBillingCodeId,
      chargeBillingCodeId: deps.chargeBillingCodeId,
    }),
  };
}
