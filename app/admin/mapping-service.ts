/**
 * The mapping service: everything an MSP admin does to connect the platform to a PSA (seed 004
 * "Credentials", "Global Sync Rules", "Customer/Product Mapping", "Mapped Services"), plus the
 * platform's intake. One implementation behind both admin surfaces: the HTTP API calls it, the
 * CLI calls the HTTP API.
 *
 * Every operation validates its input with zod and throws one of: ValidationError (400, a
 * "field path: reason" problem per line), NotFoundError (404), ConflictError (409), PsaError
 * (502, the PSA's own message) — see mapping-errors.ts.
 */
import { createConnectionOperations } from './mapping-service.connections';
import type { MappingServiceDeps } from './mapping-service.deps';
import { createIntakeOperations } from './mapping-service.intake';
import { createCustomerOperations, createProductOperations } from './mapping-service.records';
import { createServiceOperations } from './mapping-service.services';
import { createBundleOperations } from './mapping-service.bundles';
import { createOwnedLineOperations } from './mapping-service.owned-lines';
import { NotFoundError } from './mapping-errors';
import { createRenewalOperations } from './renewals';

export type { MappingServiceDeps } from './mapping-service.deps';

export function createMappingService(deps: MappingServiceDeps) {
  return {
    connections: createConnectionOperations(deps),
    customers: createCustomerOperations(deps),
    products: createProductOperations(deps),
    services: createServiceOperations(deps),
    /** Adoption at cutover and drift of the lines subscriptions own (docs/adopt-and-drift.md). */
    ownedLines: createOwnedLineOperations(deps),
    platform: createIntakeOperations(deps),
    /** Bundles: several subscriptions billed through one PSA line (docs/billing-modes.md). */
    bundles: createBundleOperations(deps),
    renewals: createRenewalOperations(deps),

    /** Per kind { total, mapped, unmapped, failed } (seed 004: failed counts inside mapped/unmapped). */
    async summary(connectionId: string) {
      if (!(await deps.store.connections.get(connectionId))) throw new NotFoundError('connection', connectionId);
      return deps.store.mappings.summary(connectionId);
    },
  };
}

export type MappingService = ReturnType<typeof createMappingService>;
