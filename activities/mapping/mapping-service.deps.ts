/** What the mapping service is built from; tests pass real local servers, production real ones. */
import type { Client } from '@temporalio/client';
import type { PlatformClient } from '../../client/platform-client';
import type { GatewayRegistry } from '../psa/gateway-registry';
import type { OperationJournal } from '../psa/psa-gateway.port';
import type { Store } from '../store';
import type { MappingSettingsRepository } from './mapping-settings';
import type { OutboundPolicy } from './outbound-policy';

export interface MappingServiceDeps {
  store: Store;
  /** Gateways of stored connections. */
  gateways: GatewayRegistry;
  /** Journal handed to the throw-away gateway that tests credentials before they are stored. */
  journal: OperationJournal;
  /** Signals the subscription workflows (map, unmap, retry, events, state). */
  platform: PlatformClient;
  /** The Temporal client under `platform`: its abort signal bounds the state query. */
  temporal: Pick<Client, 'withAbortSignal'>;
  settings: MappingSettingsRepository;
  /** Which connection URLs may be called (docs/security.md); default: no internal address. */
  outbound?: OutboundPolicy;
  now?: () => Date;
  /** How long a subscription's state query may take before we answer without it (default 5 s). */
  stateQueryTimeoutMs?: number;
}
