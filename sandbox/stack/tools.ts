/** Where scripts/install-tools.sh puts the pinned tools. */
import path from 'node:path';
import { existsSync } from 'node:fs';

export const projectRoot = path.resolve(__dirname, '../..');
const bin = (name: string) => path.join(projectRoot, '.tools/bin', name);

export const toolPaths = {
  temporal: bin('temporal'),
  temporalTestServer: bin('temporal-test-server'),
  ferretdb: bin('ferretdb'),
};

/** Fails with the command to run when a tool is missing (e.g. `npm test` was bypassed). */
export function requireTool(tool: keyof typeof toolPaths): string {
  const p = toolPaths[tool];
  if (!existsSync(p)) throw new Error(`${tool} is not installed at ${p}; run: npm run setup`);
  return p;
}
