// OAuth pieces without a server: $BROWSER parsing, the loopback listener (state check, error redirect,
// one code only), the token store (mode 0600, bound to the server URL).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { browserCommands } from '../../src/agent/mcp/oauth/browser.js';
import { startRedirectListener } from '../../src/agent/mcp/oauth/loopback.js';
import { TokenStore } from '../../src/agent/mcp/oauth/token-store.js';
import { tempDir } from './helpers.js';

test('BROWSER: a list of commands, %s replaced or the URL appended; no display, no opener', () => {
  const url = 'http://127.0.0.1:9/authorize?x=1';
  assert.deepEqual(browserCommands(url, { BROWSER: 'firefox --new-tab %s:lynx' }, 'linux'), [['firefox', '--new-tab', url], ['lynx', url]]);
  assert.deepEqual(browserCommands(url, {}, 'linux'), []);
  assert.deepEqual(browserCommands(url, { DISPLAY: ':0' }, 'linux'), [['xdg-open', url]]);
});

test('redirect listener: a wrong state is ignored, the right one delivers the code, then it answers 404', async () => {
  const l = await startRedirectListener();
  try {
    l.expectState('good');
    const waiting = l.waitForCode({ timeoutMs: 10_000 });
    assert.equal((await fetch(`${l.redirectUrl}?code=evil&state=bad`)).status, 400);
    assert.equal((await fetch(`${l.redirectUrl}?code=c0de&state=good`)).status, 200);
    assert.equal(await waiting, 'c0de');
    assert.equal((await fetch(`${l.redirectUrl}?code=again&state=good`)).status, 404);
  } finally {
    await l.close();
  }
});

test('redirect listener: an error redirect rejects with the server reason', async () => {
  const l = await startRedirectListener();
  try {
    l.expectState('s');
    // Settled into a value at once, so the rejection is never unhandled while the redirect is sent.
    const outcome = l.waitForCode({ timeoutMs: 10_000 }).then(() => undefined, (e: Error) => e.message);
    await fetch(`${l.redirectUrl}?error=access_denied&error_description=user+said+no&state=s`);
    assert.match((await outcome) ?? 'resolved', /refused the login: access_denied: user said no/);
  } finally {
    await l.close();
  }
});

test('token store: mode 0600, entries bound to the URL they were saved for', () => {
  const path = join(tempDir(), 'sub', 'mcp-auth.json');
  const store = new TokenStore(path);
  store.update('gh', 'https://a.example/mcp', { tokens: { access_token: 't', token_type: 'Bearer' } });
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(store.get('gh', 'https://a.example/mcp')?.tokens?.access_token, 't');
  assert.equal(store.get('gh', 'https://b.example/mcp'), undefined, 'another URL never gets these tokens');
  assert.deepEqual(store.servers(), ['gh']);
  assert.equal(store.remove('gh'), true);
  assert.equal(store.remove('gh'), false);
});
