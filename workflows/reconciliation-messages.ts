/**
 * The messages of the monthly reconciliation (shapes: contracts/reconciliation.ts).
 * The run (`reconciliation/<conn>/<provider>/<month>`) answers `state` with its counts and chunks;
 * each chunk (`.../chunk-<n>`) holds its items, answers `state` with a page of them, and takes the
 * human decisions as Updates with validators (accept / reject / retry, by ids or all of its items).
 * The run and its chunks talk by signals: the run asks for a daily check, a chunk reports its counts.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ChunkCheck, ChunkItemsPage, ChunkReport, DecisionRequest, DecisionResult, ItemsPageRequest, ReconciliationRunState } from '../contracts/reconciliation';
import type { DecisionAction } from './reconciliation-decisions';

export const acceptUpdate = defineUpdate<DecisionResult, [DecisionRequest]>('accept');
export const rejectUpdate = defineUpdate<DecisionResult, [DecisionRequest]>('reject');
export const retryUpdate = defineUpdate<DecisionResult, [DecisionRequest]>('retry');
/** The run: dates, counts per status, chunks (bounded: never the items). */
export const reconciliationStateQuery = defineQuery<ReconciliationRunState>('state');
/** A chunk: its counts and one page of its items (default the first 100, at most 500). */
export const chunkStateQuery = defineQuery<ChunkItemsPage, [ItemsPageRequest?]>('state');
/** A chunk: why it would refuse a decision (empty: it would take it), without touching anything. */
export const decisionProblemsQuery = defineQuery<string[], [DecisionAction, DecisionRequest]>('decisionProblems');
/** Run → chunk: carry out a daily check. */
export const chunkCheckSignal = defineSignal<[ChunkCheck]>('check');
/** Chunk → run: counts after a check or a decision, and whether the chunk has finished. */
export const chunkReportSignal = defineSignal<[ChunkReport]>('chunkReport');
