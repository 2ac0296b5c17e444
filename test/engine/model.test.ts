// loadModel + generate end to end on tiny random models written by the project's test-model generator.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, type LoadedModel } from '../../src/engine/model.js';
import type { GenerateParams, GenerationEvent } from '../../src/engine/types.js';
import { ensureTestModel } from '../helpers/test-models.js';

let qwen: LoadedModel;
let llama: LoadedModel;

before(async () => {
  const [q, l] = await Promise.all([ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4 }), ensureTestModel({ arch: 'llama', dtype: 'bf16' })]);
  [qwen, llama] = await Promise.all([loadModel(q.dir, { threads: 2, maxContext: 512 }), loadModel(l.dir, { threads: 2, maxContext: 512 })]);
});

after(async () => {
  await Promise.all([qwen?.dispose(), llama?.dispose()]);
});

async function collect(model: LoadedModel, prompt: string | number[], params: GenerateParams, signal?: AbortSignal) {
  const events: GenerationEvent[] = [];
  for await (const ev of model.generate(prompt, params, signal)) events.push(ev);
  const done = events.at(-1);
  assert.equal(done?.type, 'done');
  const text = events.filter((e) => e.type === 'text');
  return {
    events,
    done: done as Extract<GenerationEvent, { type: 'done' }>,
    tokens: text.flatMap((e) => e.tokens),
    text: text.map((e) => e.text).join(''),
  };
}

test('model info reflects config, generation_config and tokenizer', () => {
  assert.equal(qwen.info.arch, 'qwen3');
  assert.deepEqual(qwen.info.quantization, { bits: 4, groupSize: 64 });
  assert.equal(qwen.info.contextLength, 512);
  assert.ok(qwen.info.eosTokenIds.includes(151645) && qwen.info.eosTokenIds.includes(151643));
  assert.ok(qwen.info.weightBytes > 0);
  assert.equal(llama.info.quantization, null);
  assert.ok([128001, 128008, 128009].every((id) => llama.info.eosTokenIds.includes(id)));
  assert.ok(qwen.chatTemplate?.includes('<|im_start|>'));
});

test('greedy decoding is deterministic, reuses the KV prefix, and honours maxTokens', async () => {
  // 28 tokens: the first run (prompt and 11 answer tokens fed back) fills the pool's first block of 16 or 32
  // positions, which covers the prompt but its last token (only full blocks are cached).
  const prompt = 'The quick brown fox jumps over the lazy dog while the cat sleeps in the sun and the bird sings on the old oak tree by the river';
  const a = await collect(qwen, prompt, { temperature: 0, maxTokens: 12, ignoreEos: true });
  const b = await collect(qwen, prompt, { temperature: 0, maxTokens: 12, ignoreEos: true });
  assert.equal(a.tokens.length, 12);
  assert.deepEqual(b.tokens, a.tokens);
  assert.equal(b.text, a.text);
  assert.equal(a.done.finishReason, 'length');
  assert.equal(a.done.text, a.text);
  const promptTokens = qwen.encodePrompt(prompt).length;
  assert.equal(b.done.usage.promptTokens, promptTokens);
  assert.equal(b.done.usage.reusedPromptTokens, promptTokens - 1); // the last prompt token is recomputed for its logits
  assert.equal(b.done.usage.completionTokens, 12);
  assert.ok(a.done.usage.decodeTokensPerSecond > 0 && a.done.usage.prefillTokensPerSecond > 0);
  // token ids and text prompts are the same thing
  const c = await collect(qwen, qwen.encodePrompt(prompt), { temperature: 0, maxTokens: 12, ignoreEos: true });
  assert.deepEqual(c.tokens, a.tokens);
});

test('seeded sampling is reproducible', async () => {
  const params: GenerateParams = { temperature: 1.0, topP: 0.95, topK: 50, seed: 1234, maxTokens: 10, ignoreEos: true };
  const a = await collect(qwen, 'Once upon a time', params);
  const b = await collect(qwen, 'Once upon a time', params);
  assert.deepEqual(b.tokens, a.tokens);
});

test('a stop string cuts the text where it starts and ends generation', async () => {
  const full = await collect(llama, 'Hello', { temperature: 0, maxTokens: 16, ignoreEos: true });
  assert.ok(full.text.length > 6, `need some text: ${JSON.stringify(full.text)}`);
  const stop = full.text.slice(3, 6);
  const cut = await collect(llama, 'Hello', { temperature: 0, maxTokens: 16, ignoreEos: true, stop: [stop] });
  assert.equal(cut.text, full.text.slice(0, full.text.indexOf(stop)));
  assert.equal(cut.done.finishReason, 'stop');
  assert.ok(cut.done.usage.completionTokens < 16);
});

test('an AbortSignal cancels generation promptly', async () => {
  const controller = new AbortController();
  const events: GenerationEvent[] = [];
  for await (const ev of qwen.generate('Count with me:', { temperature: 0, maxTokens: 400, ignoreEos: true }, controller.signal)) {
    events.push(ev);
    if (ev.type === 'text') controller.abort();
  }
  const done = events.at(-1) as Extract<GenerationEvent, { type: 'done' }>;
  assert.equal(done.finishReason, 'cancelled');
  assert.ok(done.usage.completionTokens < 400);
});

test('logprobs: the greedy token is the top alternative and alternatives are sorted', async () => {
  const r = await collect(qwen, 'Numbers:', { temperature: 0, maxTokens: 5, ignoreEos: true, topLogprobs: 3 });
  const lps = r.events.flatMap((e) => (e.type === 'text' ? (e.logprobs ?? []) : []));
  assert.equal(lps.length, 5);
  for (const lp of lps) {
    assert.equal(lp.top.length, 3);
    assert.equal(lp.top[0]!.token, lp.token);
    assert.ok(Math.abs(lp.top[0]!.logprob - lp.logprob) < 1e-4);
    assert.ok(lp.top[0]!.logprob >= lp.top[1]!.logprob && lp.top[1]!.logprob >= lp.top[2]!.logprob);
    assert.ok(lp.logprob <= 0);
  }
  // logprobs without alternatives
  const plain = await collect(qwen, 'Numbers:', { temperature: 0, maxTokens: 2, ignoreEos: true, logprobs: true });
  const only = plain.events.flatMap((e) => (e.type === 'text' ? (e.logprobs ?? []) : []));
  assert.equal(only.length, 2);
  assert.deepEqual(only.map((lp) => lp.top.length), [0, 0]);
  assert.ok(Math.abs(only[0]!.logprob - lps[0]!.logprob) < 1e-4);
});

test('chat prompts: the Llama template emits BOS once; Qwen3 thinking switch', () => {
  const rendered = llama.renderChat([{ role: 'user', content: 'hi' }]);
  const ids = llama.encodePrompt(rendered);
  assert.equal(ids[0], 128000);
  assert.equal(ids.filter((id) => id === 128000).length, 1);
  assert.deepEqual(llama.encodePrompt('plain text').slice(0, 1), [128000]);
  assert.ok(qwen.renderChat([{ role: 'user', content: 'hi' }], { enableThinking: false }).endsWith('<think>\n\n</think>\n\n'));
  assert.equal(qwen.countTokens('hello world'), 2);
});

test('concurrent generate() calls are queued on the one session and both complete', async () => {
  const [a, b] = await Promise.all([
    collect(qwen, 'First prompt', { temperature: 0, maxTokens: 4, ignoreEos: true }),
    collect(qwen, 'Second prompt', { temperature: 0, maxTokens: 4, ignoreEos: true }),
  ]);
  assert.equal(a.tokens.length, 4);
  assert.equal(b.tokens.length, 4);
});

test('bad generation input is rejected with a clear error', async () => {
  await assert.rejects(collect(qwen, [], {}), /prompt is empty/);
  await assert.rejects(collect(qwen, [999999999], {}), /outside the vocabulary/);
  await assert.rejects(collect(qwen, 'x', { topP: 0 }), /topP must be in \(0, 1\]/);
  await assert.rejects(collect(qwen, ' a'.repeat(600), {}), /the context holds 512/);
  await assert.rejects(loadModel(qwen.info.dir, { maxContext: 0 }), /maxContext must be a positive integer, got 0/);
});

test('loadModel reports progress: tokenizer first, then weights up to 1 (never back to tokenizer)', async () => {
  const phases: string[] = [];
  let lastWeights = 0;
  const m = await loadModel(llama.info.dir, {
    threads: 1,
    maxContext: 64,
    onProgress: (p) => {
      phases.push(p.phase);
      if (p.phase === 'weights') {
        assert.ok(p.fraction >= lastWeights, 'weights progress never goes back');
        lastWeights = p.fraction;
      }
    },
  });
  await m.dispose();
  // The tokenizer thread and the weights load at once: the tokenizer's "done" is only reported if it came first.
  assert.equal(phases[0], 'tokenizer');
  assert.ok(phases.indexOf('weights') > 0);
  assert.ok(phases.lastIndexOf('tokenizer') < phases.indexOf('weights'));
  assert.equal(lastWeights, 1);
});

test('a broken tokenizer.json is reported as such although the weights were loading meanwhile', async () => {
  // loadModel starts the weights on the addon's threads and builds the tokenizer at the same time; the tokenizer's
  // error must win, and the half-loaded weights must be freed (a second load of the same directory still works).
  const dir = mkdtempSync(join(tmpdir(), 'vmlx-badtok-'));
  try {
    for (const f of readdirSync(llama.info.dir)) symlinkSync(join(llama.info.dir, f), join(dir, f));
    rmSync(join(dir, 'tokenizer.json'));
    writeFileSync(join(dir, 'tokenizer.json'), '{"model": ');
    await assert.rejects(loadModel(dir, { threads: 1, maxContext: 64 }), (e: Error) => /tokenizer\.json/.test(e.message) && /invalid JSON/.test(e.message));
    const again = await loadModel(llama.info.dir, { threads: 1, maxContext: 64 });
    await again.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
