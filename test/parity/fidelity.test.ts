// The fidelity rule (see fidelity.ts) on tiny models of every family: vmlx's default activation path against its
// float path on the MLX 4-bit weights, no worse than llama.cpp's Q4_0 file against the F32 file of the same values.
// The int16 and int8 paths are both measured and reported; the default must meet the rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel, type LoadedModel } from '../../src/engine/model.js';
import { DEFAULT_ACTIVATIONS, type ActivationMode } from '../../src/engine/plan.js';
import type { TestArch } from '../../src/engine/testmodel/spec.js';
import { ensureTestModel } from '../helpers/test-models.js';
import { LlamaPeer } from './llama-peer.js';
import { describe, llamaPairs, meetsRule, PROMPTS, REF_K, summarize, tokensOf, vmlxPairs, type PositionPair } from './fidelity.js';

const FAMILIES: TestArch[] = ['qwen3', 'llama', 'gemma3_text', 'qwen3_moe', 'qwen3_5'];
const QUANTIZED_MODES: ActivationMode[] = ['int16', 'int8'];

async function withModel<T>(dir: string, activations: ActivationMode, use: (m: LoadedModel) => Promise<T>): Promise<T> {
  const m = await loadModel(dir, { threads: 2, maxContext: 512, activations });
  try {
    return await use(m);
  } finally {
    await m.dispose();
  }
}

for (const arch of FAMILIES) {
  test(`${arch}: the default activation path (${DEFAULT_ACTIVATIONS}) deviates from the float path no more than llama.cpp's Q8 activations do`, async (t) => {
    // llama.cpp's side: the F32 file holds exactly the Q4_0 file's values, both made from the same float weights.
    const float = await ensureTestModel({ arch, dtype: 'bf16', withGguf: 'q4_0' });
    const exact = await ensureTestModel({ arch, dtype: 'bf16', withGguf: 'q4_0-f32' });
    const mlx4 = await ensureTestModel({ arch, dtype: 'bf16', bits: 4 });

    // The reference tokens of llama.cpp's comparison: vmlx's float path on the float weights.
    const prompts: number[][] = [];
    const want: number[][][] = [];
    await withModel(float.dir, 'float', async (m) => {
      for (const p of PROMPTS) {
        const tokens = tokensOf(m, p);
        const top = await m.evaluate(tokens, REF_K);
        prompts.push(tokens);
        want.push(tokens.map((_, i) => Array.from(top.ids.subarray(i * REF_K, (i + 1) * REF_K))));
      }
    });
    const f32 = await LlamaPeer.open(exact.gguf!, 512);
    const q4 = await LlamaPeer.open(float.gguf!, 512);
    const peerPairs: PositionPair[] = [];
    try {
      for (let i = 0; i < prompts.length; i++) peerPairs.push(...(await llamaPairs(f32, q4, prompts[i]!, want[i]!)));
    } finally {
      await f32.dispose();
      await q4.dispose();
    }
    const peer = summarize(peerPairs);
    t.diagnostic(`llama.cpp Q4_0 (Q8_0 activations) vs F32: ${describe(peer)}`);

    const reference = await loadModel(mlx4.dir, { threads: 2, maxContext: 512, activations: 'float' });
    try {
      for (const mode of QUANTIZED_MODES) {
        const pairs: PositionPair[] = [];
        await withModel(mlx4.dir, mode, async (m) => {
          for (const tokens of prompts) pairs.push(...(await vmlxPairs(reference, m, tokens)));
        });
        const mine = summarize(pairs);
        const verdict = meetsRule(mine, peer) ? 'meets the rule' : 'misses the rule';
        t.diagnostic(`vmlx ${mode} vs float: ${describe(mine)} (${verdict})`);
        if (mode === DEFAULT_ACTIVATIONS) {
          assert.ok(meetsRule(mine, peer), `${arch}: vmlx ${mode} (${describe(mine)}) is worse than llama.cpp (${describe(peer)})`);
        }
      }
    } finally {
      await reference.dispose();
    }
  });
}
