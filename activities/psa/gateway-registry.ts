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
  /**
   * How long a connection's settings and decrypted secret are reused before they are read again
   * (default 30 s): a PSA write then costs no database read. A credentials change reaches a
   * running worker within this time.
   */
  ttlMs?: number;
  now?: () => number;
}

export interface GatewayRegistry {
  forConnection(connectionId: string): Promise<PsaGateway>;
  /** Drops what is cached for a connection (its credentials changed, or it was deleted). */
  forget(connectionId: string): void;
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
  const ttlMs = deps.ttlMs ?? 30_000;
  const now = deps.now ?? Date.now;
  const cache = new Map<string, { version: string; gateway: PsaGateway; checkedAt: number }>();
  return {
    async forConnection(connectionId) {
      const cached = cache.get(connectionId);
      if (cached && now() - cached.checkedAt < ttlMs) return cached.gateway;
      const conn = await deps.connections.getWithSecret(connectionId);
      if (!conn) {
        cache.delete(connectionId);
        throw new UnknownConnectionError(connectionId);
      }
      // The same credentials keep the same gateway (and its Autotask request budget).
      if (cached && cached.version === conn.credentialsUpdatedAt) {
        cached.checkedAt = now();
        return cached.gateway;
      }
      const gateway = gatewayFor(conn, deps.journal, deps.logger);
      cache.set(connectionId, { version: conn.credentialsUpdatedAt, gateway, checkedAt: now() });
      return gateway;
    },
    forget(connectionId) {
      cache.delete(connectionId);
    },
  };
}
