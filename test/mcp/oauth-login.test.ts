// OAuth end to end against a local authorization server: `vmlx mcp login` with a scripted browser (BROWSER)
// and the loopback redirect listener, the token file (mode 0600), `mcp tools` with the saved token, refresh
// before expiry, a revoked token ("run vmlx mcp login"), logout, and a wrong audience refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOAuthFixture, type OAuthFixture } from './fixtures/oauth-server.js';
import { runVmlx } from '../helpers/vmlx-cli.js';
import { tempDir } from './helpers.js';

const BROWSER = `${process.execPath} ${fileURLToPath(new URL('./fixtures/scripted-browser.js', import.meta.url))}`;
let as: OAuthFixture;
const home = tempDir('vmlx-oauth-');
const config = join(home, 'mcp.json');
// The file store is what these tests check (a developer's keyring is never touched by them).
const env = { VMLX_HOME: home, BROWSER, VMLX_TOKEN_STORE: 'file' };
const tokenFile = join(home, 'mcp-auth.json');

before(async () => {
  as = await startOAuthFixture();
  writeFileSync(config, JSON.stringify({ mcpServers: { remote: { url: as.mcpUrl, type: 'http' } } }));
});

after(async () => {
  await as?.close();
});

const vmlx = (...args: string[]) => runVmlx([...args, '--mcp-config', config], { env });

test('before login: tools says the server needs a login and how, and exits non-zero', async () => {
  const r = await vmlx('mcp', 'tools');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /remote: failed: initialize: HTTP 401: 'remote' needs a login: run `vmlx mcp login remote`/);
  assert.equal(as.registrations, 0, 'nothing is registered without a login');
});

test('login: discovery, registration, PKCE + resource through the browser, tokens saved with mode 0600', async () => {
  const r = await vmlx('mcp', 'login', 'remote');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `logged in to 'remote' (oauth-fixture 1.0.0): 1 tool\ntokens kept in the file ${tokenFile} (mode 0600)\n`);
  assert.match(r.stderr, /To log in to 'remote', open: http:\/\/127\.0\.0\.1:\d+\/authorize\?/);
  assert.equal(as.registrations, 1);
  const q = as.authorizeRequests.at(-1)!;
  assert.equal(q.get('code_challenge_method'), 'S256');
  assert.equal(q.get('resource'), as.mcpUrl);
  assert.equal(q.get('scope'), 'mcp:tools', 'the scope the server named');
  assert.match(q.get('redirect_uri') ?? '', /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
  assert.deepEqual(as.tokenGrants, ['authorization_code']);
  assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
  const saved = JSON.parse(readFileSync(tokenFile, 'utf8'));
  assert.equal(saved.servers.remote.url, as.mcpUrl);
  assert.ok(saved.servers.remote.tokens.access_token);
});

test('after login: tools works with the saved token; the token is not in the audit log', async () => {
  const r = await vmlx('mcp', 'tools', '--audit-db', join(home, 'audit.db'));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /remote__whoami/);
  const call = await vmlx('mcp', 'call', 'remote', 'whoami', '{}', '--audit-db', join(home, 'audit.db'));
  assert.equal(call.code, 0, call.stderr);
  assert.match(call.stdout, /logged in/);
  const token = JSON.parse(readFileSync(tokenFile, 'utf8')).servers.remote.tokens.access_token as string;
  assert.ok(!readFileSync(join(home, 'audit.db')).includes(Buffer.from(token)));
});

test('a token about to expire is refreshed before the connection uses it', async () => {
  as.expiresIn = 5; // under the refresh margin: the next connection refreshes first
  const login = await vmlx('mcp', 'login', 'remote');
  assert.equal(login.code, 0, login.stderr);
  as.expiresIn = 3600;
  const grants = as.tokenGrants.length;
  const r = await vmlx('mcp', 'tools');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(as.tokenGrants.slice(grants), ['refresh_token']);
  assert.equal(as.registrations, 1, 'the registration is reused');
});

test('a revoked token: the refresh fails, and the user is told to log in again', async () => {
  as.revokeAll();
  const r = await vmlx('mcp', 'tools');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /needs a login: run `vmlx mcp login remote`/);
});

test('logout forgets the tokens; a second logout says there was nothing', async () => {
  const r = await runVmlx(['mcp', 'logout', 'remote'], { env });
  assert.equal(r.stdout, "logged out of 'remote'\n", r.stderr);
  assert.equal(JSON.parse(readFileSync(tokenFile, 'utf8')).servers.remote, undefined);
  assert.equal((await runVmlx(['mcp', 'logout', 'remote'], { env })).stdout, "no login saved for 'remote'\n");
});

test('a protected resource that names another audience is refused', async () => {
  as.wrongAudience = true;
  try {
    const r = await vmlx('mcp', 'login', 'remote');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /login to 'remote' failed: .*elsewhere\.example/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  } finally {
    as.wrongAudience = false;
  }
});

test('login of an unknown or stdio server: a one-line error', async () => {
  const r = await vmlx('mcp', 'login', 'nope');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no MCP server named 'nope' \(it has: remote\)/);
});

test('no browser can be opened and the server offers the device grant: the code is printed, vmlx polls, the login works', async () => {
  as.device = 'approve';
  try {
    const noBrowser = { ...env, BROWSER: join(home, 'no-such-browser') };
    const grants = as.tokenGrants.length;
    const r = await runVmlx(['mcp', 'login', 'remote', '--mcp-config', config], { env: noBrowser });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^logged in to 'remote' \(oauth-fixture 1\.0\.0\): 1 tool\n/);
    assert.match(r.stderr, /offers a device code login instead/);
    assert.match(r.stderr, /open http:\/\/127\.0\.0\.1:\d+\/device and enter the code WDJB-MJHT/);
    assert.doesNotMatch(r.stderr, /\/authorize\?/, 'the browser URL is not offered when the device code is used');
    assert.deepEqual(as.tokenGrants.slice(grants), ['urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:device_code']);
    const q = as.deviceRequests.at(-1)!;
    assert.equal(q.get('scope'), 'mcp:tools');
    assert.equal(q.get('resource'), as.mcpUrl);
    const tools = await runVmlx(['mcp', 'tools', '--mcp-config', config], { env: noBrowser });
    assert.equal(tools.code, 0, tools.stderr);
  } finally {
    as.device = 'off';
  }
});

test('a denied device authorization fails the login with the reason; without the device grant the URL is printed', async () => {
  const noBrowser = { ...env, BROWSER: join(home, 'no-such-browser') };
  as.device = 'deny';
  try {
    const r = await runVmlx(['mcp', 'login', 'remote', '--mcp-config', config], { env: noBrowser });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /login to 'remote' \(device code\): the authorization was denied/);
  } finally {
    as.device = 'off';
  }
  const r = await runVmlx(['mcp', 'login', 'remote', '--mcp-config', config, '--timeout', '1'], { env: noBrowser });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /To log in to 'remote', open: http:\/\/127\.0\.0\.1:\d+\/authorize\?/);
  assert.match(r.stderr, /No browser could be opened \(set BROWSER\); waiting for the redirect/);
});
