/**
 * The bare baseline's messages and shapes. Bench-only: the baseline shares no code with the
 * connector (it is the floor the connector is measured against: Temporal plus one PSA request).
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** One PSA write, as literal as the baseline's single HTTP request. */
export type BareWrite =
  | { psa: 'connectwise'; agreementId: number; catalogItemId: number; quantity: number; effectiveDate: string; description: string }
  | { psa: 'autotask'; contractId: number; serviceId: number; unitChange: number; effectiveDate: string };

export interface BareProgress {
  received: number;
  done: number;
  /** Workflow time after the last write's activity returned (the same instant our workflow records as `lastSyncAt`). */
  lastWriteAt: string | null;
}

export const bareEventSignal = defineSignal<[BareWrite]>('bareEvent');
export const bareProgressQuery = defineQuery<BareProgress>('bareProgress');

export const BARE_TASK_QUEUE = 'bench-bare-baseline';
