/** The bundle workflow's messages (shapes and schemas: contracts/bundle.ts). */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { BundleMemberReport, BundleWorkflowState } from '../contracts/bundle';

/** A member's billed values (any JSON: the handler checks it and records a bad one). */
export const bundleMemberSignal = defineSignal<[BundleMemberReport]>('bundleMember');
/** The bundle's definition changed in the store (created, deleted): read it again. */
export const bundleChangedSignal = defineSignal<[]>('bundleChanged');
export const bundleStateQuery = defineQuery<BundleWorkflowState>('bundleState');
