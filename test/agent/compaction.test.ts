// /compact: the model summarises the older turns; the summary replaces them, the last turn stays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatSession } from '../../src/agent/loop/chat-session.js';
import { NothingToCompactError, SUMMARY_HEADER } from '../../src/agent/loop/compaction.js';
import { ScriptedModel } from '../../src/agent/scripted-model.js';
import { FakeExecutor } from './fake-executor.js';

async function drain(events: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of events) void _;
}

test('compact replaces the turns before the last with the model\'s summary; the next turn sees only that', async () => {
  const model = new ScriptedModel({ rounds: ['answer one', 'answer two', 'The user asked q1 and q2.', 'answer three'] });
  const session = new ChatSession({ model, executor: new FakeExecutor([]), systemPrompt: 'be brief' });
  await assert.rejects(session.compact(), NothingToCompactError);
  await drain(session.send('q1'));
  await drain(session.send('q2'));
  const result = await session.compact();
  assert.equal(result.summary, 'The user asked q1 and q2.');
  assert.equal(result.replaced, 2);
  assert.ok(result.tokensAfter > 0);
  // The summary request itself: the whole conversation and the instruction to summarise.
  assert.match(String(model.requests[2].messages.at(-1)?.content), /^Summarise the conversation so far/);
  assert.deepEqual(
    session.messages.map((m) => [m.role, m.content]),
    [
      ['system', 'be brief'],
      ['user', `${SUMMARY_HEADER}\nThe user asked q1 and q2.`],
      ['assistant', 'Understood; I will continue from this summary.'],
      ['user', 'q2'],
      ['assistant', 'answer two'],
    ],
  );
  await drain(session.send('q3'));
  const last = model.requests[3].messages.map((m) => m.content);
  assert.ok(!last.includes('q1') && !last.includes('answer one'), 'the older turn is gone');
  assert.ok(last.includes('q2') && last.includes('q3'));
});

test('a failed summary leaves the conversation as it was', async () => {
  const model = new ScriptedModel({ rounds: ['answer one', 'answer two', { text: '', error: 'the decoder crashed' }] });
  const session = new ChatSession({ model, executor: new FakeExecutor([]) });
  await drain(session.send('q1'));
  await drain(session.send('q2'));
  const before = JSON.stringify(session.messages);
  await assert.rejects(session.compact(), /the decoder crashed/);
  assert.equal(JSON.stringify(session.messages), before);
  assert.equal(session.busy, false);
});
