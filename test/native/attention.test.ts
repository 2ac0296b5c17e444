// The attention features of the plan (sliding windows on a ring cache, sinks, soft-capped logits, a family query
// scale, an output bias, YaRN, longrope and proportional RoPE, Gemma 4's v norm, v from k and shared KV layers) on tiny random models against the float64 reference, with prompts
// long enough that the ring wraps inside a prefill chunk and across chunks.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAddon } from '../../src/engine/addon.js';
import type { NativeModel, NativeSamplingParams } from '../../src/engine/native-types.js';
import type { NativeModelPlan } from '../../src/engine/plan.js';
import { writeTinyModel, type TinyConfig, type TinyModel } from './tiny-model.js';
import { logSoftmax, referenceLogits } from './reference.js';

const addon = loadAddon();
const dir = mkdtempSync(join(tmpdir(), 'vmlx-attn-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const base: TinyConfig = { arch: 'llama', hidden: 64, inter: 96, layers: 2, heads: 4, kvHeads: 2, headDim: 16, vocab: 64, tied: true, floatDtype: 'F32', seed: 30 };
let n = 0;
function make(cfg: Partial<TinyConfig>): TinyModel {
  return writeTinyModel({ ...base, ...cfg }, join(dir, `m${n++}.safetensors`));
}

function params(p: Partial<NativeSamplingParams> = {}): NativeSamplingParams {
  return { maxTokens: 4, temperature: 0, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, presencePenalty: 0, frequencyPenalty: 0,
    penaltyWindow: 0, seed: 0, eosTokenIds: new Int32Array(0), topLogprobs: 0, logprobs: false, ...p };
}

// 300 tokens: a 256-token chunk then 44 more, so a window of 8 (ring of 8 + 255 slots) wraps in the second chunk.
const longPrompt = Array.from({ length: 300 }, (_, i) => (i * 29 + 3) % 64);

async function checkAgainstReference(m: TinyModel, tokens: number[], maxContext: number): Promise<void> {
  const ref = referenceLogits(m.ref, tokens).map(logSoftmax);
  for (const kernels of addon._test.kernelSets()) {
    const model = await addon.loadModel({ ...m.spec, kernels });
    const s = model.createSession(maxContext);
    const k = 3;
    const { ids, logprobs } = await s.evaluate(Int32Array.from(tokens), k);
    const tol = kernels === 'scalar' ? 2e-3 : 5e-3;
    for (let p = 0; p < tokens.length; p++) {
      const best = ref[p].indexOf(Math.max(...ref[p]));
      assert.equal(ids[p * k], best, `${kernels} pos ${p}: argmax`);
      for (let j = 0; j < k; j++) {
        const id = ids[p * k + j];
        assert.ok(Math.abs(logprobs[p * k + j] - ref[p][id]) < tol, `${kernels} pos ${p} rank ${j}: ${logprobs[p * k + j]} vs ${ref[p][id]}`);
      }
    }
    s.dispose();
    model.dispose();
  }
}

const configs: Array<[string, Partial<TinyConfig>, number]> = [
  ['sliding window 8 on even layers, ring cache wrapping', { attn: { slidingWindow: 8 } }, 400],
  ['sliding window larger than the context (full cache)', { attn: { slidingWindow: 500 }, seed: 31 }, 400],
  ['sinks, output bias and YaRN (gpt-oss style), window 16', { seed: 32, quant: { bits: 4, groupSize: 32 },
    attn: { slidingWindow: 16, sinks: true, outputBias: true },
    ropeScalingPlan: { type: 'yarn', factor: 32, betaFast: 32, betaSlow: 1, originalMaxPositionEmbeddings: 64, attentionFactor: 1 + 0.1 * Math.log(32) } }, 400],
  // Gemma 3 in miniature: local layers (window 8, RoPE base 10000) between global ones (base 1e6, linear scaling 8).
  ['gemma layer: sandwich (1 + w) norms, GeLU, embedding scale, q/k norms, query scale, window', { arch: 'gemma', seed: 36,
    attn: { slidingWindow: 8, queryScale: 0.3 }, ropeScalingPlan: { type: 'linear', factor: 8 } }, 400],
  // Gemma 4's attention: unscaled q·k, unweighted v norm, v from k_proj, odd layers reading the even layers' caches,
  // proportional RoPE (5 of the 8 pairs rotate).
  ['gemma 4 attention: v norm, v from k, shared KV layers, proportional RoPE', { arch: 'qwen3', seed: 37,
    attn: { queryScale: 1, valueNorm: true, valueFromKey: true, shareKv: true }, ropeScalingPlan: { type: 'proportional', rotatedPairs: 5 } }, 400],
  ['soft-capped logits, query scale and longrope', { seed: 33, attn: { softcap: 2, queryScale: 0.5 },
    ropeScalingPlan: { type: 'longrope', freqFactors: [1, 1.2, 1.5, 2, 3, 5, 8, 12], attentionFactor: 1.19 } }, 400],
];

for (const [name, cfg, maxContext] of configs) {
  test(`${name}: evaluate() over 300 tokens matches the float64 reference on every kernel set`, async () => {
    await checkAgainstReference(make(cfg), longPrompt, maxContext);
  });
}

async function run(s: ReturnType<NativeModel['createSession']>, prompt: number[]) {
  const tokens: number[] = [];
  const stats = await s.generate(Int32Array.from(prompt), params(), (e) => tokens.push(...e.map((x) => x.token))).done;
  return { tokens, stats };
}

test('a ring cache reuses a prefix whose window is still stored, and recomputes one whose window was overwritten', async () => {
  const m = make({ seed: 34, attn: { slidingWindow: 8 } });
  const model = await addon.loadModel(m.spec);
  const fresh = async (prompt: number[]) => {
    const s = model.createSession(400);
    const r = await run(s, prompt);
    s.dispose();
    return r.tokens;
  };
  const s = model.createSession(400);
  const first = await run(s, longPrompt);
  assert.equal(first.stats.reusedTokens, 0);
  // Continuing right after the cached tokens: the last window is in the ring.
  const follow = [...longPrompt, ...first.tokens, 5, 6];
  const second = await run(s, follow);
  assert.equal(second.stats.reusedTokens, longPrompt.length + first.tokens.length - 1);
  assert.deepEqual(second.tokens, await fresh(follow));
  // Branching off at token 20 of 300+: positions 13..19 were overwritten in the ring, so nothing is reused.
  const branch = [...longPrompt.slice(0, 20), 9, 9, 9];
  const third = await run(s, branch);
  assert.equal(third.stats.reusedTokens, 0);
  assert.deepEqual(third.tokens, await fresh(branch));
  s.dispose();
  model.dispose();
});

test('bad attention plans are rejected with one error naming the field', async () => {
  const m = make({ seed: 35 });
  const layer = m.spec.layers[0]!;
  const withMixer = (mixer: Record<string, unknown>) =>
    ({ ...m.spec, layers: [{ ...layer, mixer: { ...layer.mixer, ...mixer } }, m.spec.layers[1]!] }) as NativeModelPlan;
  // The plan is parsed synchronously; tensors are resolved as the model loads.
  assert.throws(() => addon.loadModel(withMixer({ slidingWindow: 0 })), /spec\.layers\[0\]\.mixer\.slidingWindow must be an integer >= 1/);
  assert.throws(() => addon.loadModel(withMixer({ queryScale: -1 })), /spec\.layers\[0\]\.mixer\.queryScale must be > 0/);
  assert.throws(
    () => addon.loadModel(withMixer({ rope: { kind: 'neox', theta: 10000, rotaryDims: 16, scaling: { type: 'longrope', freqFactors: [1, 2], attentionFactor: 1 } } })),
    /spec\.layers\[0\]\.mixer\.rope\.scaling\.freqFactors must hold rotaryDims\/2 = 8 numbers/,
  );
  assert.throws(
    () => addon.loadModel(withMixer({ rope: { kind: 'neox', theta: 10000, rotaryDims: 16, scaling: { type: 'dynamic' } } })),
    /'dynamic' is not supported \(supported: llama3, yarn, longrope, linear, proportional\)/,
  );
  await assert.rejects(addon.loadModel(withMixer({ sinks: true })), /'blk\.0\.attn_sinks' is missing/);
  assert.throws(
    () => addon.loadModel(withMixer({ rope: { kind: 'neox', theta: 10000, rotaryDims: 16, scaling: { type: 'proportional', rotatedPairs: 9 } } })),
    /spec\.layers\[0\]\.mixer\.rope\.scaling\.rotatedPairs must be <= rotaryDims \/ 2/,
  );
  // A layer sharing KV must name an earlier attention layer whose cache rows have its shape.
  const shared = (mixer: Record<string, unknown>) =>
    ({ ...m.spec, layers: [layer, { ...m.spec.layers[1]!, mixer: { ...m.spec.layers[1]!.mixer, ...mixer } }] }) as NativeModelPlan;
  assert.throws(() => addon.loadModel(shared({ kvSource: 1 })), /spec\.layers\[1\]\.mixer\.kvSource must name an earlier layer/);
  assert.throws(() => addon.loadModel(shared({ kvSource: 0, slidingWindow: 8 })), /spec\.layers\[1\]\.mixer\.kvSource must name a layer with the same numKvHeads, headDim and slidingWindow/);
  // With a valid source, the sharing layer's own k/v tensors are unused: the table must not list them.
  await assert.rejects(addon.loadModel(shared({ kvSource: 0 })), /'blk\.1\.attn_k' \(.*\) is not used by architecture/);
});
