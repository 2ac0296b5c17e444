// The pieces of the MCP host without a server: form fields from a schema, typed answers, sampling messages
// as chat, a sampled answer with tool calls, roots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checkField, formFields, parseFieldInput, validateFormContent } from '../../src/agent/mcp/elicitation.js';
import { chatMessages, modelSampler } from '../../src/agent/mcp/sampling.js';
import { RootPathError, RootsRegistry } from '../../src/agent/mcp/roots.js';
import { ScriptedModel } from '../../src/agent/scripted-model.js';
import { tempDir } from './helpers.js';

const schema = {
  type: 'object',
  properties: {
    name: { type: 'string', title: 'Name', minLength: 2 },
    age: { type: 'integer', minimum: 0, maximum: 150 },
    ok: { type: 'boolean', default: true },
    color: { type: 'string', oneOf: [{ const: 'r', title: 'Red' }, { const: 'g', title: 'Green' }] },
    tags: { type: 'array', items: { type: 'string', enum: ['a', 'b', 'c'] }, maxItems: 2 },
    mail: { type: 'string', format: 'email' },
  },
  required: ['name', 'age'],
};

test('form fields: kinds, titles, defaults, options and constraints come from the schema', () => {
  const f = formFields(schema);
  assert.deepEqual(f.map((x) => [x.name, x.kind, x.required]), [
    ['name', 'string', true],
    ['age', 'integer', true],
    ['ok', 'boolean', false],
    ['color', 'enum', false],
    ['tags', 'multi-enum', false],
    ['mail', 'string', false],
  ]);
  assert.equal(f[0]!.title, 'Name');
  assert.equal(f[1]!.title, 'age', 'no title: the property name');
  assert.equal(f[2]!.default, true);
  assert.deepEqual(f[3]!.options, [{ value: 'r', label: 'Red' }, { value: 'g', label: 'Green' }]);
});

test('typed answers are parsed and checked; the first problem is named', () => {
  const [name, age, ok, color, tags, mail] = formFields(schema);
  assert.deepEqual(parseFieldInput(age!, '42'), { value: 42 });
  assert.deepEqual(parseFieldInput(age!, '4.5'), { error: 'age: expected a whole number' });
  assert.deepEqual(parseFieldInput(age!, '200'), { error: 'age: at most 150' });
  assert.deepEqual(parseFieldInput(ok!, 'no'), { value: false });
  assert.deepEqual(parseFieldInput(color!, 'Green'), { value: 'g' }, 'a label picks its value');
  assert.deepEqual(parseFieldInput(tags!, 'a, c'), { value: ['a', 'c'] });
  assert.deepEqual(parseFieldInput(tags!, 'a,b,c'), { error: 'tags: choose at most 2' });
  assert.deepEqual(checkField(mail!, 'nope'), { error: 'mail: not an email address' });
  assert.deepEqual(checkField(name!, 'A'), { error: 'Name: at least 2 characters' });
  const fields = formFields(schema);
  assert.equal(validateFormContent(fields, { name: 'Ada' }), 'age: required');
  assert.equal(validateFormContent(fields, { name: 'Ada', age: 36, color: 'x' }), 'color: one of r, g');
  assert.equal(validateFormContent(fields, { name: 'Ada', age: 36 }), undefined);
});

test('sampling messages become a chat: system prompt, text, media notes, tool uses and results', () => {
  const msgs = chatMessages({
    systemPrompt: 'Be brief.',
    maxTokens: 10,
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'weather?' }, { type: 'image', data: 'AAAA', mimeType: 'image/png' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'get_weather', input: { city: 'Paris' } }] },
      { role: 'user', content: [{ type: 'tool_result', toolUseId: 't1', content: [{ type: 'text', text: 'sunny' }] }] },
    ],
  });
  assert.deepEqual(msgs, [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'weather?\n[image (image/png) omitted: the local model reads text only]' },
    { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
    { role: 'tool', tool_call_id: 't1', content: 'sunny', name: 'get_weather' },
  ]);
});

test('a sampled answer with a tool call comes back as tool_use with stopReason toolUse', async () => {
  const model = new ScriptedModel({ rounds: ['<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n</tool_call>'] });
  const sample = modelSampler(model, { modelName: 'm', toolParser: 'hermes' });
  const result = await sample(
    {
      maxTokens: 50,
      messages: [{ role: 'user', content: { type: 'text', text: 'weather in Oslo?' } }],
      tools: [{ name: 'get_weather', inputSchema: { type: 'object', properties: { city: { type: 'string' } } } }],
    },
    new AbortController().signal,
  );
  assert.equal(result.stopReason, 'toolUse');
  const blocks = Array.isArray(result.content) ? result.content : [result.content];
  assert.deepEqual(blocks.map((b) => (b.type === 'tool_use' ? [b.name, b.input] : [b.type])), [['get_weather', { city: 'Oslo' }]]);
  assert.deepEqual(model.requests[0]!.toolNames, ['get_weather']);
});

test('roots: a missing directory is a user error naming it; add/remove notify once', () => {
  const dir = tempDir();
  assert.throws(() => new RootsRegistry([join(dir, 'missing')]), (e: unknown) => e instanceof RootPathError && /missing' is not a directory/.test(e.message));
  const reg = new RootsRegistry([dir]);
  const seen: Array<string | undefined> = [];
  reg.onChange((s) => seen.push(s));
  const sub = tempDir();
  reg.add(sub);
  reg.add(sub);
  assert.equal(reg.list('x').length, 2);
  assert.equal(reg.remove(sub), true);
  assert.equal(reg.remove(sub), false);
  assert.equal(seen.length, 2);
});
