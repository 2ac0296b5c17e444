// Where MCP logins are kept: the keyring through secret-tool when it is on PATH and a session bus exists (here
// a stand-in secret-tool script, so no real keyring is touched), else the 0600 file; VMLX_TOKEN_STORE decides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSecretStorage, FileSecretStorage, SecretToolStorage } from '../../src/agent/mcp/oauth/secret-storage.js';
import { TokenStore } from '../../src/agent/mcp/oauth/token-store.js';
import { tempDir } from './helpers.js';

function fakeSecretTool(): { bin: string; keyring: string; calls: string } {
  const dir = tempDir('vmlx-keyring-');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const keyring = join(dir, 'keyring.txt');
  const calls = join(dir, 'calls.txt');
  writeFileSync(
    join(bin, 'secret-tool'),
    `#!/bin/sh\necho "$@" >> '${calls}'\ncase "$1" in\n  store) cat > '${keyring}' ;;\n  lookup) [ -f '${keyring}' ] && cat '${keyring}' || exit 1 ;;\nesac\n`,
  );
  chmodSync(join(bin, 'secret-tool'), 0o755);
  return { bin, keyring, calls };
}

test('with secret-tool and a session bus, logins go to the keyring, keyed by the vmlx home', () => {
  const fake = fakeSecretTool();
  const home = tempDir('vmlx-home-');
  const env = { PATH: fake.bin, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/bus', VMLX_HOME: home };
  const store = TokenStore.forHome(env);
  assert.equal(store.location, 'the system keyring (secret-tool)');
  assert.equal(store.get('gh', 'https://x/mcp'), undefined, 'an empty keyring is no logins');
  store.update('gh', 'https://x/mcp', { tokens: { access_token: 'at', token_type: 'Bearer' } });
  assert.equal(TokenStore.forHome(env).get('gh', 'https://x/mcp')?.tokens?.access_token, 'at');
  assert.equal(existsSync(join(home, 'mcp-auth.json')), false, 'no token file beside the keyring');
  assert.match(readFileSync(fake.calls, 'utf8'), new RegExp(`^store --label vmlx MCP logins service vmlx-mcp-auth home ${join(home, 'mcp-auth.json')}$`, 'm'));
});

test('without a session bus, on other systems, or with VMLX_TOKEN_STORE=file: the 0600 file', () => {
  const fake = fakeSecretTool();
  const home = tempDir('vmlx-home-');
  const file = join(home, 'mcp-auth.json');
  assert.ok(defaultSecretStorage(file, { PATH: fake.bin }, 'linux') instanceof FileSecretStorage);
  assert.ok(defaultSecretStorage(file, { PATH: fake.bin, DBUS_SESSION_BUS_ADDRESS: 'x' }, 'darwin') instanceof FileSecretStorage);
  assert.ok(defaultSecretStorage(file, { PATH: fake.bin, DBUS_SESSION_BUS_ADDRESS: 'x', VMLX_TOKEN_STORE: 'file' }, 'linux') instanceof FileSecretStorage);
  assert.ok(defaultSecretStorage(file, { PATH: fake.bin, VMLX_TOKEN_STORE: 'keyring' }, 'linux') instanceof SecretToolStorage);
  const store = TokenStore.forHome({ PATH: '', VMLX_HOME: home });
  assert.equal(store.location, `the file ${file} (mode 0600)`);
  store.update('gh', 'https://x/mcp', { tokens: { access_token: 'at', token_type: 'Bearer' } });
  assert.equal(statSync(file).mode & 0o777, 0o600);
});

test('a wrong VMLX_TOKEN_STORE, or keyring without secret-tool, is a one-line error naming the variable', () => {
  assert.throws(() => defaultSecretStorage('/x', { VMLX_TOKEN_STORE: 'vault' }, 'linux'), /^SecretStorageError: VMLX_TOKEN_STORE must be 'file' or 'keyring', not 'vault'$/);
  assert.throws(() => defaultSecretStorage('/x', { PATH: '', VMLX_TOKEN_STORE: 'keyring' }, 'linux'), /secret-tool is not on PATH/);
});
