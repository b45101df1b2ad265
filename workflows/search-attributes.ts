/**
 * Custom search attributes, so an admin can find any subscription in the Temporal Web UI
 * (e.g. `PsaCustomerId = "cust-7" AND PsaMappingStatus = "failed"`). Registered on the dev
 * server by the stack launcher and the test setup, and by docker-compose in production.
 * Keyword only: the SQLite visibility store allows 10 of them, and they are exact-match ids.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const PsaConnectionId = defineSearchAttributeKey('PsaConnectionId', SearchAttributeType.KEYWORD);
export const PsaCustomerId = defineSearchAttributeKey('PsaCustomerId', SearchAttributeType.KEYWORD);
export const PsaSubscriptionId = defineSearchAttributeKey('PsaSubscriptionId', SearchAttributeType.KEYWORD);
export const PsaType = defineSearchAttributeKey('PsaType', SearchAttributeType.KEYWORD);
export const PsaMappingStatus = defineSearchAttributeKey('PsaMappingStatus', SearchAttributeType.KEYWORD);
export const PsaProvider = defineSearchAttributeKey('PsaProvider', SearchAttributeType.KEYWORD);
export const PsaBillingMonth = defineSearchAttributeKey('PsaBillingMonth', SearchAttributeType.KEYWORD);

export const allSearchAttributes = [
  PsaConnectionId,
  PsaCustomerId,
  PsaSubscriptionId,
  PsaType,
  PsaMappingStatus,
  PsaProvider,
  PsaBillingMonth,
] as const;
