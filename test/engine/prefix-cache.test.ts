// The paged KV pool and the prefix cache shared across conversations, on tiny models of the three cache kinds:
// full attention (qwen3), sliding window (gemma3_text) and the DeltaNet hybrid (qwen3_5). Every warm answer must be
// token for token the answer of a cold run (after resetCache), and report how many prompt tokens it reused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel, type LoadedModel } from '../../src/engine/model.js';
import { CacheMemoryError, GenerationInputError } from '../../src/engine/errors.js';
import type { GenerationEvent } from '../../src/engine/types.js';
import { ensureTestModel } from '../helpers/test-models.js';
import { PAGED_ARCHS, ids, pagedModels } from './helpers/paged-models.js';
import type { TestArch } from '../../src/engine/testmodel/spec.js';

const ARCHS = PAGED_ARCHS;
const models = pagedModels();

async function run(model: LoadedModel, prompt: number[], maxTokens = 6, signal?: AbortSignal) {
  const tokens: number[] = [];
  let done: Extract<GenerationEvent, { type: 'done' }> | undefined;
  for await (const ev of model.generate(prompt, { temperature: 0, maxTokens, ignoreEos: true }, signal)) {
    if (ev.type === 'text') tokens.push(...ev.tokens);
    if (ev.type === 'done') done = ev;
  }
  return { tokens, reused: done!.usage.reusedPromptTokens, finish: done!.finishReason };
}

async function cold(model: LoadedModel, prompt: number[], maxTokens = 6): Promise<number[]> {
  await model.resetCache();
  const r = await run(model, prompt, maxTokens);
  assert.equal(r.reused, 0);
  return r.tokens;
}

for (const arch of ARCHS) {
  test(`${arch}: two alternating conversations sharing a system prompt hit the prefix cache and answer as cold runs do`, async () => {
    const model = models.get(arch)!;
    await model.resetCache();
    // In blocks of bt: a system prompt of 4 blocks and 6 tokens; A's first turn ends more than a block past it, so the
    // hybrid's checkpoint at A's last block boundary lies beyond the system prompt.
    const bt = model.cacheFigures()!.blockTokens;
    const system = ids(1, 4 * bt + 6);
    const a1 = [...system, ...ids(2, bt + 4)];
    const b1 = [...system, ...ids(3, bt + 9)];
    const ra1 = await run(model, a1, 12);
    const rb1 = await run(model, b1, 12);
    // B shares A's system prompt: its full blocks and part of the next (the hybrid: only up to a checkpoint).
    if (arch === 'qwen3_5') assert.equal(rb1.reused, 0, 'no checkpoint inside the shared system prompt yet');
    else assert.equal(rb1.reused, system.length);
    const a2 = [...a1, ...ra1.tokens, ...ids(4, 30)];
    const b2 = [...b1, ...rb1.tokens, ...ids(5, 30)];
    const ra2 = await run(model, a2);
    const rb2 = await run(model, b2);
    // Each second turn resumes after every full block of its own first turn (prompt and answer fed back), although
    // the other conversation ran in between; the hybrid from the checkpoint its decode took at a block boundary.
    const fullBlocks = (prompt: number[], answer: number[]) => Math.floor((prompt.length + answer.length - 1) / bt) * bt;
    assert.equal(ra2.reused, fullBlocks(a1, ra1.tokens));
    assert.equal(rb2.reused, fullBlocks(b1, rb1.tokens));
    for (const [prompt, warm, n] of [[a1, ra1, 12], [b1, rb1, 12], [a2, ra2, 6], [b2, rb2, 6]] as const) {
      assert.deepEqual(await cold(model, prompt, n), warm.tokens);
    }
    const f = model.cacheFigures()!;
    assert.equal(f.sequenceBlockRefs, 0, 'no block stays referenced once requests end');
    assert.ok(f.hits >= 2 && f.cachedTokens > 0);
  });
}

test('copy-on-write: a prompt that diverges inside a cached block copies it and leaves the cached block intact', async () => {
  const model = models.get('qwen3')!;
  await model.resetCache();
  const bt = model.cacheFigures()!.blockTokens;
  const p1 = ids(10, 2.5 * bt);
  const first = await run(model, p1, bt / 2 + 1); // 3 blocks of tokens forwarded (the last one sampled is not): all cached
  const p2 = [...p1.slice(0, 1.5 * bt), ...ids(11, 12)];
  const r2 = await run(model, p2);
  assert.equal(r2.reused, 1.5 * bt, 'block 0 whole, then half of the shared block 1');
  const again = await run(model, p1, bt / 2 + 1);
  assert.equal(again.reused, p1.length - 1);
  assert.deepEqual(again.tokens, first.tokens, 'the shared block was copied before the write, not overwritten');
  assert.deepEqual(await cold(model, p2), r2.tokens);
  assert.equal(model.cacheFigures()!.sequenceBlockRefs, 0);
});

test('a cancelled request gives its blocks back', async () => {
  const model = models.get('qwen3')!;
  const ac = new AbortController();
  let seen = 0;
  for await (const ev of model.generate(ids(20, 50), { temperature: 0, maxTokens: 200, ignoreEos: true }, ac.signal)) {
    if (ev.type === 'text' && (seen += ev.tokens.length) >= 3) ac.abort();
  }
  assert.equal(model.cacheFigures()!.sequenceBlockRefs, 0);
});

test('a tiny budget evicts cached prefixes, fails an oversized prompt with a typed error, and keeps serving', async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4 });
  const big = models.get('qwen3')!;
  // A pool of 128 positions a layer, in the blocks (one layer x bt positions) the model's own pool reports.
  const { blockTokens: bt, blockBytes } = big.cacheFigures()!;
  const layers = big.spec.layers.length;
  const small = await loadModel(dir, { threads: 2, maxContext: 1024, kvCacheMemory: blockBytes * layers * (128 / bt) });
  try {
    const prompts = [ids(30, 60), ids(31, 60), ids(32, 60), ids(33, 60)];
    const answers = [];
    for (const p of prompts) answers.push(await run(small, p));
    const f = small.cacheFigures()!;
    assert.equal(f.blocks, layers * (128 / bt));
    assert.ok(f.evictions > 0, 'older prefixes were evicted to make room');
    for (let i = 0; i < prompts.length; i++) assert.deepEqual(answers[i]!.tokens, (await run(big, prompts[i]!)).tokens);
    await assert.rejects(run(small, ids(34, 200)), (err: unknown) => err instanceof CacheMemoryError && /^out of cache memory: /.test(err.message));
    assert.equal(small.cacheFigures()!.outOfMemory, 1);
    assert.equal(small.cacheFigures()!.sequenceBlockRefs, 0, 'the failed request gave back what it had');
    assert.equal((await run(small, prompts[0]!)).tokens.join(), answers[0]!.tokens.join(), 'still serving');
  } finally {
    await small.dispose();
  }
  await assert.rejects(loadModel(dir, { threads: 2, maxContext: 64, kvCacheMemory: 1024 }), (err: unknown) =>
    err instanceof GenerationInputError && new RegExp(`^KV cache memory of 1024 bytes holds no block of ${bt} tokens .*; raise --kv-cache-memory$`).test(err.message));
});

// Merging block spans is exact in arithmetic; in float the sums run in another order, which the int16 activation
// quantization of the next layers can amplify (Gemma the most). The first block (one span) is bit-identical.
for (const arch of ARCHS) {
  test(`${arch}: attention merged across pool blocks matches the private full-context cache (evaluate over 200 tokens)`, async () => {
    const { dir } = await ensureTestModel({ arch, dtype: 'f32' });
    const [pooled, own] = await Promise.all([
      loadModel(dir, { threads: 2, maxContext: 1024, kvCacheMemory: 32 << 20 }),
      loadModel(dir, { threads: 2, maxContext: 1024, kvCacheMemory: 'off' }),
    ]);
    try {
      const tokens = ids(40, 200);
      const paged = await pooled.evaluate(tokens, 5);
      const full = await own.evaluate(tokens, 5);
      let worst = 0;
      for (let i = 0; i < full.logprobs.length; i++) {
        const d = Math.abs(full.logprobs[i]! - paged.logprobs[i]!);
        if (i < 16 * 5) assert.equal(d, 0, `position ${Math.floor(i / 5)} reads one block: identical`);
        worst = Math.max(worst, d);
      }
      assert.ok(worst < 1e-3, `max |Δ logprob| ${worst}`);
      for (let p = 0; p < tokens.length; p++) assert.equal(paged.ids[p * 5], full.ids[p * 5], `greedy token at position ${p}`);
    } finally {
      await Promise.all([pooled.dispose(), own.dispose()]);
    }
  });
}
