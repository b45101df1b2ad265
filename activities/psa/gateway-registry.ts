/**
 * One PSA gateway per connection and worker process, built from the connection's stored
 * settings and decrypted secret. Rebuilt when the credentials change. One per process matters
 * for Autotask: its hourly request budget is counted by the gateway that makes the requests.
 */
import type { ConnectionRepository, ConnectionWithSecret } from '../store';
import { createAutotaskGateway } from './autotask/autotask-gateway';
import { createConnectWiseGateway } from './connectwise/connectwise-gateway';
import type { Logger } from './http';
import type { OperationJournal, PsaGateway } from './psa-gateway.port';

export interface GatewayRegistryDeps {
  connections: Pick<ConnectionRepository, 'getWithSecret'>;
  journal: OperationJournal;
  logger?: Logger;
}

export interface GatewayRegistry {
  forConnection(connectionId: string): Promise<PsaGateway>;
}

export class UnknownConnectionError extends Error {
  constructor(readonly connectionId: string) {
    super(`no PSA connection "${connectionId}"`);
    this.name = 'UnknownConnectionError';
  }
}

/** A gateway for credentials that are not stored (yet): the live test before saving a connection. */
export function gatewayFor(conn: Pick<ConnectionWithSecret, 'psa' | 'settings' | 'secret'>, journal: OperationJournal, logger?: Logger): PsaGateway {
  if (conn.psa === 'connectwise') {
    const s = conn.settings as Extract<ConnectionWithSecret, { psa: 'connectwise' }>['settings'];
    return createConnectWiseGateway({
      baseUrl: s.baseUrl,
      credentials: { companyId: s.companyId, publicKey: s.publicKey, privateKey: conn.secret, clientId: s.clientId },
      journal,
      logger,
    });
  }
  const s = conn.settings as Extract<ConnectionWithSecret, { psa: 'autotask' }>['settings'];
  return createAutotaskGateway({
    discoveryUrl: s.discoveryUrl,
    credentials: { username: s.username, secret: conn.secret, integrationCode: s.integrationCode },
    journal,
    logger,
  });
}

export function createGatewayRegistry(deps: GatewayRegistryDeps): GatewayRegistry {
  const cache = new Map<string, { version: string; gateway: PsaGateway }>();
  return {
    async forConnection(connectionId) {
      const conn = await deps.connections.getWithSecret(connectionId);
      if (!conn) throw new UnknownConnectionError(connectionId);
      const cached = cache.get(connectionId);
      if (cached && cached.version === conn.credentialsUpdatedAt) return cached.gateway;
      const gateway = gatewayFor(conn, deps.journal, deps.logger);
      cache.set(connectionId, { version: conn.credentialsUpdatedAt, gateway });
      return gateway;
    },
  };
}
