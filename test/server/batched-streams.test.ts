// `vmlx serve` with continuous batching, through the openai SDK: 16 concurrent streams on a real test model, half
// cut off midway; the other half finish with exactly the text each request gets when it runs alone, and the cut
// ones stop generating (their sequences leave the batch).
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
  // 8 at once and a 48-token step budget: the 16 streams queue, and prompts prefill in chunks beside decoding.
  model = await loadModel(dir, { maxContext: 1024, maxNumSeqs: 8, maxNumBatchedTokens: 48, threads: 2 });
  srv = await startServer(model, { maxTokensDefault: 16 });
  client = new OpenAI({ baseURL: srv.baseURL, apiKey: 'unused', maxRetries: 0 });
});
after(async () => srv.close()); // shutdown disposes the model

function request(i: number) {
  const topic = ['Paris', 'the sea', 'a long walk in the mountains near a lake', 'numbers'][i % 4];
  return {
    model: 'test-model',
    messages: [{ role: 'user' as const, content: `Stream ${i}: tell me about ${topic}.`.repeat(1 + (i % 3)) }],
    // The streams cut midway ask for far more tokens than they will read.
    max_tokens: i % 2 ? 300 : 10 + (i % 5) * 3,
    temperature: i % 4 === 2 ? 0.8 : 0,
    seed: 1000 + i,
    stream: true as const,
  };
}

async function stream(i: number, cutAfter?: number): Promise<{ text: string; finish: string | null; cut: boolean }> {
  const controller = new AbortController();
  const s = await client.chat.completions.create(request(i), { signal: controller.signal });
  let text = '';
  let chunks = 0;
  let finish: string | null = null;
  for await (const c of s) {
    const d: any = c.choices[0]?.delta;
    text += (d?.reasoning_content ?? '') + (d?.content ?? '');
    if (c.choices[0]?.finish_reason) finish = c.choices[0].finish_reason;
    if (cutAfter !== undefined && ++chunks === cutAfter) controller.abort();
  }
  return { text, finish, cut: controller.signal.aborted };
}

test('16 concurrent streams, half cut midway: the rest finish with the text they get alone', async () => {
  const ids = Array.from({ length: 16 }, (_, i) => i);
  const alone = new Map<number, string>();
  for (const i of ids.filter((i) => i % 2 === 0)) {
    const r = await stream(i);
    assert.ok(r.finish === 'stop' || r.finish === 'length', `alone ${i}: ${r.finish}`);
    alone.set(i, r.text);
  }
  const stepsBefore = model.schedulerStats.steps;
  const results = await Promise.all(ids.map((i) => stream(i, i % 2 ? 3 + (i % 4) : undefined)));
  for (const [i, r] of results.entries()) {
    if (i % 2) {
      assert.equal(r.cut, true, `stream ${i} was cut`);
      assert.equal(r.finish, null, `stream ${i} was cut before it finished`);
    } else {
      assert.ok(r.finish === 'stop' || r.finish === 'length', `stream ${i} ended with ${r.finish}`);
      assert.equal(r.text, alone.get(i), `stream ${i}: same text as alone`);
    }
  }
  // The cut streams' 300-token budgets were not spent: their sequences left the batch.
  const generatedAtMost = results.reduce((n, _r, i) => n + request(i).max_tokens, 0);
  assert.ok(model.schedulerStats.steps - stepsBefore < generatedAtMost / 2, `steps ${model.schedulerStats.steps - stepsBefore}`);
  const again = await client.chat.completions.create({ ...request(0), stream: false });
  assert.ok(['stop', 'length'].includes(again.choices[0]!.finish_reason), 'the server still answers');
  assert.equal(model.schedulerStats.running, 0);
  assert.equal(model.schedulerStats.waiting, 0);
});
