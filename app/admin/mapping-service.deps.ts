/** What the mapping service is built from; tests pass real local servers, production real ones. */
import type { SubscriptionMessenger } from '../../contracts/subscription';
import type { BundleMessenger } from '../../contracts/bundle';
import type { GatewayRegistry } from '../../activities/psa/gateway-registry';
import type { OperationJournal } from '../../activities/psa/psa-gateway.port';
import type { Connection, Store } from '../../activities/store';
import type { MappingSettingsRepository } from './mapping-settings';
import type { OutboundPolicy } from './outbound-policy';

/** What changed on the Temporal server (schedule ids). */
export interface ScheduleChanges {
  created: string[];
  updated: string[];
  unchanged: string[];
  deleted: string[];
}

/** The Temporal Schedules a connection implies (global sync, reconciliation, digest, seat count: docs/operations.md). */
export interface ConnectionSchedules {
  /** Brings the connection's Schedules in line with `connection`; null removes them all. Idempotent; throws when Temporal cannot be reached. */
  apply(connectionId: string, connection: Connection | null): Promise<ScheduleChanges>;
}

export interface MappingServiceDeps {
  store: Store;
  /** Gateways of stored connections. */
  gateways: GatewayRegistry;
  /** Journal handed to the throw-away gateway that tests credentials before they are stored. */
  journal: OperationJournal;
  /** Tells the subscription workflows (reports, events, placements, retries, skips) and reads their state. */
  platform: SubscriptionMessenger;
  /** Tells bundle workflows their definition changed and reads their state (docs/billing-modes.md); absent: bundles cannot be created. */
  bundles?: BundleMessenger;
  settings: MappingSettingsRepository;
  /** Which connection URLs may be called (docs/security.md); default: no internal address. */
  outbound?: OutboundPolicy;
  /** Adding, changing and deleting a connection applies its Schedules (docs/mapping.md "Schedules follow connections"); absent: left to `schedules apply`. */
  schedules?: ConnectionSchedules;
  now?: () => Date;
  /** How long a subscription's state query may take before we answer without it (default 5 s). */
  stateQueryTimeoutMs?: number;
}
