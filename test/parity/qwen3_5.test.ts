// vmlx against llama.cpp (arch qwen35) on tiny random Qwen3.5 hybrids: three Gated DeltaNet layers and a gated
// full-attention layer, with twice as many DeltaNet value heads as key heads (see arch-suite.ts for what is compared).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../src/engine/model.js';
import { ensureTestModel } from '../helpers/test-models.js';
import { parityTests } from './arch-suite.js';

parityTests('qwen3_5', ['4-bit']);

async function greedy(model: Awaited<ReturnType<typeof loadModel>>, prompt: number[], n: number) {
  const tokens: number[] = [];
  let reused = -1;
  for await (const ev of model.generate(prompt, { temperature: 0, maxTokens: n, ignoreEos: true })) {
    if (ev.type === 'text') tokens.push(...ev.tokens);
    if (ev.type === 'done') reused = ev.usage.reusedPromptTokens;
  }
  return { tokens, reused };
}

test('qwen3_5: a prompt that extends, repeats or diverges from the cached one continues exactly as a fresh session', async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3_5', dtype: 'f32' });
  // The session's own cache (no shared pool): it continues from the exact end of the cache or its snapshot. The
  // pool's checkpoints at block boundaries are tested in test/engine/prefix-cache.test.ts.
  const cached = await loadModel(dir, { threads: 1, maxContext: 256, kvCacheMemory: 'off' });
  const fresh = async (prompt: number[]) => {
    const m = await loadModel(dir, { threads: 1, maxContext: 256 });
    try {
      return (await greedy(m, prompt, 8)).tokens;
    } finally {
      await m.dispose();
    }
  };
  try {
    const first = cached.encode('<|im_start|>user\nName three rivers.<|im_end|>\n<|im_start|>assistant\n', { addSpecialTokens: true });
    const turn1 = await greedy(cached, first, 8);
    assert.deepEqual(turn1.tokens, await fresh(first));
    // The next turn extends everything the recurrent state has seen: it continues from the end of the cache.
    const next = [...first, ...turn1.tokens.slice(0, 7), ...cached.encode('<|im_end|>\n<|im_start|>user\nMore.', {})];
    const turn2 = await greedy(cached, next, 8);
    assert.equal(turn2.reused, first.length + 7);
    assert.deepEqual(turn2.tokens, await fresh(next));
    // The same prompt again: the state is restored from the snapshot taken before its last token.
    const again = await greedy(cached, next, 8);
    assert.equal(again.reused, next.length - 1);
    assert.deepEqual(again.tokens, turn2.tokens);
    // A prompt that leaves the cache mid-way (an edited answer): restored from the snapshot if it lies inside the
    // shared part, else recomputed from the start; either way the same tokens as a fresh session.
    const edited = [...first, ...cached.encode('Nile, Amazon, Danube.', {})];
    const turn3 = await greedy(cached, edited, 8);
    assert.equal(turn3.reused, 0);
    assert.deepEqual(turn3.tokens, await fresh(edited));
  } finally {
    await cached.dispose();
  }
});
