// End to end in a real terminal: the context window is never silently lost. A 40,000-character paste is
// refused (and not kept), and the next prompt works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VMLX_BIN } from '../agent/fixtures.js';
import { ensureTmux, TmuxSession } from './tmux.js';

test('a 40k-character paste is refused and not kept; the next prompt works', async () => {
  ensureTmux();
  const root = mkdtempSync(join(tmpdir(), 'vmlx-e2e-'));
  writeFileSync(
    join(root, 'script.json'),
    JSON.stringify({ contextLength: 8192, recordTo: 'requests.jsonl', rounds: ['The short question gets a short answer.'] }),
  );
  const term = new TmuxSession(root);
  try {
    term.start(`cd '${root}' && '${process.execPath}' '${VMLX_BIN}' chat --scripted-model '${join(root, 'script.json')}'`, {
      VMLX_HOME: join(root, 'home'),
      FORCE_COLOR: '0',
    });
    await term.waitFor('the REPL to be ready', (s) => /ready \(context \d+ tokens\)/.test(s));
    term.paste('lorem ipsum '.repeat(3334));
    await term.waitFor('the pasted text in the input', (s) => /rows above \(40008 characters\)/.test(s));
    term.key('Enter');
    const refused = await term.waitFor('the refusal', (s) => s.includes('not sent and not kept'));
    assert.match(refused, /the message is too long for the context window: with it the conversation would take \d+ of 8192 tokens/);
    term.type('a short question');
    await term.waitFor('the typed prompt', (s) => s.includes('a short question'));
    term.key('Enter');
    await term.waitFor('the answer', (s) => s.includes('The short question gets a short answer.'));
    // The model was asked once, without the paste.
    const requests = readFileSync(join(root, 'requests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(requests.length, 1);
    assert.deepEqual(
      requests[0].messages.map((m: { role: string; content: string }) => [m.role, m.content]),
      [['user', 'a short question']],
    );
  } finally {
    term.kill();
    rmSync(root, { recursive: true, force: true });
  }
});

test('/compact then a prompt: the model summarises, the next request carries the summary instead of the old turns', async () => {
  ensureTmux();
  const root = mkdtempSync(join(tmpdir(), 'vmlx-e2e-'));
  writeFileSync(
    join(root, 'script.json'),
    JSON.stringify({ recordTo: 'requests.jsonl', rounds: ['First answer.', 'Second answer.', 'Summary: two questions answered.', 'Third answer.'] }),
  );
  const term = new TmuxSession(root);
  try {
    term.start(`cd '${root}' && '${process.execPath}' '${VMLX_BIN}' chat --scripted-model '${join(root, 'script.json')}'`, {
      VMLX_HOME: join(root, 'home'),
      FORCE_COLOR: '0',
    });
    await term.waitFor('the REPL to be ready', (s) => /ready \(context \d+ tokens\)/.test(s));
    for (const [prompt, answer] of [['question one', 'First answer.'], ['question two', 'Second answer.'], ['/compact', 'compacted: ']]) {
      term.type(prompt);
      await term.waitFor('the typed prompt', (s) => s.includes(prompt));
      term.key('Enter');
      await term.waitFor(answer, (s) => s.includes(answer) && s.includes('ask something'));
    }
    assert.match(term.screen(), /compacted: 2 messages replaced by a summary \(\d+ → \d+ tokens of conversation\)/);
    term.type('question three');
    term.key('Enter');
    await term.waitFor('the third answer', (s) => s.includes('Third answer.'));
    const requests = readFileSync(join(root, 'requests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(requests.length, 4);
    const contents = requests[3].messages.map((m: { content: string }) => m.content);
    assert.ok(contents.some((c: string) => c.includes('Summary: two questions answered.')), JSON.stringify(contents));
    assert.ok(!contents.includes('question one'), 'the compacted turn is not sent again');
    assert.deepEqual(contents.slice(-3), ['question two', 'Second answer.', 'question three']);
  } finally {
    term.kill();
    rmSync(root, { recursive: true, force: true });
  }
});
