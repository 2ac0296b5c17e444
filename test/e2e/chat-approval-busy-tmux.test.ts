// End to end in a real terminal: /approval-mode typed while a turn runs is taken at once (the prompt accepts it
// while busy) and applies to that same turn's next tool call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, FS_SERVER, VMLX_BIN } from '../agent/fixtures.js';
import { ensureTmux, TmuxSession } from './tmux.js';

test('/approval-mode yolo typed during a turn lets that turn\'s pending write run without a question', async () => {
  ensureTmux();
  const root = mkdtempSync(join(tmpdir(), 'vmlx-e2e-'));
  const files = join(root, 'files');
  mkdirSync(files);
  const mcp = join(root, 'mcp.json');
  writeFileSync(mcp, JSON.stringify({ mcpServers: { fs: { command: 'node', args: [FS_SERVER, files], toolPolicies: { 'write_*': 'ask' } } } }));
  const target = join(files, 'busy.txt');
  // The first output waits for the gate file: the turn is running (busy) until the test opens it.
  writeFileSync(
    join(root, 'script.json'),
    JSON.stringify({ rounds: [{ text: call('fs__write_file', { path: target, content: 'busy' }), waitForFile: 'gate' }, 'BUSY-DONE'] }),
  );
  const term = new TmuxSession(root);
  try {
    term.start(`'${process.execPath}' '${VMLX_BIN}' chat --scripted-model '${join(root, 'script.json')}' --mcp-config '${mcp}'`, {
      VMLX_HOME: join(root, 'home'),
      FORCE_COLOR: '0',
    });
    await term.waitFor('the REPL', (s) => /mcp 1 connected/.test(s));
    term.type('write it');
    await term.waitFor('the typed prompt', (s) => s.includes('write it'));
    term.key('Enter');
    await term.waitFor('the running turn', (s) => s.includes('esc to cancel'));
    term.type('/approval-mode yolo');
    await term.waitFor('the typed command', (s) => s.includes('/approval-mode yolo'));
    term.key('Enter');
    await term.waitFor('the yolo banner while the turn runs', (s) => s.includes('approval mode yolo: every tool call the sandbox allows runs without asking') && s.includes('esc to cancel'));
    writeFileSync(join(root, 'gate'), '');
    const screen = await term.waitFor('the answer', (s) => s.includes('BUSY-DONE') && !s.includes('esc to cancel'));
    assert.doesNotMatch(screen, /Allow this tool call\?/);
    assert.equal(existsSync(target) && readFileSync(target, 'utf8'), 'busy');
    term.type('/exit');
    term.key('Enter');
    assert.equal(await term.waitForExit(), 0);
  } finally {
    term.kill();
    rmSync(root, { recursive: true, force: true });
  }
});
