/** Prebuilds the workflow bundle (Dockerfile: `node dist/worker/bundle.js dist/workflow-bundle.js`). */
import { bundleWorkflowCode } from '@temporalio/worker';
import { writeFile } from 'node:fs/promises';

async function main(): Promise<void> {
  const out = process.argv[2] ?? 'workflow-bundle.js';
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows') });
  await writeFile(out, code);
  console.log(`workflow bundle written to ${out}`);
}

void main();
