// End to end in a real terminal: a conversation survives `kill -9` mid-reply. The chat is killed while the
// model is still writing its second answer; `vmlx chat --resume ID` shows the saved turns (in the scrollback),
// and the model is sent everything but the answer that was in flight.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VMLX_BIN, REPO } from '../agent/fixtures.js';
import { runVmlx } from '../helpers/vmlx-cli.js';
import { ensureTmux, TmuxSession } from './tmux.js';

/** The pid of the vmlx process started with `script` (the node process, not the shell around it). */
function chatPid(script: string): number {
  const r = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  const line = r.stdout.split('\n').find((l) => l.includes(VMLX_BIN) && l.includes(script) && !l.includes('sh -c') && !l.includes('echo $?'));
  assert.ok(line, `no vmlx process for ${script}`);
  return Number(line.trim().split(/\s+/)[0]);
}

test('--resume after kill -9: the saved turns are shown and sent; only the answer in flight is lost', async () => {
  ensureTmux();
  const root = mkdtempSync(join(tmpdir(), 'vmlx-e2e-'));
  const env = { VMLX_HOME: join(root, 'home'), FORCE_COLOR: '0' };
  const first = join(root, 'first.json');
  writeFileSync(first, JSON.stringify({ rounds: ['The code word is ALPHA.', { text: 'This answer never ends because', stallAfter: 12 }] }));
  const second = join(root, 'second.json');
  writeFileSync(second, JSON.stringify({ recordTo: 'requests.jsonl', rounds: ['You said ALPHA, and asked twice.'] }));
  let term = new TmuxSession(root);
  try {
    term.start(`cd '${root}' && '${process.execPath}' '${VMLX_BIN}' chat --scripted-model '${first}'`, env);
    await term.waitFor('the REPL to be ready', (s) => /ready \(context \d+ tokens\)/.test(s));
    term.type('remember the code word');
    term.key('Enter');
    await term.waitFor('the first answer', (s) => s.includes('The code word is ALPHA.') && !s.includes('esc to cancel'));
    term.type('now say something long');
    term.key('Enter');
    await term.waitFor('the reply in flight', (s) => s.includes('This answer') && s.includes('esc to cancel'));
    process.kill(chatPid(first), 'SIGKILL');
    assert.equal(await term.waitForExit(), 137, 'killed by SIGKILL');
    term.kill();

    const listed = await runVmlx(['sessions', 'list', '--json'], { cwd: REPO, env });
    const sessions = listed.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(sessions.length, 1);
    assert.equal(sessions[0].messageCount, 3, 'two prompts and the first answer; not the answer in flight');

    term = new TmuxSession(root);
    term.start(`cd '${root}' && '${process.execPath}' '${VMLX_BIN}' chat --scripted-model '${second}' --resume ${sessions[0].id.slice(0, 8)}`, env);
    const resumed = await term.waitFor('the resumed conversation', (s) => /resumed session [0-9a-f]{8} \(3 messages\)/.test(s) && /ready/.test(s));
    assert.match(resumed, /› remember the code word\n(.*\n)*?The code word is ALPHA\.\n(.*\n)*?› now say something long/);
    assert.doesNotMatch(resumed, /This answer never ends/);
    term.type('what did I ask?');
    term.key('Enter');
    await term.waitFor('the answer after resuming', (s) => s.includes('You said ALPHA, and asked twice.') && !s.includes('esc to cancel'));
    const history = term.scrollback();
    assert.equal(history.split('› remember the code word').length - 1, 1, 'the replayed prompt is printed once');
    const [request] = readFileSync(join(root, 'requests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(
      request.messages.map((m: { role: string; content: string }) => [m.role, m.content]),
      [
        ['user', 'remember the code word'],
        ['assistant', 'The code word is ALPHA.'],
        ['user', 'now say something long'],
        ['user', 'what did I ask?'],
      ],
    );
    term.type('/exit');
    term.key('Enter');
    assert.equal(await term.waitForExit(), 0);
  } finally {
    term.kill();
    rmSync(root, { recursive: true, force: true });
  }
});
