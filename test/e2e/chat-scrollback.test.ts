// End to end in a real terminal (tmux, 120x40), with the real engine on a generated model whose random replies
// are full of CJK, emoji and mixed scripts: long replies must leave exactly one copy of each prompt in the
// scrollback. (They used to leave dozens: the live area grew taller than the screen, so Ink cleared and
// reprinted everything on each frame, and rows that tmux drew wider than Ink measured were never erased.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTestModel } from '../helpers/test-models.js';
import { FS_SERVER, VMLX_BIN } from '../agent/fixtures.js';
import { ensureTmux, TmuxSession } from './tmux.js';

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

test('/tools, then 512-token replies full of wide characters: one copy of each prompt in the scrollback', async () => {
  ensureTmux();
  // Greedy replies of this model to these prompts take 46 and 82 rows at 120 columns: more than the screen.
  const { dir } = await ensureTestModel({ arch: 'llama', dtype: 'bf16' });
  const root = mkdtempSync(join(tmpdir(), 'vmlx-e2e-'));
  writeFileSync(join(root, 'mcp.json'), JSON.stringify({ mcpServers: { filesystem: { command: 'node', args: [FS_SERVER, root] } } }));
  const term = new TmuxSession(root);
  try {
    const cmd = [process.execPath, VMLX_BIN, 'chat', '--model', dir, '--mcp-config', join(root, 'mcp.json'), '--max-tokens', '512', '--temp', '0']
      .map((a) => `'${a}'`)
      .join(' ');
    term.start(cmd, { VMLX_HOME: join(root, 'home'), FORCE_COLOR: '0' });
    await term.waitFor('the REPL to be ready', (s) => /ready \(context \d+ tokens\)/.test(s) && /mcp 1 connected/.test(s), 120_000);
    term.type('/tools');
    term.key('Enter');
    await term.waitFor('the tool list', (s) => s.includes('filesystem__write_file'));
    const prompts = ['hello', 'list every country'];
    for (const prompt of prompts) {
      term.type(prompt);
      await term.waitFor('the typed prompt', (s) => s.includes(prompt));
      term.key('Enter');
      await term.waitFor('the turn to start', (s) => s.includes('esc to cancel'));
      await term.waitFor('the reply to end', (s) => /tok\/s\s*$/m.test(s) && !s.includes('esc to cancel') && s.includes('ask something'), 180_000);
    }
    const scrollback = term.scrollback();
    for (const prompt of prompts) assert.equal(count(scrollback, `› ${prompt}`), 1, `copies of the prompt '${prompt}' in:\n${scrollback}`);
    assert.equal(count(scrollback, 'filesystem__write_file'), 1, 'the /tools output is printed once');
    // The replies are long: they did scroll past the screen (so the test shows the scrollback stays clean).
    assert.ok(scrollback.split('\n').length > 60, `a long scrollback (${scrollback.split('\n').length} rows)`);
  } finally {
    term.kill();
    rmSync(root, { recursive: true, force: true });
  }
});

test('a streamed reply with tabs, fillers, conjuncts, CJK and emoji, taller than the screen: one copy of the prompt', async () => {
  ensureTmux();
  const root = mkdtempSync(join(tmpdir(), 'vmlx-e2e-'));
  // Ink measured tabs, U+3164 and the soft hyphen as zero columns and ഷ്ട as one; tmux draws them wider, so
  // rows Ink thought fit wrapped on screen and every frame left the prompt row behind (60 copies of it here).
  const line = (i: number) => `${'x\t'.repeat(12)}row ${i} ${'ㅤ'.repeat(8)} soft\u00adhyphen ഷ്ട ट्र 漢字かな한글 🔲🫠❤️👨‍👩‍👧 ${'字'.repeat(i % 30)}`;
  const text = Array.from({ length: 60 }, (_, i) => line(i)).join('\n');
  writeFileSync(join(root, 'script.json'), JSON.stringify({ rounds: [{ text, chunkSize: 7 }] }));
  const term = new TmuxSession(root);
  try {
    term.start(`'${process.execPath}' '${VMLX_BIN}' chat --scripted-model '${join(root, 'script.json')}'`, { VMLX_HOME: join(root, 'home'), FORCE_COLOR: '0' });
    await term.waitFor('the REPL to be ready', (s) => /ready \(context \d+ tokens\)/.test(s));
    term.type('show me wide text');
    await term.waitFor('the typed prompt', (s) => s.includes('show me wide text'));
    term.key('Enter');
    await term.waitFor('the reply to end', (s) => s.includes('row 59') && /tok\/s\s*$/m.test(s) && !s.includes('esc to cancel'), 60_000);
    const scrollback = term.scrollback();
    assert.equal(count(scrollback, '› show me wide text'), 1, `copies of the prompt in:\n${scrollback}`);
    // Every row of the reply is there once, in order.
    const rows = Array.from({ length: 60 }, (_, i) => scrollback.indexOf(`row ${i} `));
    assert.ok(rows.every((at) => at >= 0), 'every row printed');
    assert.deepEqual([...rows].sort((a, b) => a - b), rows, 'in order');
    for (let i = 0; i < 60; i++) assert.equal(count(scrollback, `row ${i} `), 1, `row ${i} printed once`);
  } finally {
    term.kill();
    rmSync(root, { recursive: true, force: true });
  }
});
