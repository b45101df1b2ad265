/** What the workflow-level test set-up (workflow-setup.ts) leaves for the test files. */
export function workflowBundle(): string {
  const p = process.env.TEST_WORKFLOW_BUNDLE;
  if (!p) throw new Error('no workflow bundle: run through `npm test` or `npx jest --selectProjects workflow`');
  return p;
}

export function temporalTestServer(): string {
  const p = process.env.TEST_TEMPORAL_TEST_SERVER;
  if (!p) throw new Error('no Temporal test server path: run through `npm test` or `npx jest --selectProjects workflow`');
  return p;
}
