'use strict';
/**
 * Whether dist/ holds a build of the current TypeScript sources. Shared by the bin shim (run the
 * compiled CLI when fresh, else the sources) and scripts/build.sh (skip tsc when fresh).
 *
 * dist/.build-stamp's mtime is when the last successful build *started*, so a source saved
 * during a build still counts as changed. Fresh means: the stamp and the CLI's entry exist,
 * and no file under tsconfig.build.json's `include` folders, nor a tsconfig, is newer than
 * the stamp. Checking ~200 files costs a few milliseconds.
 *
 *   node client/bin/build-state.js check    exit 0 when fresh; else exit 1 printing why
 *   node client/bin/build-state.js begin    before tsc: notes the start time
 *   node client/bin/build-state.js finish   after a successful tsc: the start time becomes the stamp
 */
const { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync, mkdirSync } = require('node:fs');
const path = require('node:path');

const DIST = 'dist';
const STAMP = path.join(DIST, '.build-stamp');
const NEXT_STAMP = `${STAMP}.next`;
/** The compiled CLI's entry, relative to the project root. */
const CLI_ENTRY = path.join(DIST, 'client', 'cli', 'main.js');
const CONFIGS = ['tsconfig.json', 'tsconfig.build.json'];

/** The first file under `dir` (recursively) modified after `since`, or null. */
function newerFile(root, dir, since) {
  let entries;
  try {
    entries = readdirSync(path.join(root, dir), { withFileTypes: true });
  } catch {
    return null;
  }
  for (const e of entries) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name === 'node_modules') continue;
      const hit = newerFile(root, rel, since);
      if (hit) return hit;
    } else if (e.name.endsWith('.ts') && statSync(path.join(root, rel)).mtimeMs > since) {
      return rel;
    }
  }
  return null;
}

/** Why dist/ cannot be used as is (one short phrase), or null when it is fresh. */
function staleReason(root) {
  if (!existsSync(path.join(root, CLI_ENTRY))) return `no build at ${CLI_ENTRY}`;
  let since;
  try {
    since = statSync(path.join(root, STAMP)).mtimeMs;
  } catch {
    return `${STAMP} is missing (dist/ was not built by scripts/build.sh)`;
  }
  for (const config of CONFIGS) {
    if (existsSync(path.join(root, config)) && statSync(path.join(root, config)).mtimeMs > since) return `${config} changed since the last build`;
  }
  const { include } = JSON.parse(readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8'));
  for (const dir of include) {
    const hit = newerFile(root, dir, since);
    if (hit) return `${hit.split(path.sep).join('/')} changed since the last build`;
  }
  return null;
}

module.exports = { CLI_ENTRY, staleReason };

if (require.main === module) {
  const root = path.resolve(__dirname, '..', '..');
  const command = process.argv[2];
  if (command === 'check') {
    const reason = staleReason(root);
    if (reason) {
      process.stdout.write(`${reason}\n`);
      process.exitCode = 1;
    }
  } else if (command === 'begin') {
    mkdirSync(path.join(root, DIST), { recursive: true });
    writeFileSync(path.join(root, NEXT_STAMP), `${new Date().toISOString()}\n`);
  } else if (command === 'finish') {
    renameSync(path.join(root, NEXT_STAMP), path.join(root, STAMP)); // keeps the start time as mtime
  } else {
    process.stderr.write('usage: node client/bin/build-state.js check|begin|finish\n');
    process.exitCode = 2;
  }
}
