// The whole REPL (Repl and ChatApp) driven through ink-testing-library's stdin, over a real ChatSession with the
// scripted model and a fake executor.
import './interactive-ink.js';
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import React from 'react';
import { cleanup, render } from 'ink-testing-library';
import { ChatSession } from '../../src/agent/loop/chat-session.js';
import { ScriptedModel, type ModelScript } from '../../src/agent/scripted-model.js';
import { BootStore } from '../../src/tui/boot-store.js';
import type { ReplBackend, ReplNotice } from '../../src/tui/backend.js';
import { ChatApp } from '../../src/tui/ChatApp.js';
import { Repl } from '../../src/tui/Repl.js';
import { FakeExecutor } from '../agent/fake-executor.js';
import { call } from '../agent/fixtures.js';
import { flush, keys, plain, waitForFrame } from './helpers.js';

afterEach(() => cleanup());

function backendFor(rounds: ModelScript['rounds'], policy: 'allow' | 'ask' = 'allow') {
  const model = new ScriptedModel({ rounds, contextLength: 4096 });
  const executor = new FakeExecutor([
    { server: 'fs', name: 'read', policy, handler: (a) => `contents of ${String(a.path)}` },
  ]);
  const session = new ChatSession({ model, executor });
  const noticeListeners = new Set<(n: ReplNotice) => void>();
  const backend: ReplBackend = {
    session,
    modelName: 'tiny-model',
    modelInfo: model.info,
    statuses: () => executor.statuses(),
    tools: () => executor.listTools(),
    onChange: () => () => undefined,
    recentAudit: (limit) => ['2026-01-01 00:00:00Z fs/read allowed ok 3ms', '2026-01-01 00:00:01Z fs/read denied (user:deny)'].slice(0, limit),
    notices: [{ level: 'info', text: 'tiny-model ready' }],
    onNotice: (l) => {
      noticeListeners.add(l);
      return () => noticeListeners.delete(l);
    },
  };
  const notify = (n: ReplNotice) => noticeListeners.forEach((l) => l(n));
  return { model, executor, session, backend, notify };
}

/** Writes keys once Ink's input handlers have subscribed (they do so in an effect after each commit). */
async function press(r: ReturnType<typeof render>, data: string): Promise<void> {
  await flush();
  r.stdin.write(data);
  await flush();
}

async function typeLine(r: ReturnType<typeof render>, text: string): Promise<void> {
  await flush();
  r.stdin.write(text);
  await flush();
  r.stdin.write(keys.enter);
  await flush();
}

test('a prompt streams the answer; the status line shows context use; ↑ recalls the prompt', async () => {
  const { backend, model } = backendFor(['The answer is 42.']);
  const exits: number[] = [];
  const r = render(<Repl backend={backend} onExit={() => exits.push(1)} />);
  await waitForFrame(r, (t) => t.includes('tiny-model ready'), 'the ready notice');
  await typeLine(r, 'what is the answer?');
  const done = await waitForFrame(r, (t) => t.includes('The answer is 42.') && t.includes('ask something'), 'the answer');
  assert.match(done, /› what is the answer\?/);
  assert.match(done, /tiny-model │ mcp 1 connected │ ctx \d+\/4096 \(\d+%\) │ [\d.]+ tok\/s/);
  assert.equal(model.requests.length, 1);
  await press(r, keys.up);
  await waitForFrame(r, (t) => /› what is the answer\?\s*\n[^\n]*tiny-model │/.test(t), 'the recalled prompt in the input');
  assert.deepEqual(exits, []);
});

test('a call that needs confirmation: y runs it, and the card and answer appear', async () => {
  const { backend, executor } = backendFor([call('fs__read', { path: 'a.txt' }), 'It says hi.'], 'ask');
  const r = render(<Repl backend={backend} onExit={() => undefined} />);
  await flush();
  await typeLine(r, 'read a.txt');
  const asking = await waitForFrame(r, (t) => t.includes('Allow this tool call?'), 'the confirmation prompt');
  assert.match(asking, /\? fs · read waiting for your answer/);
  assert.match(asking, /"path": "a\.txt"/);
  // written the moment the prompt is drawn: the REPL routes keys through state it has already drawn
  r.stdin.write('y');
  const done = await waitForFrame(r, (t) => t.includes('It says hi.'), 'the answer');
  assert.match(done, /✓ fs · read done/);
  assert.match(done, /│ contents of a\.txt/);
  assert.doesNotMatch(done, /Allow this tool call\?/);
  assert.equal(executor.calls.length, 1);
});

test('Enter on the confirmation prompt denies; the card shows the denial', async () => {
  const { backend, executor } = backendFor([call('fs__read', { path: 'b.txt' }), 'Understood.'], 'ask');
  const r = render(<Repl backend={backend} onExit={() => undefined} />);
  await flush();
  await typeLine(r, 'read b.txt');
  await waitForFrame(r, (t) => t.includes('Allow this tool call?'), 'the confirmation prompt');
  await press(r, keys.enter);
  const done = await waitForFrame(r, (t) => t.includes('Understood.'), 'the answer');
  assert.match(done, /⊘ fs · read denied .*\(user:deny\)/);
  assert.equal(executor.calls.length, 0);
  assert.deepEqual(executor.refusals.map((x) => x.rule), ['user:deny']);
});

test('slash commands: /help, /tools, /servers, /audit, /model, unknown, /clear, /exit', async () => {
  const { backend, session } = backendFor(['first answer']);
  const exits: number[] = [];
  const r = render(<Repl backend={backend} onExit={() => exits.push(1)} />);
  await flush();
  await typeLine(r, 'hello');
  await waitForFrame(r, (t) => t.includes('first answer'), 'the answer');
  const expectations: Array<[string, RegExp]> = [
    ['/help', /\/audit \[N\] +the most recent audit log entries[\s\S]*Ctrl-O expands/],
    ['/tools', /fs__read — fake read/],
    ['/servers', /fs \(stdio\): connected — 1 tool/],
    ['/audit 1', /2026-01-01 00:00:00Z fs\/read allowed ok 3ms/],
    ['/model', /tiny-model: scripted \(scripted\), 0 layers, context 4096, not quantized/],
    ['/bogus', /unknown command \/bogus; \/help lists the commands/],
    ['/audit x', /\/audit: 'x' is not a positive whole number/],
  ];
  for (const [cmd, expected] of expectations) {
    await typeLine(r, cmd);
    await waitForFrame(r, (t) => expected.test(t), cmd);
  }
  assert.equal(session.messages.length, 2);
  await typeLine(r, '/clear');
  const cleared = await waitForFrame(r, (t) => t.includes('new conversation'), '/clear');
  assert.equal(session.messages.length, 0);
  assert.doesNotMatch(cleared.split('new conversation')[1] ?? '', /first answer/);
  await typeLine(r, '/exit');
  assert.deepEqual(exits, [1]);
});

test('warnings that arrive later are shown in place', async () => {
  const { backend, notify } = backendFor(['unused']);
  const r = render(<Repl backend={backend} onExit={() => undefined} />);
  await flush();
  notify({ level: 'warn', text: "MCP server 'fs' exited; restarting in 1 s" });
  await waitForFrame(r, (t) => t.includes("MCP server 'fs' exited; restarting in 1 s"), 'the warning');
});

test('Ctrl-C twice on an idle prompt exits; once only warns', async () => {
  const { backend } = backendFor(['unused']);
  const exits: number[] = [];
  const r = render(<Repl backend={backend} onExit={() => exits.push(1)} />);
  await flush();
  r.stdin.write(keys.ctrlC);
  await waitForFrame(r, (t) => t.includes('press Ctrl-C again to exit'), 'the warning');
  assert.deepEqual(exits, []);
  r.stdin.write(keys.ctrlC);
  await flush();
  assert.deepEqual(exits, [1]);
});

test('Esc during a generation cancels it; type-ahead is kept and sent afterwards', async () => {
  const { backend, session, model } = backendFor([{ text: 'Thinking about it forever', stallAfter: 8 }, 'Second answer.']);
  const r = render(<Repl backend={backend} onExit={() => undefined} />);
  await flush();
  await typeLine(r, 'go');
  await waitForFrame(r, (t) => t.includes('Thinking') && t.includes('esc to cancel'), 'streaming');
  // type-ahead: text typed during the turn stays in the input, Enter waits until the turn is over
  await press(r, 'again');
  await press(r, keys.enter);
  await waitForFrame(r, (t) => /› again\s*\n[^\n]*tiny-model │/.test(t), 'the typed-ahead text');
  assert.equal(model.requests.length, 1);
  await press(r, keys.escape);
  await waitForFrame(r, (t) => t.includes('cancelled (generation)') && !t.includes('esc to cancel'), 'the cancellation');
  assert.equal(session.busy, false);
  await press(r, keys.enter);
  await waitForFrame(r, (t) => t.includes('Second answer.'), 'the next answer');
  assert.equal(model.requests[1].messages.at(-1)?.content, 'again');
});

test('a call the model is still writing is shown with its name', async () => {
  const markup = call('fs__read', { path: 'a-long-file-name.txt' });
  const { backend } = backendFor([{ text: markup, stallAfter: markup.indexOf('a-long') }]);
  const r = render(<Repl backend={backend} onExit={() => undefined} />);
  await typeLine(r, 'read it');
  await waitForFrame(r, (t) => t.includes('writing a call to fs__read…'), 'the streaming call');
  await press(r, keys.escape);
  await waitForFrame(r, (t) => t.includes('cancelled (generation)') && !t.includes('writing a call'), 'the cancellation');
});

test('multi-line input: a trailing backslash or Alt+Enter starts a new line', async () => {
  const { backend, model } = backendFor(['ok']);
  const r = render(<Repl backend={backend} onExit={() => undefined} />);
  await flush();
  r.stdin.write('line one\\');
  await flush();
  r.stdin.write(keys.enter);
  await flush();
  r.stdin.write('line two');
  await flush();
  r.stdin.write(keys.altEnter);
  await flush();
  r.stdin.write('line three');
  await flush();
  r.stdin.write(keys.enter);
  await waitForFrame(r, (t) => t.includes('ok'), 'the answer');
  assert.equal(model.requests[0].messages[0].content, 'line one\nline two\nline three');
});

test('ChatApp shows model loading progress and server states, then the REPL; load errors in place', async () => {
  const boot = new BootStore('qwen3-tiny');
  const r = render(<ChatApp boot={boot} />);
  boot.servers([
    { name: 'fs', state: 'connecting', transport: 'stdio', toolCount: 0 },
    { name: 'bad', state: 'rejected', transport: 'stdio', toolCount: 0, error: "Command 'bash' is not in the allowed commands whitelist" },
  ]);
  boot.modelProgress('weights', 0.25);
  const loading = await waitForFrame(r, (t) => t.includes('25%'), 'the progress bar');
  assert.match(loading, /loading qwen3-tiny \(weights\) █+░+ 25%/);
  assert.match(loading, /fs connecting \(stdio\)/);
  assert.match(loading, /⊘ bad rejected: Command 'bash' is not in the allowed commands whitelist/);
  const { backend } = backendFor(['hi']);
  boot.ready(backend);
  await waitForFrame(r, (t) => t.includes('tiny-model ready') && t.includes('ask something'), 'the REPL');

  const failed = new BootStore('broken');
  const r2 = render(<ChatApp boot={failed} />);
  failed.fail('/models/broken/config.json: config.json not found');
  await waitForFrame(r2, (t) => t.includes('error: /models/broken/config.json: config.json not found'), 'the error');
});

test('Esc at a confirmation denies the call and stops the turn: the model is not asked again', async () => {
  const { backend, executor, model, session } = backendFor([call('fs__read', { path: 'c.txt' }), 'I would have gone on.'], 'ask');
  const r = render(<Repl backend={backend} onExit={() => undefined} />);
  await flush();
  await typeLine(r, 'read c.txt');
  await waitForFrame(r, (t) => t.includes('Allow this tool call?'), 'the confirmation prompt');
  await press(r, keys.escape);
  const done = await waitForFrame(r, (t) => t.includes('ask something'), 'the idle prompt');
  assert.match(done, /⊘ fs · read denied .*\(user:deny\)/);
  assert.match(done, /cancelled/);
  assert.doesNotMatch(done, /I would have gone on\./);
  assert.equal(model.requests.length, 1, 'no second generation');
  assert.equal(executor.calls.length, 0);
  assert.equal(session.busy, false);
});

test('/clear clears the screen and the scrollback, not only the conversation', async () => {
  const { backend } = backendFor(['an answer']);
  const r = render(<Repl backend={backend} onExit={() => undefined} />);
  await flush();
  await typeLine(r, 'hello');
  await waitForFrame(r, (t) => t.includes('an answer') && t.includes('ask something'), 'the answer');
  const before = r.frames.length;
  await typeLine(r, '/clear');
  await waitForFrame(r, (t) => t.includes('new conversation'), '/clear');
  assert.ok(r.frames.slice(before).some((f) => f.includes('\u001b[2J\u001b[3J\u001b[H')), 'the clear-screen sequence was written');
});

test('a 40,000-character paste in the input shows a few rows around the cursor, not all of it', async () => {
  const { backend } = backendFor(['unused']);
  const r = render(<Repl backend={backend} onExit={() => undefined} />);
  await flush();
  r.stdin.write('0123456789 '.repeat(3636));
  await flush();
  const frame = plain(r.lastFrame());
  assert.ok(frame.split('\n').length < 15, `the frame has ${frame.split('\n').length} rows`);
  assert.match(frame, /… \d+ rows above \(39996 characters\)/);
});
