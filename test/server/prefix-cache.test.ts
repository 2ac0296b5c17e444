// The shared prefix cache through the real server: cached_tokens in every protocol's usage, /health and /metrics
// figures, blocks given back when a client disconnects mid-stream, and a tiny --kv-cache-memory answering 503.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { ensureTestModel } from '../helpers/test-models.js';
import { loadModel, type LoadedModel } from '../../src/engine/model.js';
import { startServer, type TestServer } from './harness.js';

let srv: TestServer;
let client: OpenAI;
let modelDir: string;

before(async () => {
  modelDir = (await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4 })).dir;
  const model = await loadModel(modelDir, { threads: 2, maxContext: 2048, kvCacheMemory: 64 << 20 });
  srv = await startServer(model, { maxTokensDefault: 8 });
  client = new OpenAI({ baseURL: srv.baseURL, apiKey: 'unused', maxRetries: 0 });
});
after(async () => srv.close());

const SYSTEM = Array.from({ length: 60 }, (_, i) => `rule ${i}: answer briefly and politely.`).join(' ');

async function health(): Promise<{ running: number; waiting: number; cache: Record<string, number> }> {
  return (await fetch(`${srv.url}/health`)).json() as Promise<{ running: number; waiting: number; cache: Record<string, number> }>;
}

async function metrics(server: TestServer = srv): Promise<Map<string, number>> {
  const res = await fetch(`${server.url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const values = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      assert.match(line, /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$/, line);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/.exec(line);
    assert.ok(m, `not a Prometheus sample line: ${line}`);
    values.set(m[1]! + (m[2] ?? ''), Number(m[3]));
  }
  return values;
}

test('a second conversation reuses the first one\'s system prompt: cached_tokens in chat (plain and streamed), completions and responses', async () => {
  const before = await metrics();
  const first = await client.chat.completions.create({ model: 'test-model', messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: 'Hello there.' }], max_tokens: 4, temperature: 0 });
  assert.equal(first.usage!.prompt_tokens_details!.cached_tokens, 0);
  const other = await client.chat.completions.create({ model: 'test-model', messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: 'What is two plus two?' }], max_tokens: 4, temperature: 0 });
  const cached = other.usage!.prompt_tokens_details!.cached_tokens!;
  assert.ok(cached >= 400 && cached < other.usage!.prompt_tokens, `cached ${cached} of ${other.usage!.prompt_tokens}`);

  const stream = await client.chat.completions.create({
    model: 'test-model',
    messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: 'Name a colour.' }],
    max_tokens: 4,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
  });
  let streamedCached = -1;
  for await (const chunk of stream) if (chunk.usage) streamedCached = chunk.usage.prompt_tokens_details!.cached_tokens!;
  assert.ok(streamedCached >= 400, `streamed cached_tokens ${streamedCached}`);

  // A raw prompt (no chat template) shares nothing with the chats above; its second variant shares the first's text.
  await client.completions.create({ model: 'test-model', prompt: `${SYSTEM} First`, max_tokens: 3, temperature: 0 });
  const completion = await client.completions.create({ model: 'test-model', prompt: `${SYSTEM} Second`, max_tokens: 3, temperature: 0 });
  assert.ok((completion.usage as any).prompt_tokens_details.cached_tokens >= 400);
  const response = await client.responses.create({ model: 'test-model', instructions: SYSTEM, input: 'Say yes.', max_output_tokens: 16, temperature: 0 });
  assert.ok(response.usage!.input_tokens_details.cached_tokens >= 400);

  const after = await metrics();
  const moved = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
  assert.ok(moved('vmlx_prefix_cache_lookups_total') >= 6);
  assert.ok(moved('vmlx_prefix_cache_hits_total') >= 4);
  assert.ok(moved('vmlx_prompt_tokens_cached_total') >= 1600);
  assert.ok((after.get('vmlx_kv_cache_blocks') ?? 0) > 0);
  assert.equal(after.get('vmlx_requests_running'), 0);
  const h = await health();
  assert.equal(h.running, 0);
  assert.ok(h.cache.hit_rate > 0 && h.cache.hit_rate <= 1);
  assert.equal(h.cache.blocks_in_requests, 0);
  assert.equal(h.cache.blocks_used + h.cache.blocks_free, h.cache.blocks_total);
});

test('concurrent conversations: a third one reuses the running ones\' system prompt; /health and /metrics count the engine\'s sequences and their blocks', async () => {
  // Streams long enough (15000 tokens) to still run while the checks below are made; they are cut off after them.
  const model = await loadModel(modelDir, { threads: 2, maxContext: 16384, kvCacheMemory: 64 << 20 });
  const long = await startServer(model, { maxTokensDefault: 8 });
  try {
    await concurrentConversations(long);
  } finally {
    await long.close();
  }
});

async function concurrentConversations(srv: TestServer): Promise<void> {
  const health = async () => (await fetch(`${srv.url}/health`)).json() as Promise<{ running: number; engine: Record<string, number>; cache: Record<string, number> }>;
  const client = new OpenAI({ baseURL: srv.baseURL, apiKey: 'unused', maxRetries: 0 });
  const open = async (content: string) => {
    const ac = new AbortController();
    const res = await fetch(`${srv.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'test-model', messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content }], max_tokens: 15000, temperature: 0, stream: true }),
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    // Up to its first generated text (the role chunk comes before): its prompt is in the cache, it is decoding.
    let seen = '';
    while (!/"(reasoning_)?content":"[^"]/.test(seen)) seen += new TextDecoder().decode((await reader.read()).value);
    return { ac, reader };
  };
  const a = await open('Tell a long story about a lighthouse.');
  const b = await open('Tell a long story about a river.');
  const h = await health();
  assert.equal(h.engine.running, 2, 'both long streams run in the engine at once');
  assert.equal(h.running, 2);
  assert.ok(h.cache.blocks_in_requests > 0);
  const m = await metrics(srv);
  assert.equal(m.get('vmlx_engine_sequences_running'), 2);
  assert.equal(m.get('vmlx_requests_running'), 2);
  // A third conversation while the two stream: it maps their cached system prompt.
  const third = await client.chat.completions.create({ model: 'test-model', messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: 'Say no.' }], max_tokens: 3, temperature: 0 });
  const cached = third.usage!.prompt_tokens_details!.cached_tokens!;
  assert.ok(cached >= 400 && cached < third.usage!.prompt_tokens, `cached ${cached} of ${third.usage!.prompt_tokens}`);
  for (const s of [a, b]) {
    s.ac.abort();
    await s.reader.cancel().catch(() => undefined);
  }
  // The server notices the disconnects and cancels within a step; wait for that, not for a fixed time.
  for (;;) {
    const idle = await health();
    if (idle.running === 0 && idle.engine.running === 0) {
      assert.equal(idle.engine.waiting, 0);
      assert.equal(idle.cache.blocks_in_requests, 0, 'every block the three requests held is back');
      return;
    }
    await new Promise((r) => setImmediate(r));
  }
}

test('a client that disconnects mid-stream frees its blocks', async () => {
  const ac = new AbortController();
  const res = await fetch(`${srv.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'test-model', messages: [{ role: 'user', content: 'Tell a very long story.' }], max_tokens: 1000, temperature: 0, stream: true }),
    signal: ac.signal,
  });
  const reader = res.body!.getReader();
  // The stream opens (headers, the role chunk) before the engine's first step: wait for generated text.
  let seen = '';
  while (!/"(reasoning_)?content":"[^"]/.test(seen)) seen += new TextDecoder().decode((await reader.read()).value);
  assert.ok((await health()).cache.blocks_in_requests > 0, 'the running request holds blocks');
  ac.abort();
  await reader.cancel().catch(() => undefined);
  // The server notices the disconnect and cancels within a step; wait for that, not for a fixed time.
  for (;;) {
    const h = await health();
    if (h.running === 0) {
      assert.equal(h.cache.blocks_in_requests, 0);
      break;
    }
    await new Promise((r) => setImmediate(r));
  }
});

test('a tiny --kv-cache-memory answers 503 out_of_cache_memory for a prompt it cannot hold and keeps serving', async () => {
  const small: LoadedModel = await loadModel(modelDir, { threads: 2, maxContext: 2048, kvCacheMemory: 64 << 10 });
  const tiny = await startServer(small, { maxTokensDefault: 4 });
  try {
    const long = await fetch(`${tiny.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'test-model', messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: 'Hi' }], max_tokens: 4 }),
    });
    assert.equal(long.status, 503);
    const body = (await long.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'out_of_cache_memory');
    assert.match(body.error.message, /^out of cache memory: the KV cache budget holds \d+ blocks/);
    const short = await new OpenAI({ baseURL: tiny.baseURL, apiKey: 'unused', maxRetries: 0 }).completions.create({ model: 'test-model', prompt: 'Hi', max_tokens: 2 });
    assert.equal(short.choices.length, 1);
    const h = (await (await fetch(`${tiny.url}/health`)).json()) as { cache: Record<string, number> };
    assert.equal(h.cache.out_of_memory, 1);
    assert.equal(h.cache.blocks_in_requests, 0);
  } finally {
    await tiny.close();
  }
});

test('the hybrid (qwen3_5): a second conversation with the same system prompt resumes from the checkpoint at its end', async () => {
  const dir = (await ensureTestModel({ arch: 'qwen3_5', dtype: 'bf16', bits: 4 })).dir;
  const hybrid = await startServer(await loadModel(dir, { threads: 2, maxContext: 2048, kvCacheMemory: 64 << 20 }), { maxTokensDefault: 4 });
  try {
    const ask = (question: string) => new OpenAI({ baseURL: hybrid.baseURL, apiKey: 'unused', maxRetries: 0 }).chat.completions.create({
      model: 'test-model', messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: question }], max_tokens: 4, temperature: 0,
    });
    const first = await ask('What is the weather like in Paris, Lyon and Marseille today, and tomorrow?');
    assert.equal(first.usage!.prompt_tokens_details!.cached_tokens, 0);
    const second = await ask('Name three prime numbers.');
    const cached = second.usage!.prompt_tokens_details!.cached_tokens!;
    // Up to the last block boundary inside the system message: the first conversation's own checkpoint (its last
    // block boundary) lies past it, so only the system prompt's checkpoint can serve this.
    const bt = ((await (await fetch(`${hybrid.url}/health`)).json()) as { cache: Record<string, number> }).cache.block_tokens!;
    const firstOwnCheckpoint = Math.floor((first.usage!.prompt_tokens - 1) / bt) * bt;
    assert.ok(cached >= 400 && cached < firstOwnCheckpoint, `cached ${cached} of ${second.usage!.prompt_tokens} (the first's own checkpoint: ${firstOwnCheckpoint})`);
  } finally {
    await hybrid.close();
  }
});
