// The streaming driver's guarantees beyond fixture equality: arguments stream before a call closes (every one of
// engineer A's formats), ids have the family's shape and are unique, name comes before arguments, no throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStreamParser, parseModelOutput } from '../../src/agent/toolcalls/index.js';
import type { StreamDelta } from '../../src/agent/toolcalls/types.js';
import { TOOLS } from './fixtures/common.js';

const LONG = 'Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch';
const OPEN_CALLS: Record<string, string> = {
  hermes: `<tool_call>\n{"name": "get_weather", "arguments": {"city": "${LONG}`,
  qwen3_coder: `<tool_call>\n<function=get_weather>\n<parameter=city>\n${LONG}`,
  llama3: `<|python_tag|>{"name": "get_weather", "parameters": {"city": "${LONG}`,
  pythonic: `[get_weather(city="${LONG}`,
  mistral: `[TOOL_CALLS]get_weather[ARGS]{"city": "${LONG}`,
  xlam: `[{"name": "get_weather", "arguments": {"city": "${LONG}`,
  phi4_mini: `functools[{"name": "get_weather", "arguments": {"city": "${LONG}`,
  granite: `<|tool_call|>[{"name": "get_weather", "arguments": {"city": "${LONG}`,
  auto: `<tool_call>{"name": "get_weather", "arguments": {"city": "${LONG}`,
};

for (const [parser, text] of Object.entries(OPEN_CALLS)) {
  test(`${parser}: name first, then argument fragments stream before the call closes`, () => {
    const p = createStreamParser({ toolParser: parser, tools: TOOLS });
    const deltas: StreamDelta[] = [];
    for (const ch of text) deltas.push(...p.push(ch));
    const calls = deltas.filter((d): d is Extract<StreamDelta, { type: 'tool_call' }> => d.type === 'tool_call');
    assert.ok(calls.length > 0, 'no tool-call delta before the end');
    assert.equal(calls[0].name, 'get_weather');
    assert.ok(calls[0].id);
    const args = calls.map((d) => d.arguments ?? '').join('');
    assert.ok(args.includes(LONG.slice(0, 40)), `arguments so far: ${args}`);
    assert.ok(calls.filter((d) => d.arguments).length > 10, 'arguments arrived in one piece, not streamed');
  });
}

test('mistral ids are 9 alphanumerics, others call_ + 24; unique per response; seeded ids are deterministic', () => {
  const m = parseModelOutput('[TOOL_CALLS]noop{}[TOOL_CALLS]noop{}[TOOL_CALLS]noop{}', { toolParser: 'mistral' });
  assert.equal(m.tool_calls.length, 3);
  for (const c of m.tool_calls) assert.match(c.id, /^[A-Za-z0-9]{9}$/);
  assert.equal(new Set(m.tool_calls.map((c) => c.id)).size, 3);
  const h = parseModelOutput('<tool_call>{"name": "noop"}</tool_call>', { toolParser: 'hermes', idSeed: 4 });
  assert.match(h.tool_calls[0].id, /^call_[A-Za-z0-9]{24}$/);
  assert.equal(parseModelOutput('<tool_call>{"name": "noop"}</tool_call>', { toolParser: 'hermes', idSeed: 4 }).tool_calls[0].id, h.tool_calls[0].id);
});

test('a call without arguments gets "{}"; content is null when there is nothing but calls', () => {
  const r = parseModelOutput('\n<tool_call>{"name": "noop"}</tool_call>\n', { toolParser: 'hermes', tools: TOOLS });
  assert.equal(r.content, null);
  assert.equal(r.tool_calls[0].function.arguments, '{}');
});

test('tool_choice "none" keeps the text exactly, reasoning still split', () => {
  const text = '<think>x</think>\n<tool_call>{"name": "noop"}</tool_call>\n';
  const r = parseModelOutput(text, { toolParser: 'hermes', toolChoice: 'none' });
  assert.equal(r.content, '\n<tool_call>{"name": "noop"}</tool_call>\n');
  assert.equal(r.reasoning_content, 'x');
  assert.deepEqual(r.tool_calls, []);
});

test('implicit reasoning: with startsInReasoning the output begins inside <think>', () => {
  const r = parseModelOutput('weighing options</think>The answer.', { toolParser: 'hermes', startsInReasoning: true });
  assert.equal(r.reasoning_content, 'weighing options');
  assert.equal(r.content, 'The answer.');
  const never = parseModelOutput('still thinking', { toolParser: 'hermes', startsInReasoning: true });
  assert.equal(never.reasoning_content, 'still thinking');
  assert.equal(never.content, null);
});

test('[THINK] reasoning for mistral', () => {
  const r = parseModelOutput('[THINK]plan[/THINK]Result.', { toolParser: 'mistral' });
  assert.equal(r.reasoning_content, 'plan');
  assert.equal(r.content, 'Result.');
});

test('push after finish, empty chunks and result() before finish are harmless', () => {
  const p = createStreamParser({ toolParser: 'hermes' });
  assert.deepEqual(p.push(''), []);
  p.push('Hello <tool_');
  assert.equal(p.result().content, 'Hello <tool_');
  p.push('call>{"name": "noop"}</tool_call>');
  p.finish();
  assert.deepEqual(p.push('more'), []);
  assert.deepEqual(p.finish(), []);
  assert.equal(p.result().content, 'Hello');
  assert.equal(p.result().tool_calls.length, 1);
});
