// Streaming behaviour of engineer B's formats beyond stream == parse: a call's id and name arrive before its
// arguments, the arguments arrive in several fragments while the model writes them, Kimi ids keep the
// functions.NAME:IDX shape, and `auto` recognises each family by the markers its chat template carries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModelOutput } from '../../../src/agent/toolcalls/index.js';
import { detectToolFormat } from '../../../src/agent/toolcalls/detect.js';
import type { StreamDelta } from '../../../src/agent/toolcalls/types.js';
import { TOOLS } from '../fixtures/common.js';
import { streamByChar } from '../harness.js';

const SAMPLES: Array<[parser: string, input: string]> = [
  ['deepseek_v3', '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{"city": "Paris", "days": 3}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>'],
  ['deepseek_v3.2', '<｜DSML｜function_calls><｜DSML｜invoke name="get_weather"><｜DSML｜parameter name="city" string="true">Paris</｜DSML｜parameter><｜DSML｜parameter name="days" string="false">3</｜DSML｜parameter></｜DSML｜invoke></｜DSML｜function_calls>'],
  ['kimi_k2', '<|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0<|tool_call_argument_begin|>{"city": "Paris", "days": 3}<|tool_call_end|><|tool_calls_section_end|>'],
  ['nemotron', '<TOOLCALL>[{"name": "get_weather", "arguments": {"city": "Paris", "days": 3}}]</TOOLCALL>'],
  ['functionary', '>>>get_weather\n{"city": "Paris", "days": 3}'],
  ['glm4.5', '<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n<arg_key>days</arg_key>\n<arg_value>3</arg_value>\n</tool_call>'],
  ['minimax_m2', '<minimax:tool_call><invoke name="get_weather"><parameter name="city">Paris</parameter><parameter name="days">3</parameter></invoke></minimax:tool_call>'],
  ['harmony', '<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city": "Paris", "days": 3}<|call|>'],
  ['gemma4', '<|tool_call>call:get_weather{city:<|"|>Paris<|"|>,days:3}<tool_call|>'],
  ['gemma3', '```tool_code\nget_weather(city="Paris", days=3)\n```'],
];

for (const [parser, input] of SAMPLES) {
  test(`${parser}: name first, then the arguments in fragments`, () => {
    const deltas = streamByChar(parser, input).filter((d): d is Extract<StreamDelta, { type: 'tool_call' }> => d.type === 'tool_call');
    assert.ok(deltas.length > 0, 'tool-call deltas');
    assert.equal(deltas[0].name, 'get_weather');
    assert.ok(deltas[0].id, 'the first delta carries the id');
    assert.equal(deltas[0].arguments, undefined, 'the name is sent before any argument text');
    const fragments = deltas.filter((d) => d.arguments !== undefined);
    assert.ok(fragments.length >= 3, `arguments streamed in ${fragments.length} fragment(s)`);
    const args = fragments.map((d) => d.arguments).join('');
    assert.deepEqual(JSON.parse(args), { city: 'Paris', days: 3 });
    assert.equal(args, parseModelOutput(input, { toolParser: parser, tools: TOOLS }).tool_calls[0].function.arguments);
  });
}

test('harmony: analysis streams as reasoning deltas before the answer', () => {
  const deltas = streamByChar('harmony', '<|channel|>analysis<|message|>Two plus two.<|end|><|start|>assistant<|channel|>final<|message|>4<|return|>');
  const reasoning = deltas.filter((d) => d.type === 'reasoning');
  assert.ok(reasoning.length >= 2, 'reasoning arrives in pieces');
  const firstContent = deltas.findIndex((d) => d.type === 'content');
  assert.ok(firstContent > deltas.findIndex((d) => d.type === 'reasoning'));
  assert.ok(!deltas.some((d) => d.type === 'content' && /<\|/.test(d.text)), 'no markup in content');
});

test('kimi_k2: call ids have the functions.NAME:IDX shape its template expects', () => {
  const r = parseModelOutput(
    '<|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0<|tool_call_argument_begin|>{"city": "Oslo"}<|tool_call_end|><|tool_call_begin|>functions.get_time:1<|tool_call_argument_begin|>{}<|tool_call_end|><|tool_calls_section_end|>',
    { toolParser: 'kimi_k2', tools: TOOLS },
  );
  assert.deepEqual(r.tool_calls.map((c) => c.id), ['functions.get_weather:0', 'functions.get_time:1']);
});

test('auto picks each family from the markers of its chat template', () => {
  const cases: Array<[string, string]> = [
    ['{{ "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>" + tool["type"] + "<｜tool▁sep｜>" }}', 'deepseek_v3'],
    ['<｜tool▁calls▁begin｜>…<｜tool▁sep｜>… {% if "</think>" in content %}', 'deepseek_v3.1'],
    ['<｜DSML｜function_calls>\n<｜DSML｜invoke name="{{ name }}">', 'deepseek_v3.2'],
    ['<|tool_calls_section_begin|><|tool_call_begin|>{{ id }}<|tool_call_argument_begin|>', 'kimi_k2'],
    ['<TOOLCALL>[{"name": ...}]</TOOLCALL>', 'nemotron'],
    ['<|from|>{{ role }}\n<|recipient|>{{ name }}\n<|content|>', 'functionary'],
    ['<tool_call>{{ name }}<arg_key>{{ k }}</arg_key><arg_value>{{ v }}</arg_value></tool_call>', 'glm4.5'],
    ['<minimax:tool_call>\n<invoke name="{{ name }}">', 'minimax_m2'],
    ['<|start|>assistant<|channel|>commentary to=functions.{{ name }}<|message|>', 'harmony'],
    ['<|tool_call>call:{{ name }}{...}<tool_call|>', 'gemma4'],
    ['<start_function_call>call:{{ name }}', 'functiongemma'],
  ];
  for (const [template, name] of cases) assert.equal(detectToolFormat(template)?.name, name, template);
});
