// Drives Duo's official Node.js SDK (@duosecurity/duo_universal) against the emulator:
// health check -> authorize (one GET, as a browser's first hop) -> token, for every scenario,
// `runs` times with a random sub-second pause between runs. Prints one JSON line per attempt;
// the Python test decides what is right.
//
// Trust: SDK 3.0.0 (the latest release) pins Duo's real CAs in its https.Agent and has no
// option to change that, so the driver replaces that one agent with one trusting the
// emulator's CA (still verifying, as the Python SDK's duo_certs= does). Nothing else of the
// SDK is touched: the JWTs, requests and checks are its own. The browser hop trusts the same
// CA through NODE_EXTRA_CA_CERTS.
//
//   node node_driver.cjs SDK_DIR < config.json
'use strict';

const fs = require('node:fs');
const https = require('node:https');
const { createRequire } = require('node:module');
const path = require('node:path');

const sdkRequire = createRequire(path.join(process.argv[2], 'node_modules', 'x.js'));
const { Client } = sdkRequire('@duosecurity/duo_universal');

function firstHop(url) {
  // What a browser does with the auth URL: one GET, the redirect not followed.
  return new Promise((resolve, reject) => {
    const request = https.get(url, { timeout: 10000 }, (response) => {
      response.resume();
      response.on('end', () =>
        resolve({ status: response.statusCode, location: response.headers.location || null }),
      );
    });
    request.on('timeout', () => request.destroy(new Error('authorize timed out')));
    request.on('error', reject);
  });
}

async function attempt(config, scenario) {
  const client = new Client({
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    apiHost: scenario.apiHost,
    redirectUrl: config.redirectUri,
  });
  client.axios.defaults.httpsAgent = new https.Agent({ ca: config.ca });
  const seen = { scenario: scenario.name, username: scenario.username };
  try {
    seen.health = (await client.healthCheck()).stat;
    const state = client.generateState();
    seen.state = state;
    const hop = await firstHop(await client.createAuthUrl(scenario.username, state));
    seen.authorize_status = hop.status;
    seen.callback = null;
    if (hop.location) {
      const params = Object.fromEntries(new URL(hop.location).searchParams);
      seen.callback = params;
      if (params.duo_code) {
        const token = await client.exchangeAuthorizationCodeFor2FAResult(
          params.duo_code,
          scenario.username,
        );
        seen.token_status = token.auth_result.status;
        seen.preferred_username = token.preferred_username;
      }
    }
  } catch (err) {
    seen.error = String(err && err.message ? err.message : err);
  }
  return seen;
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const config = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  config.ca = fs.readFileSync(config.caFile);
  for (let run = 0; run < config.runs; run += 1) {
    for (const scenario of config.scenarios) {
      const seen = await attempt(config, scenario);
      seen.run = run;
      process.stdout.write(JSON.stringify(seen) + '\n');
    }
    // Sub-second and random, so the SDK's rounded iat lands on every part of a second.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * config.maxDelayMs));
  }
}

main().catch((err) => {
  process.stderr.write(`node driver failed: ${err && err.stack ? err.stack : err}\n`);
  process.exit(2);
});
