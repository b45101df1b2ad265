/**
 * PsaGateway for ConnectWise PSA: its directory part (companies, catalog items, agreements,
 * credentials, record updates; connectwise-directory.ts) and its lines part (agreement
 * additions written through the operation journal; connectwise-lines.ts) over one client.
 */
import { silentLogger } from '../http/logger';
import type { OperationJournal, PsaGateway } from '../psa-gateway.port';
import { createConnectWiseClient, type ConnectWiseClientDeps } from './connectwise-client';
import { createConnectWiseDirectory, type ConnectWiseDirectoryDeps } from './connectwise-directory';
import { createConnectWiseLines } from './connectwise-lines';

export interface ConnectWiseGatewayDeps extends ConnectWiseClientDeps, Omit<ConnectWiseDirectoryDeps, 'logger'> {
  journal: OperationJournal;
}

export function createConnectWiseGateway(deps: ConnectWiseGatewayDeps): PsaGateway {
  const client = createConnectWiseClient(deps);
  const logger = deps.logger ?? silentLogger;
  return {
    psa: 'connectwise',
    ...createConnectWiseDirectory(client, { logger, catalogDefaults: deps.catalogDefaults, companyDefaults: deps.companyDefaults }),
    ...createConnectWiseLines(client, { journal: deps.journal, logger }),
  };
}
