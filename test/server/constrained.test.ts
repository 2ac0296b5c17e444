// Constrained decoding through `vmlx serve` on a random-weights model (its free output is noise): tool_choice
// required / named / parallel_tool_calls false and response_format json_schema must come out complete and
// schema-valid, streamed and not, at high temperature and with a small max_tokens.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { ensureTestModel } from '../helpers/test-models.js';
import { loadModel } from '../../src/engine/model.js';
import { startFilesystemMcp, startServer, type FilesystemMcp, type TestServer } from './harness.js';
import { answerSchema, newAjv, searchTool, weatherTool } from '../grammar/fixtures.js';

let srv: TestServer;
let client: OpenAI;
let fsMcp: FilesystemMcp;
const ajv = newAjv();
const validators = new Map([weatherTool, searchTool].map((t) => [t.function.name, ajv.compile(t.function.parameters!)]));
const validateAnswer = ajv.compile(answerSchema);
const tools = [weatherTool, searchTool] as OpenAI.ChatCompletionTool[];
const messages = [{ role: 'user' as const, content: 'What is the weather in Paris?' }];

before(async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4 });
  fsMcp = await startFilesystemMcp();
  srv = await startServer(await loadModel(dir, { maxContext: 4096 }), { maxTokensDefault: 200 }, fsMcp.manager);
  client = new OpenAI({ baseURL: srv.baseURL, apiKey: 'unused', maxRetries: 0 });
});
after(async () => {
  await srv.close();
  await fsMcp.cleanup();
});

function checkCalls(calls: Array<{ function: { name: string; arguments: string } }> | undefined, names: string[]): void {
  assert.ok(calls && calls.length >= 1, 'at least one tool call');
  for (const c of calls) {
    assert.ok(names.includes(c.function.name), `unexpected name ${c.function.name}`);
    const validate = validators.get(c.function.name)!;
    assert.ok(validate(JSON.parse(c.function.arguments)), `${c.function.arguments}: ${ajv.errorsText(validate.errors)}`);
  }
}

test('tool_choice required: every answer is a schema-valid call to one of the tools (hermes)', async () => {
  for (const seed of [1, 2, 3]) {
    const r = await client.chat.completions.create({ model: 'test-model', messages, tools, tool_choice: 'required', temperature: 1.5, seed, max_tokens: 160 });
    checkCalls(r.choices[0]!.message.tool_calls as never, ['get_weather', 'search_files']);
    assert.equal(r.choices[0]!.finish_reason, 'tool_calls');
  }
});

test('a named tool with parallel_tool_calls false: exactly one call, to that tool, streamed', async () => {
  const stream = await client.chat.completions.create({
    model: 'test-model', messages, tools, tool_choice: { type: 'function', function: { name: 'search_files' } },
    parallel_tool_calls: false, temperature: 1.2, seed: 7, max_tokens: 160, stream: true,
  });
  const args: string[] = [];
  const names: string[] = [];
  let finish: string | null = null;
  for await (const c of stream) {
    for (const d of c.choices[0]?.delta.tool_calls ?? []) {
      if (d.function?.name) names[d.index] = d.function.name;
      args[d.index] = (args[d.index] ?? '') + (d.function?.arguments ?? '');
    }
    finish = c.choices[0]?.finish_reason ?? finish;
  }
  assert.deepEqual(names, ['search_files']);
  checkCalls([{ function: { name: names[0]!, arguments: args[0]! } }], ['search_files']);
  assert.equal(finish, 'tool_calls');
});

test('response_format json_schema (strict): the content validates, plain and streamed, even with max_tokens 40', async () => {
  const response_format = { type: 'json_schema' as const, json_schema: { name: 'answer', schema: answerSchema, strict: true } };
  for (const max_tokens of [200, 40]) {
    const r = await client.chat.completions.create({ model: 'test-model', messages, response_format, temperature: 1.5, seed: max_tokens, max_tokens });
    const content = r.choices[0]!.message.content!;
    assert.ok(validateAnswer(JSON.parse(content)), `${content}: ${ajv.errorsText(validateAnswer.errors)}`);
    assert.equal(r.choices[0]!.finish_reason, 'stop');
  }
  const stream = await client.chat.completions.create({ model: 'test-model', messages, response_format, temperature: 1.5, seed: 5, max_tokens: 80, stream: true });
  let text = '';
  for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
  assert.ok(validateAnswer(JSON.parse(text)), text);
});

test('response_format json_object gives one JSON object', async () => {
  const r = await client.chat.completions.create({ model: 'test-model', messages, response_format: { type: 'json_object' }, temperature: 1.5, seed: 3, max_tokens: 60 });
  const parsed = JSON.parse(r.choices[0]!.message.content!);
  assert.equal(typeof parsed, 'object');
  assert.ok(parsed !== null && !Array.isArray(parsed));
});

test('mcp_auto_execute with tool_choice required: the first round of the random model runs an MCP tool', async () => {
  const r = await fetch(`${srv.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'test-model', messages, mcp_auto_execute: true, tool_choice: 'required', temperature: 1, seed: 4, max_tokens: 256 }),
  });
  const text = await r.text();
  assert.equal(r.status, 200, text);
  const body = JSON.parse(text) as { choices: Array<{ message: { mcp_tool_calls: Array<{ name: string; round: number }> } }> };
  const calls = body.choices[0]!.message.mcp_tool_calls;
  assert.ok(calls.some((c) => c.round === 1), JSON.stringify(calls));
});
