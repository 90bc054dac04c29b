#!/usr/bin/env node
// node run-newman.js SUITE.json, run by `zupy emulator exec --with-session
// --with-key SCOPES` (see make contract): runs the contract suite with Newman
// against that fresh emulator. The emulator's URLs and credentials come from
// the environment exec gives; they are written into a Postman environment
// file readable by this user alone (0600, in a 0700 directory, removed
// afterwards), never put on a command line. Anything but a loopback base URL
// is refused, here and again by the suite before each request.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const newman = require('newman');
const { isLoopbackURL } = require('./lib');

const redact = (s) => s.replace(/zup_(live|test)_sk_[A-Za-z0-9]+|zup_sess_[A-Za-z0-9]+/g, '[REDACTED]');

function fail(msg) {
  console.error('contract: ' + msg);
  process.exit(2);
}

const suitePath = process.argv[2];
if (!suitePath) fail('usage: node run-newman.js SUITE.json (under zupy emulator exec)');
const env = process.env;
for (const v of ['ZUPY_BASE_URL', 'ZUPY_EMULATOR_ORIGIN', 'ZUPY_SESSION_TOKEN', 'ZUPY_API_KEY']) {
  if (!env[v]) fail(`${v} is not set: run this under zupy emulator exec --with-session --with-key SCOPES (make contract does)`);
}
const baseUrl = env.ZUPY_BASE_URL.replace(/\/+$/, '');
const origin = env.ZUPY_EMULATOR_ORIGIN.replace(/\/+$/, '');
for (const [name, u] of [['ZUPY_BASE_URL', baseUrl], ['ZUPY_EMULATOR_ORIGIN', origin]]) {
  if (!isLoopbackURL(u)) fail(`${name} ${JSON.stringify(u)} is not an http URL on a loopback address: the contract suite creates, rotates and revokes keys and runs only against a local emulator`);
}

const collection = JSON.parse(fs.readFileSync(suitePath, 'utf8'));
// Force the base URLs: the collection's own values (a dead loopback port)
// give way to the emulator's, and so would the document's production server.
collection.variable = (collection.variable || []).filter((v) => v.key !== 'baseUrl' && v.key !== 'emulatorOrigin');
collection.variable.push({ key: 'baseUrl', value: baseUrl, type: 'string' }, { key: 'emulatorOrigin', value: origin, type: 'string' });

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zupy-contract-'));
const envFile = path.join(dir, 'emulator.postman_environment.json');
const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => { cleanup(); process.exit(128 + os.constants.signals[sig]); });
fs.writeFileSync(envFile, JSON.stringify({
  name: 'zupy emulator (contract run)',
  values: [
    { key: 'baseUrl', value: baseUrl, type: 'default', enabled: true },
    { key: 'emulatorOrigin', value: origin, type: 'default', enabled: true },
    { key: 'sessionToken', value: env.ZUPY_SESSION_TOKEN, type: 'secret', enabled: true },
    { key: 'apiKey', value: env.ZUPY_API_KEY, type: 'secret', enabled: true }
  ]
}), { mode: 0o600 });

// answers remembers, for each request, the status and the error code of
// its answer: an error body names no secret (docs/api.md, Errors), and
// nothing else of an answer is printed.
const answers = new Map();
// items are the requests begun, sent those that were sent: one begun and
// not sent was skipped by the suite's loopback check, which says why on the
// console (the one console message shown: the others may hold secrets).
const items = new Map();
const sent = new Set();
const refusals = [];
newman.run({
  collection,
  environment: envFile,
  // The cli reporter without the scripts' console (Portman's variable
  // scripts log the values they assign, a rotated key's secret among them),
  // its passing assertions and its failure table (padded to no width off a
  // terminal): the failures are listed below, one per line.
  reporters: ['cli'],
  reporter: { cli: { noConsole: true, noBanner: true, noFailures: true, noAssertions: true } },
  timeoutRequest: 10000,
  ignoreRedirects: true
}).on('beforeItem', (err, a) => {
  items.set(a.item.id, a.item.name);
}).on('console', (err, a) => {
  const m = a.messages.join(' ');
  if (a.level === 'warn' && m.startsWith('contract suite: refusing ')) refusals.push(m);
}).on('request', (err, a) => {
  if (a && a.item) sent.add(a.item.id);
  if (err || !a.response) return;
  let code = '';
  if (a.response.code >= 400) {
    try {
      const b = JSON.parse(a.response.stream.toString());
      code = ` ${b.error}/${b.details && b.details.error_code}`;
    } catch { /* not JSON: the status says enough */ }
  }
  answers.set(a.item.id, `HTTP ${a.response.code}${code}`);
}).on('done', (err, summary) => {
  cleanup();
  if (err) fail('newman: ' + err.message);
  const s = summary.run.stats;
  const failures = summary.run.failures;
  failures.forEach((f, i) => {
    const where = f.source && f.source.name ? f.source.name : '?';
    const got = f.source && answers.get(f.source.id);
    console.log(`${i + 1}. ${where}${got ? ' (' + got + ')' : ''}: ${f.error.test || f.error.name}`);
    // A schema failure lists its errors on the lines after the first; a
    // body that is not JSON is quoted, so anything shaped like a key or a
    // session token is redacted.
    for (const line of f.error.message.split('\n').filter((l) => l.trim()).slice(0, 6)) {
      console.log('   ' + redact(line.trim()).slice(0, 300));
    }
  });
  for (const m of refusals) console.log(m);
  const skipped = [...items].filter(([id]) => !sent.has(id)).map(([, name]) => name);
  if (skipped.length) console.log(`contract: not sent: ${skipped.join(', ')}`);
  console.log(`contract: ${s.requests.total} requests, ${s.assertions.total} assertions, ${failures.length} failed, against ${baseUrl} and ${origin}`);
  process.exit(failures.length || skipped.length || refusals.length || summary.run.error ? 1 : 0);
});
