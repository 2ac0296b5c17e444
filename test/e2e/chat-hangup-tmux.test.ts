// End to end in a real terminal: closing the terminal under a running REPL (tmux kill-server hangs up its pty)
// shuts the chat down in order, instead of an unhandled EIO from Ink restoring the cursor and Node aborting on
// the gone terminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VMLX_BIN } from '../agent/fixtures.js';
import { waitFor } from '../mcp/helpers.js';
import { ensureTmux, TmuxSession } from './tmux.js';

function logText(dir: string): string {
  if (!existsSync(dir)) return '';
  return readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('');
}

test('closing the terminal ends the chat in order: no EIO, no abort, the log says why it ended', async () => {
  ensureTmux();
  const root = mkdtempSync(join(tmpdir(), 'vmlx-e2e-'));
  writeFileSync(join(root, 'script.json'), JSON.stringify({ rounds: ['An answer.'] }));
  const stderrFile = join(root, 'stderr.txt');
  const logs = join(root, 'home', 'logs');
  const term = new TmuxSession(root);
  try {
    term.start(`cd '${root}' && '${process.execPath}' '${VMLX_BIN}' chat --scripted-model '${join(root, 'script.json')}' 2>'${stderrFile}'`, {
      VMLX_HOME: join(root, 'home'),
      FORCE_COLOR: '0',
    });
    await term.waitFor('the REPL to be ready', (s) => /ready \(context \d+ tokens\)/.test(s));
    term.kill();
    await waitFor('the chat to end', () => /chat ended/.test(logText(logs)), 20_000).catch(() =>
      assert.fail(`the chat did not end in order; its log:\n${logText(logs)}\nstderr:\n${readFileSync(stderrFile, 'utf8')}`),
    );
    assert.match(logText(logs), /chat ended: the terminal hung up/);
    const stderr = readFileSync(stderrFile, 'utf8');
    assert.doesNotMatch(stderr, /EIO|Assertion failed|Native stack trace/, stderr);
  } finally {
    term.kill();
    rmSync(root, { recursive: true, force: true });
  }
});
