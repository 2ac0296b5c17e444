// Next-token sampling (native/src/sampler.cpp): the whole-vocabulary probabilities come from a vectorized kernel
// (KernelSet::exp_scaled) and top-p grows its candidate list instead of sorting the vocabulary. Checked against
// float64: which tokens top-p, top-k and masks allow, and how often each is drawn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAddon } from '../../src/engine/addon.js';
import type { NativeSamplingParams } from '../../src/engine/native-types.js';
import { Rng } from './tiny-model.js';

const hooks = loadAddon()._test;
const elementwiseSets = [...hooks.kernelSets(), 'generic'];
const VOCAB = 151_936;

function params(p: Partial<NativeSamplingParams>): NativeSamplingParams {
  return { maxTokens: 1, temperature: 1, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, presencePenalty: 0, frequencyPenalty: 0,
    penaltyWindow: 0, seed: 1, eosTokenIds: new Int32Array(0), topLogprobs: 0, logprobs: false, ...p };
}

/** Probabilities in float64 at temperature t, in vocabulary order. */
function probabilities(logits: Float32Array, t: number): Float64Array {
  let mx = -Infinity;
  for (const x of logits) mx = Math.max(mx, x);
  const p = Float64Array.from(logits, (x) => Math.exp((x - mx) / t));
  const z = p.reduce((a, b) => a + b, 0);
  return p.map((x) => x / z);
}

/** The shortest list of most likely tokens (ties to the lower index) holding topP of the mass. */
function nucleus(p: Float64Array, topP: number): number[] {
  const order = Array.from(p.keys()).sort((a, b) => p[b]! - p[a]! || a - b);
  const out: number[] = [];
  let cum = 0;
  for (const i of order) {
    if (out.length && cum >= topP) break;
    out.push(i);
    cum += p[i]!;
  }
  return out;
}

/** A trained model's row, roughly: a wide bulk and a few dozen plausible tokens well above it. */
function peakedLogits(rng: Rng, n: number, peaks: number): Float32Array {
  const x = Float32Array.from({ length: n }, () => 2.5 * rng.normal());
  for (let i = 0; i < peaks; i++) x[(i * 7919 + 13) % n] = 12 + 2 * rng.normal();
  return x;
}

test('exp((x - shift) * scale) and its sum match float64 on every kernel set; -inf gives exactly 0', () => {
  const rng = new Rng(5);
  for (const n of [1, 15, 16, 17, 1000, 1024 + 3, VOCAB]) {
    const x = Float32Array.from({ length: n }, () => 4 * rng.normal());
    if (n > 4) x.set([-Infinity, 0, -200, 9]);
    const shift = 9, scale = 1 / 0.7;
    for (const k of elementwiseSets) {
      const { out, sum } = hooks.expScaled(k, x, shift, scale);
      let want = 0;
      for (let i = 0; i < n; i++) {
        if (x[i] === -Infinity) {
          assert.equal(out[i], 0, `${k} n=${n}: exp(-inf) must be 0`);
          continue;
        }
        const arg = (x[i]! - shift) * scale;
        const e = Math.exp(arg);
        want += e;
        // Below exp(-87) the kernel clamps (1.6e-38): far under any probability that matters.
        assert.ok(Math.abs(out[i]! - e) <= 2e-6 * (1 + Math.abs(arg)) * e + 2e-38, `${k} n=${n}: exp(${arg}) = ${out[i]}, expected ${e}`);
      }
      assert.ok(Math.abs(sum - want) <= 1e-5 * want, `${k} n=${n}: sum ${sum}, expected ${want}`);
    }
  }
});

test('top-p without top-k draws only from the nucleus, over a peaked and a flat vocabulary', () => {
  const rng = new Rng(11);
  for (const [name, logits, topP] of [
    ['peaked', peakedLogits(rng, VOCAB, 40), 0.9],
    // Flat: the nucleus holds most of the vocabulary (the candidate list grows past 64, 1,024 and 16,384).
    ['flat', Float32Array.from({ length: VOCAB }, () => 0.3 * rng.normal()), 0.95],
  ] as const) {
    const kept = nucleus(probabilities(logits, 0.7), topP);
    const rank = new Map(kept.map((t, i) => [t, i]));
    const draws = hooks.sampleTokens(hooks.kernelSets()[0]!, logits, params({ temperature: 0.7, topP, seed: 3 }), name === 'flat' ? 60 : 400);
    for (const t of draws) assert.ok(rank.has(t), `${name}: token ${t} is outside the ${kept.length}-token nucleus`);
    if (name === 'flat') {
      assert.ok(kept.length > 16_384, `flat nucleus ${kept.length}`);
      // Most of the nucleus lies past the candidate list's first rounds (64, 1,024, 16,384): draws come from there.
      assert.ok(draws.some((t) => rank.get(t)! >= 16_384), 'flat: no draw ranked past 16,384');
    }
  }
});

test('each token is drawn as often as its renormalized probability says, with and without top-k', () => {
  const rng = new Rng(17);
  const small = Float32Array.from({ length: 48 }, () => 1.2 * rng.normal());
  small[7] = -Infinity;  // a grammar mask: never drawn
  // A grammar's mask over a longer vocabulary: a few live tokens in different runs of 64 (the draw skips whole runs).
  const masked = new Float32Array(300).fill(-Infinity);
  for (const [i, x] of [[5, 0.5], [64, 1], [70, -0.3], [140, 0.2], [255, 1.4], [299, 0]] as const) masked[i] = x;
  const draws = 20_000;
  const cases: { logits: Float32Array; temperature: number; topK?: number; topP?: number; minP?: number }[] = [
    { logits: small, temperature: 1.3 }, { logits: small, temperature: 0.8, topP: 0.8 }, { logits: small, temperature: 0.8, topK: 10, topP: 0.9 },
    { logits: small, temperature: 1, minP: 0.2 }, { logits: masked, temperature: 1 }, { logits: masked, temperature: 1, minP: 0.4 },
    { logits: masked, temperature: 1, topP: 0.7 },
  ];
  for (const { logits, ...p } of cases) {
    let prob = probabilities(logits, p.temperature);
    let keep = Array.from(prob.keys());
    if (p.topK !== undefined) keep = nucleus(prob, 2).slice(0, p.topK);  // the k most likely
    const sub = new Float64Array(prob.length);
    for (const i of keep) sub[i] = prob[i]!;
    const z = sub.reduce((a, b) => a + b, 0);
    prob = sub.map((x) => x / z);
    if (p.topP !== undefined) {
      const kept = new Set(nucleus(prob, p.topP));
      prob = prob.map((x, i) => (kept.has(i) ? x : 0));
    }
    if (p.minP !== undefined) {
      const floor = Math.max(...prob) * p.minP;
      prob = prob.map((x) => (x >= floor ? x : 0));
    }
    const total = prob.reduce((a, b) => a + b, 0);
    for (const k of elementwiseSets) {
      const got = hooks.sampleTokens(k, logits, params({ ...p, seed: 21 }), draws);
      const counts = new Float64Array(logits.length);
      for (const t of got) counts[t]!++;
      for (let i = 0; i < logits.length; i++) {
        const expected = (draws * prob[i]!) / total;
        if (expected === 0) assert.equal(counts[i], 0, `${k} ${JSON.stringify(p)}: token ${i} must not be drawn`);
        else assert.ok(Math.abs(counts[i]! - expected) <= 5 * Math.sqrt(expected) + 2, `${k} ${JSON.stringify(p)}: token ${i} drawn ${counts[i]} times, expected ${expected.toFixed(1)}`);
      }
    }
  }
});

test("a token's log-probability and the top_logprobs are the model's own log-softmax, before temperature", () => {
  const rng = new Rng(29);
  const logits = peakedLogits(rng, VOCAB, 40);
  logits[12] = -Infinity;
  let mx = -Infinity;
  for (const x of logits) mx = Math.max(mx, x);
  let z = 0;
  for (const x of logits) z += Math.exp(x - mx);
  const logSoftmax = (i: number) => logits[i]! - mx - Math.log(z);
  for (const k of elementwiseSets) {
    const r = hooks.sampleOnce(k, logits, params({ temperature: 0.7, topP: 0.9, logprobs: true, topLogprobs: 5, seed: 4 }));
    assert.ok(r.logprob !== null && Math.abs(r.logprob - logSoftmax(r.token)) < 1e-5, `${k}: logprob ${r.logprob} vs ${logSoftmax(r.token)}`);
    assert.deepEqual(Array.from(r.topIds), nucleus(probabilities(logits, 1), 2).slice(0, 5), k);
    r.topIds.forEach((id, i) => assert.ok(Math.abs(r.topLogprobs[i]! - logSoftmax(id)) < 1e-5, `${k}: top ${id}`));
  }
});

test('a seed gives the same draws again, another seed others', () => {
  const logits = peakedLogits(new Rng(2), VOCAB, 40);
  const set = hooks.kernelSets()[0]!;
  const a = hooks.sampleTokens(set, logits, params({ temperature: 1, topP: 0.95, seed: 9 }), 64);
  assert.deepEqual(hooks.sampleTokens(set, logits, params({ temperature: 1, topP: 0.95, seed: 9 }), 64), a);
  assert.notDeepEqual(hooks.sampleTokens(set, logits, params({ temperature: 1, topP: 0.95, seed: 10 }), 64), a);
});
