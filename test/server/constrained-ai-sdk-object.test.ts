// The Vercel AI SDK's generateObject and streamObject (response_format json_schema through @ai-sdk/openai-compatible)
// against `vmlx serve` on a random-weights model: the object comes back complete and schema-valid, at a temperature
// where the free model writes noise.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { generateObject, jsonSchema, streamObject } from 'ai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { ensureTestModel } from '../helpers/test-models.js';
import { loadModel } from '../../src/engine/model.js';
import { startServer, type TestServer } from './harness.js';
import { answerSchema, newAjv } from '../grammar/fixtures.js';

let srv: TestServer;
const validate = newAjv().compile(answerSchema);

before(async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4 });
  srv = await startServer(await loadModel(dir, { maxContext: 2048 }), { maxTokensDefault: 256 });
});
after(async () => srv.close());

const model = () => createOpenAICompatible({ name: 'vmlx', baseURL: srv.baseURL, apiKey: 'unused', supportsStructuredOutputs: true })('test-model');

test('generateObject: a schema-valid object', { timeout: 120_000 }, async () => {
  const r = await generateObject({ model: model(), schema: jsonSchema(answerSchema as never), schemaName: 'answer', prompt: 'Rate it.', temperature: 1.2, seed: 5, maxOutputTokens: 200 });
  assert.ok(validate(r.object), `${JSON.stringify(r.object)}: ${JSON.stringify(validate.errors)}`);
});

test('streamObject: a schema-valid object', { timeout: 120_000 }, async () => {
  const s = streamObject({ model: model(), schema: jsonSchema(answerSchema as never), schemaName: 'answer', prompt: 'Rate it.', temperature: 1.2, seed: 6, maxOutputTokens: 200 });
  // The SDK pulls the response only as its stream is read: awaiting s.object alone never settles (the hang of an
  // earlier version of this test), so the partial objects are read as a client shows them.
  let partials = 0;
  for await (const partial of s.partialObjectStream) if (partial) partials++;
  assert.ok(partials > 1, 'the object streams in parts');
  const object = await s.object;
  assert.ok(validate(object), `${JSON.stringify(object)}: ${JSON.stringify(validate.errors)}`);
});
