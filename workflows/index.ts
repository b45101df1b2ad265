/** Every workflow the worker runs (one module: the worker's workflowsPath and the prebuilt bundle). */
export { subscriptionWorkflow } from './subscription.workflow';
export { reconciliationWorkflow, scheduledReconciliationWorkflow } from './reconciliation.workflow';
export { globalSyncWorkflow } from './global-sync.workflow';
export { notificationDigestWorkflow } from './notification-digest.workflow';
export { seatCountWorkflow } from './seat-count.workflow';
export { bundleWorkflow } from './bundle.workflow';
