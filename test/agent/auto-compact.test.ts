// Auto-compaction: past the threshold, the older turns are summarised before the next turn (with events the
// REPL shows); below it, or with nothing older than the last turn, nothing happens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatSession } from '../../src/agent/loop/chat-session.js';
import { SUMMARY_HEADER } from '../../src/agent/loop/compaction.js';
import type { AgentEvent } from '../../src/agent/loop/events.js';
import { ScriptedModel } from '../../src/agent/scripted-model.js';
import { FakeExecutor } from './fake-executor.js';

async function collect(events: AsyncIterable<AgentEvent>): Promise<AgentEvent[]> {
  const out: AgentEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

const long = (word: string) => `${word} `.repeat(40);

test('past the threshold the older turns are compacted before the turn, and the turn then runs on the summary', async () => {
  const model = new ScriptedModel({ rounds: [long('one'), long('two'), 'SUMMARY', 'three'], contextLength: 200 });
  const session = new ChatSession({ model, executor: new FakeExecutor([]), autoCompactPercent: 50 });
  const first = await collect(session.send('q1'));
  assert.ok(!first.some((e) => e.type.startsWith('compaction')), 'the first turn has nothing to compact');
  await collect(session.send('q2'));
  const third = await collect(session.send('q3'));
  const types = third.map((e) => e.type);
  assert.deepEqual(types.slice(0, 2), ['compaction_started', 'compaction_finished']);
  const started = third[0] as Extract<AgentEvent, { type: 'compaction_started' }>;
  assert.equal(started.thresholdPercent, 50);
  assert.ok(started.contextTokens * 2 >= started.maxContext);
  const finished = third[1] as Extract<AgentEvent, { type: 'compaction_finished' }>;
  assert.ok(finished.tokensAfter < finished.tokensBefore);
  assert.equal(types.at(-1), 'turn_finished');
  const sent = model.requests.at(-1)!.messages.map((m) => m.content);
  assert.deepEqual(sent, [`${SUMMARY_HEADER}\nSUMMARY`, 'Understood; I will continue from this summary.', 'q2', long('two'), 'q3']);
});

test('below the threshold, or with auto-compaction off, no compaction happens', async () => {
  for (const autoCompactPercent of [95, 0]) {
    const model = new ScriptedModel({ rounds: [long('one'), long('two'), 'three'], contextLength: 200 });
    const session = new ChatSession({ model, executor: new FakeExecutor([]), autoCompactPercent });
    await collect(session.send('q1'));
    await collect(session.send('q2'));
    const third = await collect(session.send('q3'));
    assert.ok(!third.some((e) => e.type.startsWith('compaction')), `${autoCompactPercent}%`);
    assert.equal(model.requests.length, 3, 'no summary request');
  }
});

test('a failed summary leaves the conversation as it was and the turn still runs', async () => {
  const model = new ScriptedModel({ rounds: [long('one'), long('two'), { text: '', error: 'no summary today' }, 'three'], contextLength: 200 });
  const session = new ChatSession({ model, executor: new FakeExecutor([]), autoCompactPercent: 50 });
  await collect(session.send('q1'));
  await collect(session.send('q2'));
  const before = session.messages.slice();
  const third = await collect(session.send('q3'));
  assert.equal(third[0]!.type, 'compaction_started');
  assert.equal(third[1]!.type, 'compaction_failed');
  assert.match((third[1] as Extract<AgentEvent, { type: 'compaction_failed' }>).error, /no summary today/);
  assert.deepEqual(session.messages.slice(0, before.length), before);
  assert.equal(third.at(-1)!.type, 'turn_finished');
});
