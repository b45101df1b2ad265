#!/usr/bin/env node
'use strict';
/**
 * Bin shim of `psa-connector`. Runs the compiled CLI from dist/ (built by `npm run setup`,
 * `npm start` and `npm run build`; starts in ~0.1 s). When dist/ is missing or older than the
 * sources, runs the TypeScript sources through tsx instead: slower, never wrong. The notice
 * saying so goes to a terminal only, so scripts and tests reading stderr see the CLI alone.
 */
const path = require('node:path');
const { CLI_ENTRY, staleReason } = require('./build-state');

const root = path.resolve(__dirname, '..', '..');

function loadCli() {
  const stale = staleReason(root);
  if (stale === null) return require(path.join(root, CLI_ENTRY));
  if (process.stderr.isTTY) {
    process.stderr.write(`psa-connector: ${stale}; running from the TypeScript sources (slower). \`npm run build\` compiles it.\n`);
  }
  require('tsx/cjs');
  return require('../cli/main.ts');
}

loadCli()
  .main(process.argv)
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`${err && err.stack ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    },
  );
