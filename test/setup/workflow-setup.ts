/**
 * Set-up of the `workflow` test level: the workflow bundle (built once per jest run, shared with
 * the integration level) and the path of the native time-skipping test server, which each test
 * file starts itself. No database, no dev server.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { requireTool } from '../../sandbox/stack/tools';

export default async function workflowSetup(): Promise<void> {
  process.env.TEST_TEMPORAL_TEST_SERVER ??= requireTool('temporalTestServer');
  if (process.env.TEST_WORKFLOW_BUNDLE) return;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'psa-connector-bundle-'));
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: new DefaultLogger('WARN') });
  writeFileSync(bundlePath, code);
  process.env.TEST_WORKFLOW_BUNDLE = bundlePath;
}
