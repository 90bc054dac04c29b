#!/usr/bin/env node
// node postman.js [--update]: generate docs/postman (the Postman collection
// of docs/openapi.yaml and its production, staging and emulator environments,
// secrets empty) and fail when the checked-in files differ, generated ids
// aside; --update writes them instead. Run by make contract and make postman.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const lib = require('./lib');

const outDir = path.join(lib.repoDir, 'docs', 'postman');
const update = process.argv.includes('--update');

// normalise drops what changes from one generation to the next without the
// document changing: the ids Postman and Portman make up.
function normalise(v) {
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === 'object') {
    const o = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === 'id' || k === '_postman_id' || k === 'postman_id') continue;
      o[k] = normalise(x);
    }
    return o;
  }
  return v;
}

const doc = lib.loadDoc();
const ops = lib.operations(doc);
const collection = lib.portman('portman/docs.json', { includeTests: false });
const problems = lib.setAuth(collection, ops, { keepOverwrites: false });
if (problems.length) {
  for (const p of problems) console.error('postman: ' + p);
  process.exit(1);
}
collection.variable = [
  { key: 'baseUrl', value: doc.servers[0].url, type: 'string', description: 'the API base URL: set by the environment' },
  { key: 'emulatorOrigin', value: '', type: 'string', description: 'zupy emulator only: its origin, for the emulator-only routes' },
  { key: 'sessionToken', value: '', type: 'string', description: 'a session token (zup_sess_…), from POST /auth/otp/verify: set it in the environment' },
  { key: 'apiKey', value: '', type: 'string', description: 'an API key (zup_live_sk_… / zup_test_sk_…): set it in the environment' }
];

const server = (word) => {
  const s = doc.servers.find((x) => (x.description || '').includes(word));
  if (!s) throw new Error(`docs/openapi.yaml has no server described as ${word}`);
  return s.url;
};
const secrets = [
  { key: 'sessionToken', value: '', type: 'secret', enabled: true },
  { key: 'apiKey', value: '', type: 'secret', enabled: true }
];
const emulatorBase = server('emulator');
const files = {
  'zupy.postman_collection.json': collection,
  'zupy-production.postman_environment.json': {
    name: 'Zupy production',
    values: [{ key: 'baseUrl', value: server('production'), type: 'default', enabled: true }, ...secrets]
  },
  'zupy-staging.postman_environment.json': {
    name: 'Zupy staging',
    values: [{ key: 'baseUrl', value: server('staging'), type: 'default', enabled: true }, ...secrets]
  },
  'zupy-emulator.postman_environment.json': {
    name: 'zupy emulator (local)',
    values: [
      { key: 'baseUrl', value: emulatorBase, type: 'default', enabled: true },
      { key: 'emulatorOrigin', value: new URL(emulatorBase).origin, type: 'default', enabled: true },
      ...secrets
    ]
  }
};

// The files ship no credential: the environments' secrets are empty, and no
// string anywhere has the shape of a real key or session token (docs/api.md,
// Authentication), whatever the document's examples say.
const credential = /zup_(live|test)_sk_[A-Za-z0-9]{20,64}|zup_sess_[A-Za-z0-9]{40}/;
for (const [name, content] of Object.entries(files)) {
  const leaked = JSON.stringify(content).match(credential);
  const filled = (content.values || []).filter((v) => v.type === 'secret' && v.value !== '');
  if (leaked || filled.length) {
    console.error(`postman: docs/postman/${name} would carry a credential (${leaked ? 'a string shaped like one' : filled.map((v) => v.key).join(', ')}): refusing to write or accept it`);
    process.exit(1);
  }
}

let stale = [];
for (const [name, content] of Object.entries(files)) {
  const text = JSON.stringify(normalise(content), null, 2) + '\n';
  const file = path.join(outDir, name);
  if (update) {
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(file, text);
    continue;
  }
  let current;
  try {
    current = JSON.stringify(normalise(JSON.parse(fs.readFileSync(file, 'utf8'))), null, 2) + '\n';
  } catch (e) {
    current = null;
  }
  if (current !== text) stale.push('docs/postman/' + name);
}
if (stale.length) {
  console.error(`postman: not generated from the current docs/openapi.yaml: ${stale.join(', ')}; run make postman and commit docs/postman`);
  process.exit(1);
}
console.log(update ? `postman: wrote ${Object.keys(files).length} files in docs/postman` : 'postman: docs/postman is current');
