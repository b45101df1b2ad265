/**
 * The Updates and the query of the monthly reconciliation workflow (shapes: contracts/reconciliation.ts):
 * human decisions as Updates with validators (accept / reject / retry, one subscription or in bulk).
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { DecisionRequest, DecisionResult, ReconciliationRunState } from '../contracts/reconciliation';

export const acceptUpdate = defineUpdate<DecisionResult, [DecisionRequest]>('accept');
export const rejectUpdate = defineUpdate<DecisionResult, [DecisionRequest]>('reject');
export const retryUpdate = defineUpdate<DecisionResult, [DecisionRequest]>('retry');
export const reconciliationStateQuery = defineQuery<ReconciliationRunState>('state');

