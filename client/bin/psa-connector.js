#!/usr/bin/env node
// Bin shim: runs the TypeScript CLI through tsx, so `npx psa-connector ...` needs no build.
'use strict';
require('tsx/cjs');
const { main } = require('../cli/main.ts');
main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`${err && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
