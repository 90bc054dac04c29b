#!/usr/bin/env node
// node suite.js OUT: generate the contract suite from docs/openapi.yaml with
// Portman (config: portman/contract.json) into OUT, give each request the
// credential its operation takes, and fail when an operation of the document
// is neither covered nor listed as skipped (lib.js, README.md).
'use strict';

const fs = require('node:fs');
const lib = require('./lib');

const out = process.argv[2];
if (!out) {
  console.error('usage: node suite.js OUT.json');
  process.exit(2);
}
const ops = lib.operations(lib.loadDoc());
// The document's first server is production: the base URL is forced to a
// dead loopback port here, and to the emulator's by run-newman.js.
const collection = lib.portman('portman/contract.json', { includeTests: true, baseUrl: 'http://127.0.0.1:1/v1' });
lib.dropNoCredentialVariations(collection, ops);
const problems = lib.setAuth(collection, ops);
// The emulator-only folder ends with POST /_emulator/reset, which ends the
// exec session too: it goes after Portman's Variation Tests folder.
collection.item.sort((a, b) => (a.name === 'emulator-only') - (b.name === 'emulator-only'));
for (const op of lib.uncovered(collection, ops)) {
  problems.push(`${op.id} (${op.method} ${op.path}) is in docs/openapi.yaml and no request of the suite covers it: cover it in portman/contract.json or list it in lib.js's skipped, with why`);
}
if (problems.length) {
  for (const p of problems) console.error('contract suite: ' + p);
  process.exit(1);
}
let requests = 0;
lib.eachRequest(collection.item, () => requests++);
fs.writeFileSync(out, JSON.stringify(collection, null, 2) + '\n', { mode: 0o600 });
console.log(`contract suite: ${requests} requests for ${ops.length - Object.keys(lib.skipped).length} of the document's ${ops.length} operations (skipped: ${Object.keys(lib.skipped).join(', ') || 'none'})`);
