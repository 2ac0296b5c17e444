// The nine formats added after the first 23 (LFM2, Seed-OSS, Command R7B / A, Apertus, Apriel, MiniCPM5, Kimi K3,
// MiniMax-M3, GigaChat 3): the scanner invariant of types.ts on every fixture, a call's name streaming before
// its arguments (which arrive in fragments), `auto` picking each from its chat template's distinguishing markup,
// and the reasoning markers each brings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStreamParser, parseModelOutput, promptOpensReasoning, resolveParsers } from '../../src/agent/toolcalls/index.js';
import { findToolFormat } from '../../src/agent/toolcalls/registry.js';
import type { StreamDelta } from '../../src/agent/toolcalls/types.js';
import { allFixtures } from './collect.js';
import { TOOLS } from './fixtures/common.js';
import { findPrefixViolation } from './formats-b/prefix-check.js';
import { streamByChar } from './harness.js';

const FAMILIES = new Set(['lfm2', 'seed-oss', 'cohere', 'apertus', 'apriel', 'minicpm5', 'kimi-k3', 'minimax-m3', 'gigachat']);
const fixtures = (await allFixtures()).filter((fx) => FAMILIES.has(fx.family));

test('fixtures are collected for every new family', () => {
  assert.deepEqual(new Set(fixtures.map((fx) => fx.family)), FAMILIES);
});

for (const fx of fixtures) {
  test(`scanner invariant: ${fx.name}`, () => {
    const format = findToolFormat(fx.parser);
    assert.ok(format, `parser ${fx.parser} is registered`);
    assert.equal(findPrefixViolation(format, fx.input, fx.tools ?? []), null);
  });
}

const NS = ']<]minimax[>[';
const SAMPLES: Array<[parser: string, input: string]> = [
  ['lfm2', '<|tool_call_start|>[get_weather(city="Paris", days=3)]<|tool_call_end|>'],
  ['seed_oss', '<seed:tool_call>\n<function=get_weather>\n<parameter=city>Paris</parameter>\n<parameter=days>3</parameter>\n</function>\n</seed:tool_call>'],
  ['command_r7b', '<|START_ACTION|>[\n    {"tool_call_id": "0", "tool_name": "get_weather", "parameters": {"city": "Paris", "days": 3}}\n]<|END_ACTION|>'],
  ['apertus', '<|tools_prefix|>[{"get_weather": {"city": "Paris", "days": 3}}]<|tools_suffix|>'],
  ['apriel', '<tool_calls>[{"name": "get_weather", "arguments": {"city": "Paris", "days": 3}}]</tool_calls>'],
  ['minicpm5', '<function name="get_weather"><param name="city">Paris</param><param name="days">3</param></function>'],
  [
    'kimi_k3',
    '<|open|>tools<|sep|><|open|>call tool="get_weather" index="1"<|sep|><|open|>argument key="city" type="string"<|sep|>Paris<|close|>argument<|sep|><|open|>argument key="days" type="number"<|sep|>3<|close|>argument<|sep|><|close|>call<|sep|><|close|>tools<|sep|>',
  ],
  ['minimax_m3', `${NS}<tool_call>\n${NS}<invoke name="get_weather">${NS}<city>Paris${NS}</city>${NS}<days>3${NS}</days>${NS}</invoke>\n${NS}</tool_call>`],
  ['gigachat3', '<|function_call|>{"name": "get_weather", "arguments": {"city": "Paris", "days": 3}}'],
];

for (const [parser, input] of SAMPLES) {
  test(`${parser}: name first, then the arguments in fragments`, () => {
    const deltas = streamByChar(parser, input).filter((d): d is Extract<StreamDelta, { type: 'tool_call' }> => d.type === 'tool_call');
    assert.ok(deltas.length > 0, 'tool-call deltas');
    assert.equal(deltas[0].name, 'get_weather');
    assert.equal(deltas[0].arguments, undefined, 'the name is sent before any argument text');
    const fragments = deltas.filter((d) => d.arguments !== undefined);
    assert.ok(fragments.length >= 2, `arguments streamed in ${fragments.length} fragment(s)`);
    const args = fragments.map((d) => d.arguments).join('');
    assert.deepEqual(JSON.parse(args), { city: 'Paris', days: 3 });
    assert.equal(args, parseModelOutput(input, { toolParser: parser, tools: TOOLS }).tool_calls[0].function.arguments);
  });
}

test('auto picks each new family from the markup of its chat template', () => {
  // The distinguishing lines of each family's template (or its special tokens).
  const cases: Array<[template: string, special: string[], tool: string, reasoning: string | null]> = [
    ['<|im_start|>system\nList of tools: <|tool_list_start|>{{ tools }}<|tool_list_end|>', ['<|tool_call_start|>', '<|tool_call_end|>'], 'lfm2', 'think'],
    ['{{- "List of tools: [" }}{{ tools | join(", ") }}]<|im_start|>', [], 'lfm2', 'think'],
    ['{{ "<seed:tool_call>\\n<function=" + name + ">" }}{{ "<seed:think>" }}', [], 'seed_oss', 'seed'],
    ['<|START_THINKING|>{{ t }}<|END_THINKING|><|START_ACTION|>{{ calls }}<|END_ACTION|><|START_RESPONSE|>', [], 'command_r7b', 'cohere'],
    ['<|inner_prefix|>{{ thoughts }}<|inner_suffix|><|tools_prefix|>{{ calls | tojson }}<|tools_suffix|>', [], 'apertus', 'apertus'],
    ['<|assistant|>\n<tool_calls>{{ tool_calls | tojson }}</tool_calls>', [], 'apriel', 'apriel'],
    ['Here are my reasoning steps:\n ... [BEGIN FINAL RESPONSE]', [], 'apriel', 'apriel'],
    ['Tool usage guidelines: ... <function name="{{ name }}"><param name="{{ k }}">', [], 'minicpm5', 'think'],
    ['<|open|>message role="assistant"<|sep|><|open|>think<|sep|>{{ r }}<|close|>think<|sep|><|end_of_msg|>', [], 'kimi_k3', 'kimi_k3'],
    [`{{ "${NS}<tool_call>" }}{{ "${NS}<invoke name=" }}<mm:think>`, [], 'minimax_m3', 'minimax_m3'],
    ['{{ role }}<|role_sep|>\n{{ content }}<|message_sep|>\n\n', [], 'gigachat3', 'think'],
    ['{{ role }}<|role_sep|>\n<|function_call|>{{ call | tojson }}', [], 'gigachat3', 'think'],
  ];
  for (const [chatTemplate, specialTokens, tool, reasoning] of cases) {
    const r = resolveParsers({ chatTemplate, specialTokens });
    assert.equal(r.tool.name, tool, chatTemplate);
    assert.equal(r.reasoning?.name ?? null, reasoning, chatTemplate);
  }
});

test('a prompt that opens the thoughts of a new family starts the output in reasoning', () => {
  assert.equal(promptOpensReasoning('<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|><|START_THINKING|>'), true);
  assert.equal(promptOpensReasoning('<|open|>message role="assistant"<|sep|><|open|>think<|sep|>'), true);
  assert.equal(promptOpensReasoning('<|assistant|>\nHere are my reasoning steps:\n'), true);
  assert.equal(promptOpensReasoning('<|im_start|>assistant\n<seed:think>'), true);
  assert.equal(promptOpensReasoning('<|open|>response<|sep|>'), false);
});

test('command_r7b with tool_choice none: a list still being written shows its calls as text only once each is whole', () => {
  // Found by the fuzz test: the first call's text ran on into the next element, which then disappeared.
  const chunks = ['<|START_ACTION|>[\n    {"tool_call_id":"0","tool_name":"get_time","parameters":{"tz":"UTC"}},\n    {"t', 'ool_call_id":"1"', ',"tool_name":"noop",', '"parameters":{}}\n]<|END_ACTION|>'];
  const opts = { toolParser: 'command_r7b', toolChoice: 'none' as const, idSeed: 3 };
  const p = createStreamParser(opts);
  const deltas = [...chunks.flatMap((c) => p.push(c)), ...p.finish()];
  assert.ok(!deltas.some((d) => d.type === 'warning'), JSON.stringify(deltas));
  const text = deltas.map((d) => (d.type === 'content' ? d.text : '')).join('');
  assert.equal(text, chunks.join(''));
  assert.equal(parseModelOutput(chunks.join(''), opts).content, chunks.join(''));
});
