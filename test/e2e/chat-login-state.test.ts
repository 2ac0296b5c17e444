// End to end in a real terminal: a remote MCP server that answers 401 (the local test authorization server)
// shows on the chat's status line and in /servers as needing `vmlx mcp login NAME`, not as a plain failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VMLX_BIN } from '../agent/fixtures.js';
import { startOAuthFixture } from '../mcp/fixtures/oauth-server.js';
import { ensureTmux, TmuxSession } from './tmux.js';

test('a server that needs a login is named on the status line and in /servers with the login command', async () => {
  ensureTmux();
  const as = await startOAuthFixture();
  const root = mkdtempSync(join(tmpdir(), 'vmlx-login-e2e-'));
  writeFileSync(join(root, 'mcp.json'), JSON.stringify({ mcpServers: { gh: { url: as.mcpUrl, type: 'http' } } }));
  writeFileSync(join(root, 'script.json'), JSON.stringify({ rounds: ['hello'] }));
  const term = new TmuxSession(root);
  try {
    const cmd = [process.execPath, VMLX_BIN, 'chat', '--scripted-model', join(root, 'script.json'), '--mcp-config', join(root, 'mcp.json')]
      .map((a) => `'${a}'`)
      .join(' ');
    term.start(cmd, { VMLX_HOME: join(root, 'home'), FORCE_COLOR: '0', VMLX_TOKEN_STORE: 'file' });
    const ready = await term.waitFor('the status line', (s) => /ready \(context \d+ tokens\)/.test(s) && s.includes('gh needs a login (vmlx mcp login gh)'));
    assert.match(ready, /mcp 0 connected, gh needs a login \(vmlx mcp login gh\)/);
    assert.doesNotMatch(ready, /1 failed/);
    term.type('/servers');
    await term.waitFor('the typed command', (s) => s.includes('/servers'));
    term.key('Enter');
    await term.waitFor('the server list', (s) => s.includes('gh (http): needs a login — run vmlx mcp login gh'));
    term.type('/exit');
    await term.waitFor('the typed command', (s) => s.includes('/exit'));
    term.key('Enter');
    assert.equal(await term.waitForExit(), 0);
  } finally {
    term.kill();
    await as.close();
  }
});
