// The agent loop with the scripted model (real chat template, real parsers) and a fake executor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatSession } from '../../src/agent/loop/chat-session.js';
import type { AgentEvent, ConfirmAnswer } from '../../src/agent/loop/events.js';
import { runTurn, type Conversation } from '../../src/agent/loop/run-turn.js';
import { ScriptedModel, type ModelScript } from '../../src/agent/scripted-model.js';
import { FakeExecutor, untilAborted } from './fake-executor.js';
import { call } from './fixtures.js';

type Answerer = (e: Extract<AgentEvent, { type: 'confirmation_request' }>) => ConfirmAnswer | null;

async function collect(events: AsyncIterable<AgentEvent>, answer: Answerer = () => 'once', onEvent?: (e: AgentEvent) => void): Promise<AgentEvent[]> {
  const out: AgentEvent[] = [];
  for await (const e of events) {
    out.push(e);
    onEvent?.(e);
    if (e.type === 'confirmation_request') {
      const a = answer(e);
      if (a) e.respond(a);
    }
  }
  return out;
}

const types = (events: AgentEvent[]) => events.map((e) => e.type);
const model = (rounds: ModelScript['rounds'], extra: Partial<ModelScript> = {}) => new ScriptedModel({ rounds, ...extra });
const userConv = (text: string): Conversation => ({ messages: [{ role: 'user', content: text }] });

test('an answer without tool calls ends the turn as answered, streamed in deltas', async () => {
  const m = model(['Hello there, friend.']);
  const ex = new FakeExecutor([{ server: 'fs', name: 'read', handler: () => 'x' }]);
  const conv = userConv('hi');
  const events = await collect(runTurn(conv, { model: m, executor: ex }));
  const text = events.filter((e) => e.type === 'text_delta').map((e) => (e as { text: string }).text);
  assert.ok(text.length > 1, 'streamed in several deltas');
  assert.equal(text.join(''), 'Hello there, friend.');
  const fin = events.at(-1);
  assert.deepEqual(fin, { type: 'turn_finished', reason: 'answered', rounds: 1, answer: 'Hello there, friend.' });
  assert.deepEqual(conv.messages.at(-1), { role: 'assistant', content: 'Hello there, friend.' });
  assert.equal(m.requests.length, 1);
  assert.deepEqual(m.requests[0].toolNames, ['fs__read']);
  assert.match(m.requests[0].prompt, /<tools>[\s\S]*"fs__read"[\s\S]*<\/tools>/);
  assert.match(m.requests[0].prompt, /<\|im_start\|>user\nhi<\|im_end\|>\n<\|im_start\|>assistant\n$/);
  const usage = events.find((e) => e.type === 'usage');
  assert.ok(usage && usage.type === 'usage');
  assert.equal(usage.finishReason, 'stop');
  assert.equal(usage.usage.completionTokens, m.countTokens('Hello there, friend.'));
  assert.equal(usage.maxContext, m.info.contextLength);
});

test('an allowed call runs, and its result goes back to the model as a tool message', async () => {
  const m = model([`Let me look.${call('fs__read', { path: 'a.txt' })}`, 'The file says hello.']);
  const ex = new FakeExecutor([{ server: 'fs', name: 'read', handler: (a) => `contents of ${String(a.path)}: hello` }]);
  const conv = userConv('read a.txt');
  const events = await collect(runTurn(conv, { model: m, executor: ex }));
  const started = events.find((e) => e.type === 'tool_call_started');
  assert.ok(started && started.type === 'tool_call_started');
  const streaming = events.findIndex((e) => e.type === 'tool_call_streaming');
  assert.ok(streaming >= 0 && streaming < events.indexOf(started), 'the call is announced while it streams');
  assert.deepEqual(events[streaming], { type: 'tool_call_streaming', round: 1, index: 0, name: 'fs__read' });
  assert.deepEqual(started.arguments, { path: 'a.txt' });
  assert.equal(started.server, 'fs');
  assert.equal(started.tool, 'read');
  const result = events.find((e) => e.type === 'tool_result');
  assert.ok(result && result.type === 'tool_result');
  assert.equal(result.outcome.text, 'contents of a.txt: hello');
  assert.deepEqual(ex.calls.map((c) => [c.server, c.tool, c.args, c.opts.origin]), [['fs', 'read', { path: 'a.txt' }, 'chat']]);
  // the second request carries the assistant's call and the tool message
  const second = m.requests[1].messages;
  assert.equal(second.length, 3);
  const assistant = second[1];
  assert.ok(assistant.role === 'assistant' && assistant.tool_calls?.length === 1);
  assert.equal(assistant.content, 'Let me look.');
  assert.equal(assistant.tool_calls[0].function.name, 'fs__read');
  assert.deepEqual(JSON.parse(assistant.tool_calls[0].function.arguments), { path: 'a.txt' });
  assert.deepEqual(second[2], {
    role: 'tool',
    tool_call_id: assistant.tool_calls[0].id,
    name: 'fs__read',
    content: '[tool output of fs__read]\ncontents of a.txt: hello',
  });
  assert.match(m.requests[1].prompt, /<tool_response>\n\[tool output of fs__read\]\ncontents of a.txt: hello\n<\/tool_response>/);
  assert.match(m.requests[1].prompt, /<tool_call>\n\{"name": "fs__read", "arguments": \{"path": "a.txt"\}\}\n<\/tool_call>/);
  assert.deepEqual(events.at(-1), { type: 'turn_finished', reason: 'answered', rounds: 2, answer: 'The file says hello.' });
});

test('"ask" waits for the answer: once runs it, deny refuses it and tells the model', async () => {
  for (const answer of ['once', 'deny'] as const) {
    const m = model([call('fs__write', { path: 'b.txt', content: 'x' }), 'ok']);
    const ex = new FakeExecutor([{ server: 'fs', name: 'write', policy: 'ask', handler: () => 'written' }]);
    const conv = userConv('write');
    const events = await collect(runTurn(conv, { model: m, executor: ex }), () => answer);
    const req = events.find((e) => e.type === 'confirmation_request');
    assert.ok(req && req.type === 'confirmation_request');
    assert.equal(req.request.server, 'fs');
    assert.equal(req.request.tool, 'write');
    assert.deepEqual(req.request.arguments, { path: 'b.txt', content: 'x' });
    const toolMsg = m.requests[1].messages[2];
    if (answer === 'once') {
      assert.equal(ex.calls.length, 1);
      assert.deepEqual(ex.refusals, []);
      assert.equal(toolMsg.content, '[tool output of fs__write]\nwritten');
    } else {
      assert.equal(ex.calls.length, 0);
      assert.deepEqual(ex.refusals.map((r) => r.rule), ['user:deny']);
      const err = events.find((e) => e.type === 'tool_error');
      assert.ok(err && err.type === 'tool_error' && err.status === 'denied');
      assert.match(String(toolMsg.content), /^\[tool call denied: fs__write was not run\] the user denied this call/);
    }
  }
});

test('"always" is remembered for the session; --yes and non-interactive turns never ask', async () => {
  const ex = new FakeExecutor([{ server: 'fs', name: 'write', policy: 'ask', handler: () => 'written' }]);
  const m = model([call('fs__write', { path: 'b' }), 'done 1', call('fs__write', { path: 'c' }), 'done 2']);
  const session = new ChatSession({ model: m, executor: ex });
  let asked = 0;
  await collect(session.send('first'), () => (asked++, 'always'));
  await collect(session.send('second'), () => (asked++, 'deny'));
  assert.equal(asked, 1);
  assert.equal(ex.calls.length, 2);

  const nonInteractive = await collect(
    runTurn(userConv('x'), { model: model([call('fs__write', { path: 'd' }), 'no']), executor: ex, interactive: false }),
    () => assert.fail('must not ask'),
  );
  const denied = nonInteractive.find((e) => e.type === 'tool_error');
  assert.ok(denied && denied.type === 'tool_error' && denied.status === 'denied');
  assert.equal(ex.refusals.at(-1)?.rule, 'policy:ask-noninteractive');

  const yes = await collect(
    runTurn(userConv('x'), { model: model([call('fs__write', { path: 'e' }), 'yes']), executor: ex, interactive: false, autoApprove: true }),
    () => assert.fail('must not ask'),
  );
  assert.ok(yes.some((e) => e.type === 'tool_result'));
  assert.equal(ex.calls.length, 3);
});

test('sandbox and policy denials never run the tool and are audited with their rule', async () => {
  const ex = new FakeExecutor(
    [
      { server: 'fs', name: 'read', handler: () => 'x' },
      { server: 'fs', name: 'rm', policy: 'deny', handler: () => 'removed' },
    ],
    (_s, _t, args) =>
      JSON.stringify(args).includes('..') ? { allowed: false, rule: 'path_traversal', reason: 'fs__read: path traversal' } : { allowed: true, rule: 'allowed' },
  );
  const m = model([call('fs__read', { path: '../etc/passwd' }) + call('fs__rm', { path: 'a' }), 'cannot']);
  const conv = userConv('x');
  const events = await collect(runTurn(conv, { model: m, executor: ex, autoApprove: true }));
  assert.equal(ex.calls.length, 0);
  assert.deepEqual(ex.refusals.map((r) => r.rule), ['path_traversal', 'policy:deny']);
  const errors = events.filter((e) => e.type === 'tool_error');
  assert.deepEqual(errors.map((e) => e.type === 'tool_error' && e.status), ['denied', 'denied']);
  const tools = m.requests[1].messages.filter((x) => x.role === 'tool');
  assert.equal(tools.length, 2);
  assert.match(String(tools[0].content), /denied: fs__read was not run\] fs__read: path traversal/);
  assert.match(String(tools[1].content), /denied: fs__rm was not run\] the policy denies fs\/rm/);
});

test('a call to a tool that does not exist gets a tool result saying so', async () => {
  const ex = new FakeExecutor([{ server: 'fs', name: 'read', handler: () => 'x' }]);
  const m = model([call('web__search', { q: 'x' }), 'sorry']);
  const events = await collect(runTurn(userConv('x'), { model: m, executor: ex }));
  const err = events.find((e) => e.type === 'tool_error');
  assert.ok(err && err.type === 'tool_error' && err.status === 'unknown_tool');
  assert.deepEqual(ex.refusals.map((r) => [r.server, r.tool, r.rule]), [['web', 'web__search', 'unknown_tool']]);
  assert.match(String(m.requests[1].messages[2].content), /no tool named 'web__search' exists; available tools: fs__read/);
});

test('the round limit stops a model that keeps calling tools, and says so', async () => {
  const ex = new FakeExecutor([{ server: 'fs', name: 'read', handler: () => 'again' }]);
  const m = model([call('fs__read', {}), call('fs__read', {}), call('fs__read', {}), 'never reached']);
  const conv = userConv('loop');
  const events = await collect(runTurn(conv, { model: m, executor: ex, maxRounds: 3 }));
  const fin = events.at(-1);
  assert.ok(fin && fin.type === 'turn_finished');
  assert.equal(fin.reason, 'max_rounds');
  assert.equal(fin.rounds, 3);
  assert.equal(ex.calls.length, 3);
  assert.equal(m.remaining, 1);
  // every call has its tool message: the conversation stays valid
  const ids = conv.messages.flatMap((x) => (x.role === 'assistant' ? (x.tool_calls ?? []).map((c) => c.id) : []));
  const answered = conv.messages.flatMap((x) => (x.role === 'tool' ? [x.tool_call_id] : []));
  assert.deepEqual(answered, ids);
});

test('tool output given to the model is capped; the event keeps the full text', async () => {
  const big = 'é'.repeat(5000); // 10,000 bytes
  const ex = new FakeExecutor([{ server: 'fs', name: 'read', handler: () => big }]);
  const m = model([call('fs__read', {}), 'ok']);
  const events = await collect(runTurn(userConv('x'), { model: m, executor: ex, maxToolResultBytes: 1001 }));
  const res = events.find((e) => e.type === 'tool_result');
  assert.ok(res && res.type === 'tool_result');
  assert.equal(res.outcome.text, big);
  const sent = String(m.requests[1].messages[2].content);
  assert.ok(sent.includes('é'.repeat(500)) && !sent.includes('é'.repeat(501)), 'cut at a character boundary');
  assert.match(sent, /\[tool output truncated: first 1000 of 10000 bytes shown\]$/);
});

test('calls of one round run concurrently, at most four at a time, results in call order', async () => {
  // Each call waits until four are in flight (or all six have started), then the newest one finishes first.
  const gates: Array<() => void> = [];
  let started = 0;
  const releaseWhenFull = (): void => {
    if (ex.active === 4 || started === 6) setImmediate(() => gates.pop()?.());
  };
  const ex: FakeExecutor = new FakeExecutor([
    {
      server: 'fs',
      name: 'read',
      handler: (a) =>
        new Promise<string>((resolve) => {
          started += 1;
          gates.push(() => {
            resolve(`r${String(a.n)}`);
            setImmediate(releaseWhenFull);
          });
          releaseWhenFull();
        }),
    },
  ]);
  const six = [0, 1, 2, 3, 4, 5].map((n) => call('fs__read', { n })).join('');
  const m = model([six, 'all read']);
  const conv = userConv('x');
  await collect(runTurn(conv, { model: m, executor: ex }));
  assert.equal(ex.maxActive, 4);
  assert.equal(started, 6);
  const tools = conv.messages.filter((x) => x.role === 'tool').map((x) => String(x.content).split('\n')[1]);
  assert.deepEqual(tools, ['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
});

test('cancel once aborts a running tool call (synthetic result) and the turn goes on; twice aborts the turn', async () => {
  const ex = new FakeExecutor([{ server: 'fs', name: 'slow', handler: (_a, signal) => untilAborted(signal) }]);
  const m = model([call('fs__slow', {}), 'it was cancelled', call('fs__slow', {}), 'unused']);
  const session = new ChatSession({ model: m, executor: ex });
  const first = await collect(session.send('go'), () => 'once', (e) => {
    if (e.type === 'tool_call_started') setImmediate(() => assert.equal(session.cancel(), 'step'));
  });
  const err = first.find((e) => e.type === 'tool_error');
  assert.ok(err && err.type === 'tool_error' && err.status === 'aborted');
  assert.deepEqual(first.at(-1), { type: 'turn_finished', reason: 'answered', rounds: 2, answer: 'it was cancelled' });
  assert.equal(ex.calls[0].opts.signal?.aborted, true, 'the executor saw the abort');
  assert.match(String(m.requests[1].messages.at(-1)!.content), /aborted: fs__slow was cancelled by the user/);

  let presses: string[] = [];
  const second = await collect(session.send('again'), () => 'once', (e) => {
    if (e.type === 'tool_call_started') setImmediate(() => presses.push(session.cancel()!, session.cancel()!));
  });
  assert.deepEqual(presses, ['step', 'turn']);
  assert.deepEqual(second.at(-1), { type: 'turn_aborted', stage: 'tools', rounds: 1 });
  const last = session.messages.at(-1)!;
  assert.equal(last.role, 'tool');
  assert.equal(session.busy, false);
  presses = [];
});

test('cancelling a generation keeps the partial text and ends the turn', async () => {
  const ex = new FakeExecutor([]);
  const m = model([{ text: 'Partial answer that never ends', stallAfter: 8 }]);
  const session = new ChatSession({ model: m, executor: ex });
  const events = await collect(session.send('go'), () => null, (e) => {
    if (e.type === 'text_delta') session.cancel();
  });
  assert.deepEqual(events.at(-1), { type: 'turn_aborted', stage: 'generation', rounds: 1 });
  const shown = events.flatMap((e) => (e.type === 'text_delta' ? [e.text] : [])).join('');
  assert.ok(shown.length > 0 && 'Partial answer'.startsWith(shown));
  assert.deepEqual(session.messages.at(-1), { role: 'assistant', content: shown });
});

test('cancelling while a confirmation is pending aborts that call without running it', async () => {
  const ex = new FakeExecutor([{ server: 'fs', name: 'write', policy: 'ask', handler: () => 'no' }]);
  const m = model([call('fs__write', {}), 'fine']);
  const session = new ChatSession({ model: m, executor: ex });
  const events = await collect(session.send('go'), () => {
    setImmediate(() => session.cancel());
    return null;
  });
  assert.equal(ex.calls.length, 0);
  assert.deepEqual(ex.refusals.map((r) => r.rule), ['user:abort']);
  assert.ok(events.some((e) => e.type === 'tool_error' && e.status === 'aborted'));
  assert.deepEqual(events.at(-1), { type: 'turn_finished', reason: 'answered', rounds: 2, answer: 'fine' });
});

test('a failing generation ends the turn with turn_failed; breaking out of the stream aborts the turn', async () => {
  const ex = new FakeExecutor([]);
  const failing = await collect(runTurn(userConv('x'), { model: model([{ text: 'abc', error: 'decoder exploded' }]), executor: ex }));
  assert.deepEqual(failing.at(-1), { type: 'turn_failed', rounds: 1, error: 'generation failed: decoder exploded' });

  const exhausted = await collect(runTurn(userConv('x'), { model: model(['one']), executor: ex }));
  assert.equal(exhausted.at(-1)?.type, 'turn_finished');

  const m = model([{ text: 'streaming forever', stallAfter: 4 }]);
  const conv = userConv('x');
  for await (const e of runTurn(conv, { model: m, executor: ex })) {
    if (e.type === 'text_delta') break;
  }
  assert.equal(conv.messages.at(-1)?.role, 'assistant');

  const tooLong = await collect(runTurn(userConv('x'.repeat(800)), { model: model(['x'], { contextLength: 100 }), executor: ex }));
  const failed = tooLong.at(-1);
  assert.ok(failed && failed.type === 'turn_failed');
  assert.match(failed.error, /too long for the context window: with it the conversation would take \d+ of 100 tokens/);
});

test('an executor that breaks its promise and throws still leaves every call answered', async () => {
  class ThrowingExecutor extends FakeExecutor {
    override async callTool(): Promise<never> {
      throw new Error('socket closed');
    }
  }
  const ex = new ThrowingExecutor([{ server: 'fs', name: 'read', handler: () => 'x' }]);
  const m = model([call('fs__read', {}), 'ok then']);
  const conv = userConv('x');
  const events = await collect(runTurn(conv, { model: m, executor: ex }));
  const err = events.find((e) => e.type === 'tool_error');
  assert.ok(err && err.type === 'tool_error' && err.status === 'error');
  assert.equal(err.error, 'the tool executor failed: socket closed');
  assert.match(String(m.requests[1].messages[2].content), /^\[tool error from fs__read\] the tool executor failed: socket closed/);
  assert.equal(events.at(-1)?.type, 'turn_finished');
});

test('ChatSession.abort ends the running turn and resolves once it has ended', async () => {
  const session = new ChatSession({ model: model([{ text: 'never finishes', stallAfter: 3 }]), executor: new FakeExecutor([]) });
  const events: AgentEvent[] = [];
  let streaming!: () => void;
  const started = new Promise<void>((r) => (streaming = r));
  const consuming = (async () => {
    for await (const e of session.send('go')) {
      events.push(e);
      if (e.type === 'text_delta') streaming();
    }
  })();
  await started;
  assert.equal(session.busy, true);
  await session.abort();
  assert.equal(session.busy, false);
  assert.deepEqual(events.at(-1), { type: 'turn_aborted', stage: 'generation', rounds: 1 });
  await consuming;
  await session.abort(); // nothing running: resolves at once
});

test('tokens still in flight after a cancel are dropped, not shown after "cancelling"', async () => {
  // A decoder that does not look at the signal: tokens already on their way keep coming after the cancel.
  const inner = model(['one two three four five six seven eight nine ten']);
  const deaf = Object.create(inner) as ScriptedModel;
  deaf.generate = (prompt, params) => inner.generate(prompt, params);
  const session = new ChatSession({ model: deaf, executor: new FakeExecutor([]) });
  let cancelledAt = -1;
  const events = await collect(session.send('go'), () => null, (e) => {
    if (e.type === 'text_delta' && cancelledAt < 0) {
      session.cancel();
      cancelledAt = 1;
    }
  });
  const deltas = events.filter((e) => e.type === 'text_delta');
  assert.equal(deltas.length, 1, 'nothing streamed after the cancel');
  assert.deepEqual(events.at(-1), { type: 'turn_aborted', stage: 'generation', rounds: 1 });
  assert.deepEqual(session.messages.at(-1), { role: 'assistant', content: (deltas[0] as { text: string }).text });
});

test('a message too long for the context is refused and not kept: the next prompt works', async () => {
  const m = model(['fine, a short answer'], { contextLength: 256 });
  const session = new ChatSession({ model: m, executor: new FakeExecutor([]), systemPrompt: 'be brief' });
  const refused = await collect(session.send('word '.repeat(400)));
  const failed = refused.at(-1);
  assert.ok(failed && failed.type === 'turn_failed' && failed.overflow === true);
  assert.match(failed.error, /the message is too long for the context window: .* of 256 tokens .*not sent and not kept/);
  assert.deepEqual(session.messages.map((x) => x.role), ['system'], 'the message is not in the history');
  assert.equal(m.requests.length, 0, 'nothing was generated');
  const next = await collect(session.send('hi'));
  assert.deepEqual(next.at(-1), { type: 'turn_finished', reason: 'answered', rounds: 1, answer: 'fine, a short answer' });
});

test('a tool result larger than a quarter of a small context is cut with a marker, not dropped', async () => {
  const m = model([call('fs__read', { path: 'big.txt' }), 'done'], { contextLength: 2048 });
  const ex = new FakeExecutor([{ server: 'fs', name: 'read', handler: () => 'x'.repeat(10_000) }]);
  const conv = userConv('read big.txt');
  await collect(runTurn(conv, { model: m, executor: ex }));
  const tool = conv.messages.find((x) => x.role === 'tool');
  assert.ok(tool && tool.role === 'tool');
  // 2048 tokens × 1/4 × 3 bytes = 1536 bytes of output, then the marker.
  assert.match(tool.content, /\n\[tool output truncated: first 1536 of 10000 bytes shown\]$/);
  assert.ok(tool.content.length < 1700);
});
