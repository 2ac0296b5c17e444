// The Vercel AI SDK (ai + @ai-sdk/openai-compatible) against `vmlx serve` on a random-weights model: a required or
// named tool choice gives schema-valid tool calls, plain and streamed, because the server enforces them while
// decoding.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { generateText, jsonSchema, streamText, tool } from 'ai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { ensureTestModel } from '../helpers/test-models.js';
import { loadModel } from '../../src/engine/model.js';
import { startServer, type TestServer } from './harness.js';
import { newAjv, searchTool, weatherTool } from '../grammar/fixtures.js';

let srv: TestServer;
const ajv = newAjv();
const validators = new Map([weatherTool, searchTool].map((t) => [t.function.name, ajv.compile(t.function.parameters!)]));

before(async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4 });
  srv = await startServer(await loadModel(dir, { maxContext: 2048 }), { maxTokensDefault: 256 });
});
after(async () => srv.close());

const model = () => createOpenAICompatible({ name: 'vmlx', baseURL: srv.baseURL, apiKey: 'unused', supportsStructuredOutputs: true })('test-model');
const tools = Object.fromEntries(
  [weatherTool, searchTool].map((t) => [t.function.name, tool({ description: t.function.description!, inputSchema: jsonSchema(t.function.parameters as never) })]),
);

function checkCalls(calls: Array<{ toolName: string; input: unknown }>): void {
  assert.ok(calls.length >= 1);
  for (const c of calls) {
    const validate = validators.get(c.toolName);
    assert.ok(validate, c.toolName);
    assert.ok(validate(c.input), `${JSON.stringify(c.input)}: ${ajv.errorsText(validate.errors)}`);
  }
}

test('generateText and streamText with toolChoice required: schema-valid calls', async () => {
  const plain = await generateText({ model: model(), tools, toolChoice: 'required', prompt: 'Weather?', temperature: 1.5, seed: 11, maxOutputTokens: 200 });
  checkCalls(plain.toolCalls);
  const streamed = streamText({ model: model(), tools, toolChoice: { type: 'tool', toolName: 'get_weather' }, prompt: 'Weather?', temperature: 1.5, seed: 12, maxOutputTokens: 200 });
  const calls = await streamed.toolCalls;
  assert.ok(calls.every((c) => c.toolName === 'get_weather'));
  checkCalls(calls);
});
