// Shared by the scripts of make contract (tools/contract/README.md): read
// docs/openapi.yaml, run Portman, and set each request's credential from the
// security the document gives its operation.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const YAML = require('yaml');

const toolsDir = __dirname;
const repoDir = path.resolve(toolsDir, '..', '..');
const docPath = path.join(repoDir, 'docs', 'openapi.yaml');
const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

// Operations the generated requests do not cover, each with why
// (tools/contract/README.md lists them too).
const skipped = {
  emulatorDashboardEvents:
    'GET /_emulator/ui/events is a text/event-stream that stays open until the emulator stops: ' +
    'Newman waits for a whole answer, so it would only time out. The Go tests of the dashboard read it.'
};

function loadDoc() {
  return YAML.parse(fs.readFileSync(docPath, 'utf8'));
}

// operations lists every operation of the document: id, method, path, and the
// security scheme names it takes ([] for none).
function operations(doc) {
  const ops = [];
  for (const [p, item] of Object.entries(doc.paths || {})) {
    for (const m of methods) {
      const op = item[m];
      if (!op) continue;
      const security = op.security !== undefined ? op.security : (doc.security || []);
      ops.push({
        id: op.operationId,
        method: m.toUpperCase(),
        path: p,
        schemes: security.flatMap((req) => Object.keys(req))
      });
    }
  }
  return ops;
}

// requestPath turns a Postman request's URL path back into the document's
// form: /api-keys/{key_id} for api-keys/:key_id.
function requestPath(req) {
  const parts = req.url.path || [];
  return '/' + parts.map((s) => (s.startsWith(':') ? '{' + s.slice(1) + '}' : s)).join('/');
}

// eachRequest calls fn(item, folderNames) for every request of a collection.
function eachRequest(items, fn, folders = []) {
  for (const it of items) {
    if (Array.isArray(it.item)) eachRequest(it.item, fn, folders.concat(it.name));
    else fn(it, folders);
  }
}

function findOperation(ops, req) {
  const p = requestPath(req);
  return ops.find((o) => o.method === req.method && o.path === p);
}

const bearer = (variable) => ({ type: 'bearer', bearer: [{ key: 'token', value: '{{' + variable + '}}', type: 'string' }] });

// schemeVariables maps the document's security schemes to the collection
// variables holding their credential.
const schemeVariables = { session: 'sessionToken', apiKey: 'apiKey' };

// setAuth gives every request the credential its operation takes in the
// document: none for `security: []` (the OTP and /_emulator routes), the
// session token or the API key otherwise. openapi-to-postman maps both
// bearer schemes to one {{bearerToken}}; this tells them apart. A request
// that already names another variable (a per-operation overwrite of the
// Portman config, like logout with the suite's own session) keeps it.
function setAuth(collection, ops, { keepOverwrites = true } = {}) {
  collection.auth = bearer(schemeVariables.session);
  const problems = [];
  eachRequest(collection.item, (it, folders) => {
    const req = it.request;
    const op = findOperation(ops, req);
    if (!op) {
      problems.push(`${req.method} ${requestPath(req)} is in the collection and not in docs/openapi.yaml`);
      return;
    }
    if (folders[0] === 'Variation Tests' && /without a credential/.test(it.name)) {
      req.auth = { type: 'noauth' };
      return;
    }
    if (op.schemes.length === 0) {
      req.auth = { type: 'noauth' };
      return;
    }
    const own = req.auth && req.auth.type === 'bearer' && req.auth.bearer.find((b) => b.key === 'token');
    // {{bearerToken}} is openapi-to-postman's own name for any bearer scheme.
    const converted = ['bearerToken'].concat(Object.values(schemeVariables));
    if (keepOverwrites && own && !converted.includes(own.value.replace(/[{}]/g, ''))) return;
    const variable = schemeVariables[op.schemes[0]];
    if (!variable) {
      problems.push(`${op.id}: unknown security scheme ${op.schemes[0]}`);
      return;
    }
    req.auth = bearer(variable);
  });
  return problems;
}

// dropNoCredentialVariations removes the "without a credential" variations
// of operations that take no credential (`security: []`: the OTP and
// /_emulator routes), where a missing credential is no error. Portman makes
// one for every operation whose answers include a 401.
function dropNoCredentialVariations(collection, ops) {
  const keep = (items) => items.filter((it) => {
    if (Array.isArray(it.item)) {
      it.item = keep(it.item);
      return it.item.length > 0;
    }
    if (!/\[without a credential\]$/.test(it.name)) return true;
    const op = findOperation(ops, it.request);
    return !op || op.schemes.length > 0;
  });
  collection.item = collection.item.map((f) => (f.name === 'Variation Tests' ? { ...f, item: keep(f.item) } : f));
}

// coverage lists the document's operations no request of the collection
// (outside the variations) covers and that are not in `skipped`.
function uncovered(collection, ops) {
  const seen = new Set();
  eachRequest(collection.item, (it, folders) => {
    if (folders[0] === 'Variation Tests') return;
    const op = findOperation(ops, it.request);
    if (op) seen.add(op.id);
  });
  return ops.filter((o) => !seen.has(o.id) && !skipped[o.id]);
}

// portman runs the pinned Portman on docs/openapi.yaml and returns the
// collection. It runs in a scratch directory (Portman writes ./tmp there),
// with a copy of the config whose file: scripts point into tools/contract.
function portman(configFile, { includeTests, baseUrl }) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'zupy-portman-'));
  try {
    const config = JSON.parse(fs.readFileSync(path.join(toolsDir, configFile), 'utf8'));
    const absolutise = (v) => (typeof v === 'string' && v.startsWith('file:') ? 'file:' + path.join(toolsDir, v.slice(5)) : v);
    const walk = (v) => (Array.isArray(v) ? v.map(walk) : v && typeof v === 'object'
      ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)])) : absolutise(v));
    fs.writeFileSync(path.join(work, 'portman.json'), JSON.stringify(walk(config)));
    const out = path.join(work, 'collection.json');
    const args = ['-l', docPath, '-c', path.join(work, 'portman.json'),
      '-s', path.join(toolsDir, 'portman', 'postman-config.json'),
      '--filterFile', path.join(toolsDir, 'portman', 'filter.json'),
      '--includeTests', String(includeTests), '-o', out];
    if (baseUrl) args.push('-b', baseUrl);
    try {
      execFileSync(path.join(toolsDir, 'node_modules', '.bin', 'portman'), args, {
        cwd: work, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_UPDATE_NOTIFIER: '1', NODE_OPTIONS: '--require ' + path.join(toolsDir, 'seed-random.js') }
      });
    } catch (e) {
      process.stderr.write(String(e.stdout || '') + String(e.stderr || ''));
      throw new Error('portman failed (exit ' + e.status + ')');
    }
    return JSON.parse(fs.readFileSync(out, 'utf8'));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

// isLoopbackURL: an http URL whose host is localhost, 127.0.0.0/8 or [::1].
function isLoopbackURL(s) {
  let u;
  try { u = new URL(s); } catch { return false; }
  if (u.protocol !== 'http:' || u.username || u.password) return false;
  const h = u.hostname.toLowerCase();
  return h === 'localhost' || h === '[::1]' || /^127(\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}$/.test(h);
}

module.exports = {
  toolsDir, repoDir, docPath, skipped, loadDoc, operations, eachRequest, requestPath,
  setAuth, dropNoCredentialVariations, uncovered, portman, isLoopbackURL
};
