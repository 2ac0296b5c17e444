// The shared model step: calls a backend already parsed and calls the text parser finds share one numbering in the
// order they appear, parallel_tool_calls false keeps the first, and tool_choice reaches the prompt as an instruction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareStep, runStep, type StepOutcome } from '../../src/agent/loop/model-step.js';
import type { StreamDelta } from '../../src/agent/toolcalls/types.js';
import type { GenerationEvent, LanguageModel } from '../../src/engine/types.js';
import { ScriptedModel } from '../../src/agent/scripted-model.js';

/** A scripted model whose generation is replaced by fixed events (text, backend reasoning and calls). */
function modelWith(events: GenerationEvent[]): LanguageModel {
  const base = new ScriptedModel({ rounds: ['unused'] });
  return Object.assign(Object.create(base) as LanguageModel, {
    async *generate(): AsyncIterable<GenerationEvent> {
      yield* events;
    },
  });
}

const done: GenerationEvent = {
  type: 'done',
  finishReason: 'stop',
  text: '',
  usage: { promptTokens: 3, reusedPromptTokens: 0, completionTokens: 4, prefillMs: 0, decodeMs: 0, prefillTokensPerSecond: 0, decodeTokensPerSecond: 0 },
};
const tools = [{ type: 'function' as const, function: { name: 'a', parameters: { type: 'object' } } }, { type: 'function' as const, function: { name: 'b', parameters: { type: 'object' } } }];

async function run(model: LanguageModel, singleCall = false): Promise<{ deltas: StreamDelta[]; outcome: StepOutcome }> {
  const step = prepareStep(model, { messages: [{ role: 'user', content: 'x' }], tools, toolChoice: 'auto', toolParser: 'hermes', reasoningParser: 'none' });
  const gen = runStep(model, step, { params: {}, signal: new AbortController().signal, singleCall });
  const deltas: StreamDelta[] = [];
  let next = await gen.next();
  while (!next.done) {
    deltas.push(...next.value.deltas);
    next = await gen.next();
  }
  return { deltas, outcome: next.value };
}

test('backend calls and parsed calls are numbered in order of appearance; backend reasoning is kept', async () => {
  const model = modelWith([
    { type: 'reasoning', text: 'think' },
    { type: 'tool_call', index: 0, id: 'up_1', name: 'b', arguments: '{"x":' },
    { type: 'tool_call', index: 0, arguments: '1}' },
    { type: 'text', text: '<tool_call>{"name": "a", "arguments": {}}</tool_call>', tokens: [1, 2] },
    done,
  ]);
  const { deltas, outcome } = await run(model);
  assert.deepEqual(
    outcome.result.tool_calls.map((c) => [c.id.startsWith('up_') ? c.id : 'parsed', c.function.name, c.function.arguments]),
    [
      ['up_1', 'b', '{"x":1}'],
      ['parsed', 'a', '{}'],
    ],
  );
  assert.equal(outcome.result.reasoning_content, 'think');
  const calls = deltas.filter((d) => d.type === 'tool_call');
  assert.deepEqual([...new Set(calls.map((d) => (d as { index: number }).index))], [0, 1]);
  assert.equal(outcome.completionTokens, 4, 'the done event has the final count');

  const single = await run(modelWith([
    { type: 'tool_call', index: 0, id: 'up_1', name: 'b', arguments: '{}' },
    { type: 'tool_call', index: 1, id: 'up_2', name: 'a', arguments: '{}' },
    done,
  ]), true);
  assert.deepEqual(single.outcome.result.tool_calls.map((c) => c.id), ['up_1']);
  assert.ok(single.deltas.every((d) => d.type !== 'tool_call' || d.index === 0));
});

test("tool_choice 'required' and a named tool become an instruction in the system prompt; 'none' renders no tools", () => {
  const model = new ScriptedModel({ rounds: ['unused'] });
  const base = { tools, toolParser: 'hermes', reasoningParser: 'none' };
  const required = prepareStep(model, { ...base, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'x' }], toolChoice: 'required' });
  assert.match(required.prompt, /Be brief\.\n\nYou must answer by calling one or more of the provided tools\./);
  const named = prepareStep(model, { ...base, messages: [{ role: 'user', content: 'x' }], toolChoice: { type: 'function', function: { name: 'b' } } });
  assert.match(named.prompt, /You must answer by calling the tool 'b'\./);
  const none = prepareStep(model, { ...base, messages: [{ role: 'user', content: 'x' }], toolChoice: 'none' });
  assert.doesNotMatch(none.prompt, /<tools>|You must/);
  assert.deepEqual(none.tools, []);
});
