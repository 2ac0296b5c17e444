// End to end in a real terminal: `vmlx chat --resume` without an id opens a picker of the recent conversations;
// ↓ and Enter resume the older one (shown and sent to the model), Esc starts a new conversation instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VMLX_BIN, REPO } from '../agent/fixtures.js';
import { runVmlx } from '../helpers/vmlx-cli.js';
import { ensureTmux, TmuxSession } from './tmux.js';

test('--resume without an id: pick a recent conversation with the arrow keys, or Esc for a new one', async () => {
  ensureTmux();
  const root = mkdtempSync(join(tmpdir(), 'vmlx-e2e-'));
  const env = { VMLX_HOME: join(root, 'home'), FORCE_COLOR: '0' };
  for (const topic of ['OLDER', 'NEWER']) {
    const script = join(root, `${topic}.json`);
    writeFileSync(script, JSON.stringify({ rounds: [`noted ${topic}`] }));
    const r = await runVmlx(['chat', '--scripted-model', script, '-p', `remember ${topic}`], { cwd: REPO, env });
    assert.equal(r.code, 0, r.stderr);
  }
  const replies = join(root, 'replies.json');
  writeFileSync(replies, JSON.stringify({ recordTo: 'requests.jsonl', rounds: ['You said OLDER.'] }));
  let term = new TmuxSession(root);
  try {
    term.start(`cd '${root}' && '${process.execPath}' '${VMLX_BIN}' chat --scripted-model '${replies}' --resume`, env);
    const picker = await term.waitFor('the picker', (s) => s.includes('Resume which conversation?') && /› [0-9a-f]{8} .*remember NEWER/.test(s));
    assert.match(picker, /^ {2}[0-9a-f]{8} .*remember OLDER/m, 'the older one is listed below, not selected');
    term.key('Down');
    await term.waitFor('the older one selected', (s) => /› [0-9a-f]{8} .*remember OLDER/.test(s));
    term.key('Enter');
    const resumed = await term.waitFor('the resumed conversation', (s) => /resumed session [0-9a-f]{8} \(2 messages\)/.test(s) && !s.includes('Resume which conversation?'));
    assert.match(resumed, /› remember OLDER\n(.*\n)*?noted OLDER/);
    term.type('what did I say?');
    await term.waitFor('the typed prompt', (s) => s.includes('what did I say?'));
    term.key('Enter');
    await term.waitFor('the answer', (s) => s.includes('You said OLDER.') && !s.includes('esc to cancel'));
    const [request] = readFileSync(join(root, 'requests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(
      request.messages.map((m: { role: string; content: string }) => [m.role, m.content]),
      [['user', 'remember OLDER'], ['assistant', 'noted OLDER'], ['user', 'what did I say?']],
    );
    term.type('/exit');
    term.key('Enter');
    assert.equal(await term.waitForExit(), 0);
    term.kill();

    term = new TmuxSession(root);
    writeFileSync(replies, JSON.stringify({ rounds: ['unused'] }));
    term.start(`cd '${root}' && '${process.execPath}' '${VMLX_BIN}' chat --scripted-model '${replies}' --resume`, env);
    await term.waitFor('the picker again', (s) => s.includes('Resume which conversation?'));
    term.key('Escape');
    const fresh = await term.waitFor('a new conversation', (s) => s.includes('new conversation') && !s.includes('Resume which conversation?'));
    assert.doesNotMatch(fresh, /resumed session/);
    term.type('/exit');
    term.key('Enter');
    assert.equal(await term.waitForExit(), 0);
  } finally {
    term.kill();
    rmSync(root, { recursive: true, force: true });
  }
});
