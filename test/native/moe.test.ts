// The mixture-of-experts block on tiny random models against the float64 reference (mlx-lm's sparse MoE block), on
// every kernel set: softmax and sigmoid routing, with and without renormalised top-k weights, with a plain and a
// sigmoid-gated shared expert, gpt-oss's biased router and clamped SwiGLU experts, Gemma 4's scaled router with
// per-expert scales and GeGLU experts, float and 4-bit experts; a prompt longer than a prefill chunk (tokens grouped by expert
// in two forward passes), then greedy decoding (one token per pass).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAddon } from '../../src/engine/addon.js';
import type { NativeSamplingParams } from '../../src/engine/native-types.js';
import { writeTinyModel, type TinyConfig } from './tiny-model.js';
import { logSoftmax, referenceLogits } from './reference.js';

const addon = loadAddon();
const dir = mkdtempSync(join(tmpdir(), 'vmlx-moe-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const base: TinyConfig = {
  arch: 'qwen3', hidden: 64, inter: 96, layers: 2, heads: 4, kvHeads: 2, headDim: 16, vocab: 64, tied: true, floatDtype: 'F32', seed: 40,
};
function params(): NativeSamplingParams {
  return { maxTokens: 6, temperature: 0, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, presencePenalty: 0, frequencyPenalty: 0,
    penaltyWindow: 0, seed: 0, eosTokenIds: new Int32Array(0), topLogprobs: 0, logprobs: true };
}

// 300 tokens: a 256-token chunk and a 44-token one.
const prompt = Array.from({ length: 300 }, (_, i) => (i * 23 + 7) % 64);

const configs: Array<[string, Partial<TinyConfig>]> = [
  ['softmax top-2 of 8, renormalised (Qwen3 MoE), f32', { moe: { experts: 8, topK: 2, inter: 32, scoring: 'softmax', normTopK: true } }],
  ['sigmoid top-3 of 6, not renormalised, sigmoid-gated shared expert, 4-bit gs32', {
    quant: { bits: 4, groupSize: 32 }, seed: 41,
    moe: { experts: 6, topK: 3, inter: 32, scoring: 'sigmoid', normTopK: false, shared: { inter: 64, gated: true } },
  }],
  ['gpt-oss routing (router bias, softmax over the top-4 of 8 logits), expert biases, clamped SwiGLU, 4-bit gs32', {
    quant: { bits: 4, groupSize: 32 }, seed: 43,
    // A limit inside the gate/up range, so both clamps act.
    moe: { experts: 8, topK: 4, inter: 32, scoring: 'softmax', normTopK: false, oai: { alpha: 1.702, limit: 0.6 } },
  }],
  ['Gemma 4 routing (weightless RMSNorm times router.scale, per-expert scales), GeGLU experts, top-2 of 8, 4-bit gs32', {
    quant: { bits: 4, groupSize: 32 }, seed: 44, moe: { experts: 8, topK: 2, inter: 32, scoring: 'softmax', normTopK: true, gemma4: true },
  }],
  ['softmax top-1 of 4, ungated shared expert, bf16', {
    floatDtype: 'BF16', seed: 42, moe: { experts: 4, topK: 1, inter: 64, scoring: 'softmax', normTopK: false, shared: { inter: 32, gated: false } },
  }],
];

let n = 0;
for (const [name, cfg] of configs) {
  test(`moe ${name}: prefill and decode match the float64 reference on every kernel set`, async () => {
    const m = writeTinyModel({ ...base, ...cfg }, join(dir, `m${n++}.safetensors`));
    const ref = referenceLogits(m.ref, prompt).map(logSoftmax);
    for (const kernels of addon._test.kernelSets()) {
      const model = await addon.loadModel({ ...m.spec, kernels });
      try {
        const s = model.createSession(512);
        const k = 3;
        const { ids, logprobs } = await s.evaluate(Int32Array.from(prompt), k);
        const tol = kernels === 'scalar' ? 2e-3 : 5e-3;
        for (let p = 0; p < prompt.length; p++) {
          for (let j = 0; j < k; j++) {
            const id = ids[p * k + j]!;
            assert.ok(Math.abs(logprobs[p * k + j]! - ref[p]![id]!) < tol,
              `${kernels} pos ${p} rank ${j}: token ${id} logprob ${logprobs[p * k + j]} vs reference ${ref[p]![id]}`);
          }
          assert.equal(ids[p * k], ref[p]!.indexOf(Math.max(...ref[p]!)), `${kernels} pos ${p}: argmax`);
        }
        // Greedy decode (one token per forward pass): each token is the reference argmax after the ones before it.
        const start = prompt.slice(0, 12);
        const tokens: number[] = [];
        const lps: number[] = [];
        await s.generate(Int32Array.from(start), params(), (evs) => {
          for (const e of evs) {
            tokens.push(e.token);
            lps.push(e.logprob!);
          }
        }).done;
        assert.equal(tokens.length, 6);
        const refGen = referenceLogits(m.ref, [...start, ...tokens.slice(0, 5)]).map(logSoftmax);
        for (let i = 0; i < 6; i++) {
          const lp = refGen[11 + i]!;
          const best = lp.indexOf(Math.max(...lp));
          assert.equal(tokens[i], best, `${kernels} generated token ${i}`);
          assert.ok(Math.abs(lps[i]! - lp[best]!) < tol, `${kernels} generated token ${i}: logprob ${lps[i]} vs ${lp[best]}`);
        }
        s.dispose();
        assert.ok(model.lazyWeights().packed > 0);
      } finally {
        model.dispose();
      }
    }
  });
}
