// What a Node.js project's CI does with the emulator: start `duoctl emulator --json` as a
// subprocess, read its one-line JSON banner, script a deny and then an approve through the
// control API, and check what Duo's official Node SDK (@duosecurity/duo_universal) returns.
//
//   DUOCTL_NODE_SDK_DIR=DIR node --test tests/emulator/node/service.test.cjs
//
// Trust: SDK 3.x pins Duo's CAs in the https.Agent its constructor hands to axios
// (src/client.ts: `new https.Agent({ ca: DUO_PINNED_CERT })`) and has no option to change
// it, so the test replaces that one agent with one trusting the emulator's CA (verification
// stays on). The browser's first hop and the control API trust the same CA.
'use strict';

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const https = require('node:https');
const { createRequire } = require('node:module');
const path = require('node:path');
const readline = require('node:readline');
const { after, before, test } = require('node:test');

const sdkDir = process.env.DUOCTL_NODE_SDK_DIR;
const sdkRequire = createRequire(path.join(sdkDir, 'node_modules', 'x.js'));
const { Client } = sdkRequire('@duosecurity/duo_universal');

const REDIRECT_URL = 'http://localhost:8080/duo-callback';
let emulator;
let banner;
let ca;

function startEmulator() {
  // DUOCTL_COMMAND: the argv prefix as a JSON array (default: duoctl on PATH).
  const [command, ...prefix] = JSON.parse(process.env.DUOCTL_COMMAND || '["duoctl"]');
  const child = spawn(command, [...prefix, 'emulator', '--json', '--user', 'dana'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error('no JSON banner within 60 s')), 60000);
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`duoctl emulator exited ${code}`)));
    lines.once('line', (line) => {
      clearTimeout(timer);
      const document = JSON.parse(line);
      assert.equal(document.ok, true);
      resolve({ child, banner: document.data });
    });
  });
}

function request(method, url, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ca, headers, timeout: 30000 }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode,
          headers: res.headers,
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

async function control(method, route, payload) {
  const headers = { Authorization: `Bearer ${banner.control.token}` };
  let body;
  if (payload !== undefined) {
    body = JSON.stringify(payload);
    headers['Content-Type'] = 'application/json';
  }
  const answer = await request(method, banner.control.url + route, { headers, body });
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.headers['cache-control'], 'no-store');
  return JSON.parse(answer.text);
}

function sdkClient() {
  const client = new Client({
    clientId: banner.client_id,
    clientSecret: fs.readFileSync(banner.client_secret_file, 'utf8').trim(),
    apiHost: banner.api_host,
    redirectUrl: REDIRECT_URL,
  });
  client.axios.defaults.httpsAgent = new https.Agent({ ca });
  return client;
}

async function login(client, username) {
  const state = client.generateState();
  // The browser's part: one GET of the auth URL, the redirect back not followed.
  const hop = await request('GET', await client.createAuthUrl(username, state));
  assert.equal(hop.status, 302, hop.text);
  const callback = Object.fromEntries(new URL(hop.headers.location).searchParams);
  assert.equal(callback.state, state);
  return client.exchangeAuthorizationCodeFor2FAResult(callback.duo_code, username);
}

before(async () => {
  ({ child: emulator, banner } = await startEmulator());
  ca = fs.readFileSync(banner.ca_bundle);
});

after(() => {
  if (emulator) {
    emulator.removeAllListeners('exit');
    emulator.kill('SIGTERM');
  }
});

test('the readiness probe needs no token; the control API needs it', async () => {
  const health = await request('GET', banner.control.health);
  assert.equal(health.status, 200);
  const refused = await request('GET', banner.control.url + 'users');
  assert.equal(refused.status, 401);
});

test('a scripted deny, then an approve, as the official Node SDK sees them', async () => {
  const client = sdkClient();
  assert.equal((await client.healthCheck()).stat, 'OK');

  await control('PUT', 'users/dana', { outcome: 'deny' });
  const denied = await login(client, 'dana');
  assert.equal(denied.auth_result.status, 'deny');

  await control('PUT', 'users/dana', { outcome: 'approve' });
  const approved = await login(client, 'dana');
  assert.equal(approved.auth_result.status, 'allow');
  assert.equal(approved.preferred_username, 'dana');

  const { requests } = await control('GET', 'requests?last=10');
  const decisions = requests.filter((r) => r.decision).map((r) => r.decision);
  assert.deepEqual(
    decisions.map((d) => [d.user, d.result, d.reason]),
    [
      ['dana', 'denied', 'user_cancelled'],
      ['dana', 'success', 'user_approved'],
    ],
  );
  assert.equal(decisions[1].txid, approved.auth_context.txid);

  await control('POST', 'reset');
  assert.deepEqual((await control('GET', 'users')).users.map((u) => u.outcome), ['approve']);
});
