/**
 * The billing code new services (catalog items) and reconciliation charges use when the
 * connection names none: the tenant's first active Recurring Contract Service code.
 */
import { PsaSetupError } from '../psa-setup-error';
import type { AutotaskClient } from './autotask-client';
import { q } from './autotask-query';
import { billingCodeSchema } from './autotask-schemas';
import { CONCEPTS, type Picklists } from './picklists';

export function defaultServiceBillingCode(client: AutotaskClient, picklists: Picklists, configured?: number): () => Promise<number> {
  return async () => {
    if (configured !== undefined) return configured;
    const useType = await picklists.valueOf('BillingCodes', 'useType', CONCEPTS.recurringContractService);
    const [code] = await client.query('BillingCodes', { filter: [q.eq('useType', useType), q.eq('isActive', true)] }, billingCodeSchema, 1);
    if (!code) throw new PsaSetupError('Autotask has no active Recurring Contract Service billing code');
    return code.id;
  };
}
