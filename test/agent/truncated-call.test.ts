// The agent loop never runs a call the token budget cut off, and says so; the complete calls before it still run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentEvent } from '../../src/agent/loop/events.js';
import { runTurn, type Conversation } from '../../src/agent/loop/run-turn.js';
import { ScriptedModel } from '../../src/agent/scripted-model.js';
import { FakeExecutor } from './fake-executor.js';
import { call } from './fixtures.js';

async function collect(events: AsyncIterable<AgentEvent>): Promise<AgentEvent[]> {
  const out: AgentEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

test('a write_file cut off mid-line by max tokens is not run; the read before it is; the user is told', async () => {
  const body = call('fs__read', { path: 'a.txt' }) + call('fs__write_file', { path: 'b.txt', content: 'line one\nline two\nline three\n' });
  const cutAt = body.indexOf('line thr') + 'line thr'.length;
  // The scripted model's tokens are 4 characters: pad so the budget ends exactly inside "line three".
  const pad = ' '.repeat((4 - (cutAt % 4)) % 4);
  const maxTokens = (pad.length + cutAt) / 4;
  const m = new ScriptedModel({ rounds: [pad + body, 'Read it.'] });
  const ex = new FakeExecutor([
    { server: 'fs', name: 'read', handler: () => 'hello' },
    { server: 'fs', name: 'write_file', handler: () => 'written' },
  ]);
  const conv: Conversation = { messages: [{ role: 'user', content: 'copy a.txt to b.txt' }] };
  const events = await collect(runTurn(conv, { model: m, executor: ex, autoApprove: true, generation: { maxTokens } }));

  assert.deepEqual(ex.calls.map((c) => c.tool), ['read'], 'only the complete call ran');
  const started = events.filter((e) => e.type === 'tool_call_started').map((e) => (e as { name: string }).name);
  assert.deepEqual(started, ['fs__read']);
  const usage = events.find((e) => e.type === 'usage');
  assert.ok(usage && usage.type === 'usage' && usage.finishReason === 'length');
  const notices = events.filter((e) => e.type === 'parse_warning').map((e) => (e as { warning: { message: string } }).warning.message);
  assert.ok(
    notices.some((n) => /cut off at the token limit inside a call to "fs__write_file"; that call was not run/.test(n)),
    `notices: ${JSON.stringify(notices)}`,
  );
  // The history holds the read call and its result, never the half-written call.
  const assistant = conv.messages.find((msg) => msg.role === 'assistant');
  assert.ok(assistant && assistant.role === 'assistant');
  assert.deepEqual(assistant.tool_calls?.map((c) => c.function.name), ['fs__read']);
  assert.doesNotMatch(JSON.stringify(conv.messages), /line thr/);
  assert.deepEqual(events.at(-1), { type: 'turn_finished', reason: 'answered', rounds: 2, answer: 'Read it.' });
});
