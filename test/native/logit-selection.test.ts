// Selecting the largest logits (native/src/top_k.h: greedy, top-k, top_logprobs) and the int8 path's output
// projection, whose most likely tokens are rescored with float activations (native/src/head_rescore.h), checked
// against float64 dot products of the dequantized weight rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAddon } from '../../src/engine/addon.js';
import type { NativeTestWeight } from '../../src/engine/native-types.js';
import { Rng } from './tiny-model.js';

const hooks = loadAddon()._test;
/** kRescoredLogits in head_rescore.h. */
const RESCORED = 64;

function normals(rng: Rng, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => scale * rng.normal());
}

/** The indices of the k largest, ties to the lower index. */
function topK(v: ArrayLike<number>, k: number): number[] {
  return Array.from(v, (x, i) => [x, i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map(([, i]) => i);
}

test('topKUnordered returns the k largest, ties kept in index order', () => {
  const rng = new Rng(7);
  for (const [n, k] of [[1, 1], [10, 10], [300, 64], [5000, 64], [5000, 1]] as const) {
    // Values on a coarse grid, so many are equal.
    const v = Float32Array.from({ length: n }, () => Math.round(rng.normal() * 8) / 8);
    const got = Array.from(hooks.topKUnordered(v, k)).sort((a, b) => a - b);
    assert.deepEqual(got, topK(v, k).sort((a, b) => a - b), `n ${n} k ${k}`);
  }
  // NaN (a broken logit) never enters once the first k are in, wherever it falls in a run of 64.
  const withNan = Float32Array.from({ length: 1000 }, () => rng.normal());
  for (const i of [64, 100, 127, 500, 999]) withNan[i] = NaN;
  const finite = Float32Array.from(withNan, (x) => (Number.isNaN(x) ? -Infinity : x));
  assert.deepEqual(Array.from(hooks.topKUnordered(withNan, 64)).sort((a, b) => a - b), topK(finite, 64).sort((a, b) => a - b));
  // Ascending input: every element replaces the heap's floor.
  const up = Float32Array.from({ length: 1000 }, (_, i) => i);
  assert.deepEqual(Array.from(hooks.topKUnordered(up, 5)).sort((a, b) => a - b), [995, 996, 997, 998, 999]);
  assert.throws(() => hooks.topKUnordered(up, 1001), /k must be/);
});

test('topIndices for a large share of a long row (sorted keys instead of the heap) orders exactly as for a small one', () => {
  const rng = new Rng(23);
  const n = 20_000;
  // Coarse values (many ties), zeros of both signs, -inf (masked) and NaN (ranked as -inf).
  const v = Float32Array.from({ length: n }, () => Math.round(rng.normal() * 6) / 6);
  for (let i = 0; i < n; i += 97) v[i] = 0;
  for (let i = 3; i < n; i += 89) v[i] = -0;
  for (let i = 5; i < n; i += 101) v[i] = -Infinity;
  for (let i = 7; i < n; i += 131) v[i] = NaN;
  const asInf = Float32Array.from(v, (x) => (Number.isNaN(x) ? -Infinity : x));
  for (const k of [n >> 4, 5000, n - 1, n]) assert.deepEqual(Array.from(hooks.topIndices(v, k)), topK(asInf, k), `k ${k}`);
});

test('argmaxFirst and topIndices: the first of equal maxima, largest first, NaN ignored', () => {
  const rng = new Rng(5);
  for (const n of [1, 63, 64, 65, 1000, 151936]) {
    const v = Float32Array.from({ length: n }, () => Math.round(rng.normal() * 4) / 4);
    let best = 0;
    for (let i = 1; i < n; i++) if (v[i]! > v[best]!) best = i;
    assert.equal(hooks.argmaxFirst(v), best, `n ${n}`);
    const k = Math.min(n, 20);
    assert.deepEqual(Array.from(hooks.topIndices(v, k)), topK(v, k), `n ${n}`);
  }
  // The maximum repeated in a later run of 64 and a NaN before it: the first one wins.
  const v = new Float32Array(300).fill(-1);
  v[0] = NaN;
  v[70] = 5;
  v[200] = 5;
  assert.equal(hooks.argmaxFirst(v), 70);
  assert.deepEqual(Array.from(hooks.topIndices(v, 3)), [70, 200, 1]);
  assert.equal(hooks.argmaxFirst(new Float32Array(100).fill(NaN)), 0);
});

test('rescoreTopLogits replaces each row\'s top logits with float dot products and leaves the rest', () => {
  const rng = new Rng(11);
  const vocab = 300, cols = 128, gs = 64, rows = 3;
  const weight = Uint8Array.from({ length: (vocab * cols) / 2 }, () => rng.u32() & 0xff);
  const w: NativeTestWeight = { kind: 'q4', rows: vocab, cols, bits: 4, groupSize: gs, weight, scales: normals(rng, (vocab * cols) / gs, 0.05), biases: normals(rng, (vocab * cols) / gs, 0.3) };
  const dense = Array.from({ length: vocab }, (_, r) => hooks.weightRow(w, r));
  const hidden = normals(rng, rows * cols);
  const exact = (r: number, tok: number) => {
    let s = 0;
    for (let c = 0; c < cols; c++) s += dense[tok]![c]! * hidden[r * cols + c]!;
    return s;
  };
  // Logits as a rounded path gives them: the exact value plus an error of a few hundredths.
  const logits = new Float32Array(rows * vocab);
  for (let r = 0; r < rows; r++) for (let t = 0; t < vocab; t++) logits[r * vocab + t] = exact(r, t) + 0.03 * rng.normal();
  for (const threads of [1, 2]) {
    const out = hooks.rescoreTopLogits(w, hidden, logits, threads);
    for (let r = 0; r < rows; r++) {
      const picked = new Set(topK(logits.subarray(r * vocab, (r + 1) * vocab), RESCORED));
      for (let t = 0; t < vocab; t++) {
        const i = r * vocab + t;
        if (picked.has(t)) assert.ok(Math.abs(out[i]! - exact(r, t)) <= 1e-5 * (1 + Math.abs(exact(r, t))), `row ${r} token ${t}: ${out[i]} vs ${exact(r, t)}`);
        else assert.equal(out[i], logits[i], `row ${r} token ${t} changed`);
      }
    }
  }
  assert.throws(() => hooks.rescoreTopLogits(w, hidden, logits.subarray(1), 1), /logits/);
});
