// The server on a real make-model test model through the native engine: the openai SDK for chat (plain and
// streamed), logprobs, completions, seeds and stop strings; then 32 concurrent streams, half disconnected midway.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { ensureTestModel } from '../helpers/test-models.js';
import { loadModel, type LoadedModel } from '../../src/engine/model.js';
import { startServer, type TestServer } from './harness.js';

let srv: TestServer;
let model: LoadedModel;
let client: OpenAI;

before(async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4 });
  model = await loadModel(dir, { maxContext: 2048 });
  srv = await startServer(model, { maxTokensDefault: 16 });
  client = new OpenAI({ baseURL: srv.baseURL, apiKey: 'unused', maxRetries: 0 });
});
after(async () => srv.close()); // shutdown disposes the model

const messages = [{ role: 'user' as const, content: 'Say something about Paris.' }];

test('GET /v1/models reports the served model with its context length', async () => {
  const list = await client.models.list();
  assert.equal(list.data.length, 1);
  assert.equal(list.data[0].id, 'test-model');
  assert.equal((list.data[0] as any).context_length, 2048);
});

test('greedy chat: streamed text equals the non-streamed text, usage is reported both ways', async () => {
  const plain = await client.chat.completions.create({ model: 'test-model', messages, max_tokens: 12, temperature: 0 });
  const choice = plain.choices[0];
  assert.ok(['stop', 'length'].includes(choice.finish_reason), choice.finish_reason);
  assert.equal(plain.usage!.completion_tokens <= 12, true);
  assert.ok(plain.usage!.prompt_tokens > 5);

  const stream = await client.chat.completions.create({
    model: 'test-model',
    messages,
    max_tokens: 12,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
  });
  let streamedContent = '';
  let streamedReasoning = '';
  let usage: any = null;
  let finish: string | null = null;
  let chunks = 0;
  for await (const c of stream) {
    chunks++;
    if (c.usage) usage = c.usage;
    const d: any = c.choices[0]?.delta;
    if (d) {
      streamedContent += d.content ?? '';
      streamedReasoning += d.reasoning_content ?? '';
    }
    if (c.choices[0]?.finish_reason) finish = c.choices[0].finish_reason;
  }
  assert.ok(chunks > 3);
  assert.equal(finish, choice.finish_reason);
  assert.equal(usage.completion_tokens, plain.usage!.completion_tokens);
  assert.equal(usage.prompt_tokens, plain.usage!.prompt_tokens);
  // Same greedy tokens → the same content and reasoning, whichever way they were delivered.
  assert.equal(streamedContent, choice.message.content ?? '');
  assert.equal(streamedReasoning, (choice.message as any).reasoning_content ?? '');
});

test('seeded sampling is reproducible; logprobs come with top alternatives', async () => {
  const ask = () =>
    client.chat.completions.create({ model: 'test-model', messages, max_tokens: 8, temperature: 0.9, seed: 42, logprobs: true, top_logprobs: 3 });
  const a = await ask();
  const b = await ask();
  assert.deepEqual(a.choices[0].message, b.choices[0].message);
  const lp = a.choices[0].logprobs!.content!;
  assert.equal(lp.length, a.usage!.completion_tokens);
  for (const t of lp) {
    assert.ok(t.logprob <= 0);
    assert.equal(t.top_logprobs.length, 3);
    assert.ok(t.top_logprobs[0].logprob >= t.top_logprobs[2].logprob);
  }
});

test('POST /v1/completions, plain and streamed, and a stop string that ends the text', async () => {
  const r = await client.completions.create({ model: 'test-model', prompt: 'The capital of France is', max_tokens: 10, temperature: 0 });
  assert.equal(r.object, 'text_completion');
  assert.ok(r.choices[0].text.length > 0);
  const s = await client.completions.create({ model: 'test-model', prompt: 'The capital of France is', max_tokens: 10, temperature: 0, stream: true });
  let text = '';
  for await (const c of s) text += c.choices[0]?.text ?? '';
  assert.equal(text, r.choices[0].text);
  // Stop at the second character of the greedy text: the output must end before it.
  const stop = r.choices[0].text.slice(2, 4);
  if (stop.trim().length) {
    const stopped = await client.completions.create({ model: 'test-model', prompt: 'The capital of France is', max_tokens: 10, temperature: 0, stop: [stop] });
    assert.equal(stopped.choices[0].finish_reason, 'stop');
    assert.ok(!stopped.choices[0].text.includes(stop));
    assert.ok(r.choices[0].text.startsWith(stopped.choices[0].text));
  }
});

test('32 concurrent streams, half disconnected midway: the rest finish and nothing keeps generating', async () => {
  const runs = Array.from({ length: 32 }, async (_, i) => {
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      // The streams cut midway ask for far more tokens than they will read, so they are surely still generating.
      { model: 'test-model', messages: [{ role: 'user', content: `Stream number ${i}` }], max_tokens: i % 2 ? 400 : 24, temperature: 0, stream: true },
      { signal: controller.signal },
    );
    let chunks = 0;
    let finish: string | null = null;
    // The SDK ends the iteration quietly when its request is aborted.
    for await (const c of stream) {
      chunks++;
      if (c.choices[0]?.finish_reason) finish = c.choices[0].finish_reason;
      if (i % 2 === 1 && chunks === 3) controller.abort();
    }
    return { i, aborted: controller.signal.aborted && finish === null, finish };
  });
  const results = await Promise.all(runs);
  for (const r of results) {
    if (r.i % 2 === 0) assert.ok(r.finish === 'stop' || r.finish === 'length', `stream ${r.i} ended with ${r.finish}`);
    else assert.equal(r.aborted, true, `stream ${r.i} should have been cut`);
  }
  // Nothing left queued or running once the clients are done.
  const deadline = Date.now() + 10_000;
  while ((srv.handle.ctx.queue.running || srv.handle.ctx.queue.pending) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(srv.handle.ctx.queue.running, 0);
  assert.equal(srv.handle.ctx.queue.pending, 0);
  // And the server keeps answering.
  const health = await fetch(`${srv.url}/health`);
  assert.equal(health.status, 200);
  const again = await client.chat.completions.create({ model: 'test-model', messages, max_tokens: 4, temperature: 0 });
  assert.ok(again.choices[0].finish_reason);
});
