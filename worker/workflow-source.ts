/** Production runs the prebuilt bundle (worker/bundle.ts); development bundles from source. */
import { existsSync } from 'node:fs';
import path from 'node:path';

export function workflowSource(): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  const bundle = process.env.WORKFLOW_BUNDLE ?? path.resolve(__dirname, '../workflow-bundle.js');
  if (existsSync(bundle)) return { workflowBundle: { codePath: bundle } };
  return { workflowsPath: require.resolve('../workflows') };
}
