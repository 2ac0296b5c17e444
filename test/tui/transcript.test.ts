// The transcript reducer: what is printed once (finished) and what stays in the live area.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentEvent } from '../../src/agent/loop/events.js';
import { initialTranscript, transcriptReducer, type TranscriptAction, type TranscriptState } from '../../src/tui/state/transcript.js';

const run = (actions: TranscriptAction[], from: TranscriptState = initialTranscript) => actions.reduce(transcriptReducer, from);
const agent = (event: AgentEvent): TranscriptAction => ({ type: 'agent', event, now: 0 });
const text = (t: string) => agent({ type: 'text_delta', round: 1, text: t });
const finished = (s: TranscriptState) => s.items.slice(0, s.liveFrom);
const live = (s: TranscriptState) => s.items.slice(s.liveFrom);
const usage = { promptTokens: 10, reusedPromptTokens: 0, completionTokens: 512, prefillMs: 1, decodeMs: 1, prefillTokensPerSecond: 1, decodeTokensPerSecond: 1 };

test('the user message is printed at once; finished lines of the answer move out of the live area as they stream', () => {
  let s = run([{ type: 'user_submitted', text: 'hi' }]);
  assert.deepEqual(finished(s).map((i) => i.kind), ['user']);
  s = run([text('first li'), text('ne\nsecond'), text(' line\n\nthird')], s);
  const done = finished(s).filter((i) => i.kind === 'assistant').map((i) => (i.kind === 'assistant' ? i.text : ''));
  // Each part is one or more whole lines; joined, they are the text so far.
  assert.equal(done.join('\n'), 'first line\nsecond line\n');
  assert.deepEqual(live(s).map((i) => (i.kind === 'assistant' ? i.text : i.kind)), ['third']);
  s = run([text(' part\n'), { type: 'turn_ended' }], s);
  // The answer ended with a line break: no empty part is left over; nothing is live once the turn ends.
  assert.deepEqual(live(s), []);
  const all = finished(s).filter((i) => i.kind === 'assistant').map((i) => (i.kind === 'assistant' ? i.text : ''));
  assert.equal(all.join('\n'), 'first line\nsecond line\n\nthird part');
});

test('a running tool call keeps later items live until it finishes', () => {
  let s = run([
    { type: 'user_submitted', text: 'go' },
    agent({ type: 'tool_call_started', callId: 'c1', round: 1, name: 'fs__read', server: 'fs', tool: 'read', arguments: {}, rawArguments: '{}' }),
    { type: 'notice', level: 'warn', text: 'a late warning' },
  ]);
  assert.deepEqual(live(s).map((i) => i.kind), ['tool', 'notice']);
  s = run([agent({ type: 'tool_result', callId: 'c1', round: 1, name: 'fs__read', outcome: { status: 'ok', text: 'x', durationMs: 1 } as never, modelContent: 'x' })], s);
  assert.deepEqual(live(s), []);
});

test('a reply cut by the token limit gets a marker', () => {
  const s = run([
    { type: 'user_submitted', text: 'go' },
    text('a long reply'),
    agent({ type: 'usage', round: 1, usage, finishReason: 'length', contextTokens: 522, maxContext: 8192 }),
  ]);
  assert.ok(s.items.some((i) => i.kind === 'notice' && /reply cut off: it reached the limit of 512 generated tokens/.test(i.text)));
  const normal = run([{ type: 'user_submitted', text: 'go' }, agent({ type: 'usage', round: 1, usage, finishReason: 'stop', contextTokens: 1, maxContext: 2 })]);
  assert.ok(!normal.items.some((i) => i.kind === 'notice'));
});

test('cancelling is shown outside the transcript, so text still arriving stays in one piece', () => {
  const s = run([{ type: 'user_submitted', text: 'go' }, text('partial'), { type: 'cancelling', level: 'step' }, text(' more')]);
  assert.equal(s.cancelling, 'step');
  assert.deepEqual(live(s).map((i) => (i.kind === 'assistant' ? i.text : i.kind)), ['partial more']);
  assert.equal(run([{ type: 'turn_ended' }], s).cancelling, null);
});
