// The Gated DeltaNet kernels (depthwise conv + SiLU, L2 normalisation, the gated RMSNorm and the delta-rule
// recurrence) of every kernel set, and of the width-1 vector layer ('generic'), against float64 references written
// here from the maths, on random shapes including lengths that are not a multiple of any vector width.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAddon } from '../../src/engine/addon.js';
import type { NativeDeltaRuleArgs } from '../../src/engine/native-types.js';
import { Rng } from './tiny-model.js';

const hooks = loadAddon()._test;
const sets = [...hooks.kernelSets(), 'generic'];

function randomF32(rng: Rng, n: number, scale = 1): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = scale * rng.normal();
  return x;
}

const silu = (x: number): number => x / (1 + Math.exp(-x));

function assertNear(got: Float32Array, want: ArrayLike<number>, rel: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < got.length; i++)
    assert.ok(Math.abs(got[i] - want[i]) <= rel * (1 + Math.abs(want[i])), `${what} [${i}]: ${got[i]} vs ${want[i]}`);
}

test('the gated RMSNorm x / rms(x) * w * silu(z) matches the float64 formula on every kernel set', () => {
  const rng = new Rng(31);
  for (const n of [1, 7, 16, 33, 128, 250]) {
    const x = randomF32(rng, n, 2), w = randomF32(rng, n), z = randomF32(rng, n, 4);
    if (n > 3) z.set([60, -60, 0]);
    let ss = 0;
    for (const v of x) ss += v * v;
    const inv = 1 / Math.sqrt(ss / n + 1e-6);
    const want = Array.from(x, (v, i) => v * inv * w[i] * silu(z[i]));
    for (const k of sets) assertNear(hooks.rmsnormGated(k, x, w, z, 1e-6), want, 1e-5, `${k} n=${n}`);
  }
});

test('L2 normalisation with a scale matches the float64 formula on every kernel set', () => {
  const rng = new Rng(32);
  for (const n of [1, 9, 16, 64, 128, 131]) {
    const x = randomF32(rng, n, 3);
    const eps = n * 1e-6, scale = 1 / Math.sqrt(n);
    let ss = 0;
    for (const v of x) ss += v * v;
    const want = Array.from(x, (v) => (v * scale) / Math.sqrt(ss + eps));
    for (const k of sets) assertNear(hooks.l2Normalize(k, x, eps, scale), want, 1e-6, `${k} n=${n}`);
  }
  // All zeros stay zeros (eps keeps the divisor positive).
  for (const k of sets) assert.deepEqual(Array.from(hooks.l2Normalize(k, new Float32Array(16), 16e-6, 1)), new Array(16).fill(0));
});

/** out[t][c] = silu(sum_j w[j][c] * in(t + j - (K-1))[c]), in(i) from hist for i < 0, for c in [c0, c1); else 0. */
function referenceConv(hist: Float32Array, x: Float32Array, w: Float32Array, T: number, C: number, K: number, c0: number, c1: number): Float64Array {
  const out = new Float64Array(T * C);
  for (let t = 0; t < T; t++)
    for (let c = c0; c < c1; c++) {
      let acc = 0;
      for (let j = 0; j < K; j++) {
        const i = t + j - (K - 1);
        acc += w[j * C + c] * (i < 0 ? hist[(K - 1 + i) * C + c] : x[i * C + c]);
      }
      out[t * C + c] = silu(acc);
    }
  return out;
}

test('the depthwise causal conv + SiLU over a channel range, with history rows, matches the reference on every kernel set', () => {
  const rng = new Rng(33);
  // [T, C, K, c0, c1]: fewer tokens than history rows, ranges that start and end off any vector boundary.
  const cases: Array<[number, number, number, number, number]> = [
    [1, 8, 4, 0, 8], [2, 33, 4, 0, 33], [5, 64, 4, 3, 61], [17, 40, 2, 0, 40], [3, 19, 1, 5, 6], [9, 100, 4, 17, 100],
  ];
  for (const [T, C, K, c0, c1] of cases) {
    const hist = randomF32(rng, (K - 1) * C), x = randomF32(rng, T * C), w = randomF32(rng, K * C, 0.5);
    const want = referenceConv(hist, x, w, T, C, K, c0, c1);
    for (const k of sets) assertNear(hooks.convSilu(k, { hist, x, w, T, C, K, c0, c1 }), want, 1e-5, `${k} T=${T} C=${C} K=${K} [${c0}, ${c1})`);
  }
  assert.throws(() => hooks.convSilu('scalar', { hist: new Float32Array(3), x: new Float32Array(4), w: new Float32Array(8), T: 1, C: 4, K: 2, c0: 0, c1: 4 }), /inconsistent sizes/);
});


/** Unit-norm keys, queries scaled by 1/sqrt(dk), decays in (0.5, 1) and betas in (0, 1), as the model feeds them. */
function randomDelta(rng: Rng, dk: number, dv: number, T: number): NativeDeltaRuleArgs {
  const unit = (n: number, scale: number): Float32Array => {
    const x = randomF32(rng, n);
    let ss = 0;
    for (const v of x) ss += v * v;
    return x.map((v) => (v * scale) / Math.sqrt(ss));
  };
  const q = new Float32Array(T * dk), k = new Float32Array(T * dk);
  for (let t = 0; t < T; t++) {
    q.set(unit(dk, 1 / Math.sqrt(dk)), t * dk);
    k.set(unit(dk, 1), t * dk);
  }
  const g = Float32Array.from({ length: T }, () => 0.5 + 0.5 * rng.uniform());
  const beta = Float32Array.from({ length: T }, () => rng.uniform());
  return { S: randomF32(rng, dv * dk, 0.3), q, k, v: randomF32(rng, T * dv), g, beta, dk, dv, T };
}

/** S <- g S; S <- S + beta (v - S k) k^T; o = S q per token, in float64. */
function referenceDelta(c: NativeDeltaRuleArgs): { S: Float64Array; o: Float64Array } {
  const S = Float64Array.from(c.S), o = new Float64Array(c.T * c.dv);
  for (let t = 0; t < c.T; t++)
    for (let i = 0; i < c.dv; i++) {
      let kv = 0;
      for (let j = 0; j < c.dk; j++) {
        S[i * c.dk + j] *= c.g[t];
        kv += S[i * c.dk + j] * c.k[t * c.dk + j];
      }
      const d = c.beta[t] * (c.v[t * c.dv + i] - kv);
      let acc = 0;
      for (let j = 0; j < c.dk; j++) {
        S[i * c.dk + j] += d * c.k[t * c.dk + j];
        acc += S[i * c.dk + j] * c.q[t * c.dk + j];
      }
      o[t * c.dv + i] = acc;
    }
  return { S, o };
}

test('the gated delta rule over several tokens matches the float64 recurrence on every kernel set', () => {
  const rng = new Rng(34);
  // [dk, dv, T]: the Qwen3.5 head (128 x 128), odd widths and value rows that are not a multiple of 4.
  const cases: Array<[number, number, number]> = [[128, 128, 6], [16, 16, 1], [8, 12, 9], [20, 7, 5], [33, 5, 3], [64, 130, 2]];
  for (const [dk, dv, T] of cases) {
    const c = randomDelta(rng, dk, dv, T);
    const want = referenceDelta(c);
    for (const k of sets) {
      const got = hooks.deltaRule(k, c);
      assertNear(got.o, want.o, 2e-5, `${k} dk=${dk} dv=${dv} T=${T} o`);
      assertNear(got.S, want.S, 2e-5, `${k} dk=${dk} dv=${dv} T=${T} S`);
    }
  }
});

test('the delta rule continues from its state: one call over T tokens equals two calls split anywhere', () => {
  const rng = new Rng(35);
  const dk = 32, dv = 24, T = 7;
  const c = randomDelta(rng, dk, dv, T);
  for (const k of sets) {
    const whole = hooks.deltaRule(k, c);
    for (const split of [1, 3, 6]) {
      const part = (a: Float32Array, n: number, from: number, to: number): Float32Array => a.slice(from * n, to * n);
      const first = hooks.deltaRule(k, { ...c, T: split, q: part(c.q, dk, 0, split), k: part(c.k, dk, 0, split), v: part(c.v, dv, 0, split), g: c.g.slice(0, split), beta: c.beta.slice(0, split) });
      const second = hooks.deltaRule(k, { ...c, S: first.S, T: T - split, q: part(c.q, dk, split, T), k: part(c.k, dk, split, T), v: part(c.v, dv, split, T), g: c.g.slice(split), beta: c.beta.slice(split) });
      assert.deepEqual(Array.from(second.S), Array.from(whole.S), `${k} split at ${split}: state`);
      assert.deepEqual([...first.o, ...second.o], Array.from(whole.o), `${k} split at ${split}: outputs`);
    }
  }
});
