// The generator's numeric pieces: MLX affine quantization (scale/edge choice, rint, packing), bf16/f16 rounding,
// llama.cpp's Q4_0/Q8_0 blocks, the llama q/k row permutation and the llama3 rope divisors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mlxAffineDequantize, mlxAffineQuantize } from '../../src/engine/testmodel/quantize.js';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits, hashSeed, rint, Rng } from '../../src/engine/testmodel/numeric.js';
import { quantizeQ4_0, quantizeQ8_0 } from '../../src/engine/testmodel/gguf-quants.js';
import { llama3RopeDivisors, permuteRopeRows } from '../../src/engine/testmodel/gguf-model.js';
import { modelDims } from '../../src/engine/testmodel/spec.js';
import { ropeInvFreq } from './reference.js';

test('rint rounds half to even like C', () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6].map(rint), [0, 2, 2, -0, -2, -2, 2, -3]);
});

test('affine quantization: known answer for a ramp (edge = max, negative scale, code 0 = edge)', () => {
  const w = Float32Array.from({ length: 64 }, (_, i) => i / 63);
  const q = mlxAffineQuantize(w, 1, 64, 4, 64, 'f32');
  // |min| = 0 < |max| = 1: the edge is the max and the scale is negative; q0 = rint(1 / (-1/15)) = -15.
  assert.equal(q.scales[0], Math.fround(1 / -15));
  assert.equal(q.biases[0], 1);
  const codes = Array.from({ length: 64 }, (_, i) => (q.codes[i >> 3] >>> ((i & 7) * 4)) & 15);
  assert.equal(codes[63], 0); // w = 1 is the edge: exactly code 0
  assert.equal(codes[0], 15); // w = 0
  // LSB-first: element 0 sits in the low nibble of word 0, element 7 in the high nibble.
  assert.equal(q.codes[0] & 15, codes[0]);
  assert.equal(q.codes[0] >>> 28, codes[7]);
  const dq = mlxAffineDequantize(q, 1, 64, 4, 64);
  assert.equal(dq[63], 1);
  for (let i = 0; i < 64; i++) assert.ok(Math.abs(dq[i] - w[i]) <= Math.abs(q.scales[0]) / 2 + 1e-7, `element ${i}`);
});

test('affine quantization: edge = min when |min| > |max| (positive scale), zero stays exact', () => {
  const w = Float32Array.from({ length: 32 }, (_, i) => (i === 0 ? -2 : i === 1 ? 0 : 0.5 * Math.sin(i)));
  const q = mlxAffineQuantize(w, 1, 32, 8, 32, 'f32');
  assert.ok(q.scales[0] > 0);
  assert.equal(q.biases[0], -2);
  const dq = mlxAffineDequantize(q, 1, 32, 8, 32);
  assert.equal(dq[0], -2);
  assert.equal(dq[1], 0); // 0 is representable: bias is the edge and the scale divides it exactly
  // 8-bit packing: 4 codes per word, element 0 in the low byte.
  assert.equal(q.codes[0] & 0xff, 0);
});

test('affine quantization on random data: about half the scales negative, bf16 scales, error about half a step', () => {
  const rows = 16, cols = 256;
  const w = new Float32Array(rows * cols);
  new Rng(7).fillNormal(w, 0, 0.05);
  for (const bits of [4, 8]) {
    const q = mlxAffineQuantize(w, rows, cols, bits, 64, 'bf16');
    const negative = q.scales.filter((s) => s < 0).length;
    assert.ok(negative > q.scales.length * 0.25 && negative < q.scales.length * 0.75, `${negative} of ${q.scales.length} negative`);
    for (const s of q.scales) assert.equal(bf16BitsToF32(f32ToBf16Bits(s)), s, 'scales are bf16 values');
    const dq = mlxAffineDequantize(q, rows, cols, bits, 64);
    let sumSteps = 0;
    for (let i = 0; i < w.length; i++) {
      const g = Math.floor(i / 64);
      const step = Math.abs(q.scales[g]);
      // Snapping the scale so the edge is exactly a code (q0) can stretch the far end past the last code, where MLX
      // clips: up to about one step there, half a step elsewhere. Codes are picked with the float32 scale and bias
      // but stored bf16 ones are used: up to 2^bits · 2^-9 steps more, plus the bias rounding.
      const bound = step * (1.5 + 2 ** bits / 512) + Math.abs(q.biases[g]) / 256;
      assert.ok(Math.abs(dq[i] - w[i]) <= bound, `bits ${bits} element ${i}: ${dq[i]} vs ${w[i]}`);
      sumSteps += Math.abs(dq[i] - w[i]) / step;
    }
    assert.ok(sumSteps / w.length < 0.3 + 2 ** bits / 1024, `bits ${bits}: mean error ${sumSteps / w.length} steps`);
  }
});

test('bf16 and f16 conversions round to nearest even', () => {
  assert.equal(f32ToBf16Bits(1), 0x3f80);
  assert.equal(bf16BitsToF32(f32ToBf16Bits(1 + 2 ** -8)), 1); // tie → even
  assert.equal(bf16BitsToF32(f32ToBf16Bits(1 + 3 * 2 ** -8)), 1 + 2 ** -6);
  assert.equal(f32ToF16Bits(1), 0x3c00);
  assert.equal(f32ToF16Bits(65504), 0x7bff);
  assert.equal(f32ToF16Bits(1e6), 0x7c00);
  assert.equal(f16BitsToF32(f32ToF16Bits(2 ** -20)), 2 ** -20); // subnormal
  assert.equal(f16BitsToF32(f32ToF16Bits(1 + 2 ** -11)), 1); // tie → even
});

test('seeded generator: deterministic per (seed, name), different across names', () => {
  const a = new Float32Array(1000), b = new Float32Array(1000), c = new Float32Array(1000);
  new Rng(hashSeed(3, 'x')).fillNormal(a, 0, 1);
  new Rng(hashSeed(3, 'x')).fillNormal(b, 0, 1);
  new Rng(hashSeed(3, 'y')).fillNormal(c, 0, 1);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  const sd = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
  assert.ok(Math.abs(mean) < 0.1 && Math.abs(sd - 1) < 0.1, `mean ${mean} sd ${sd}`);
});

test('Q4_0 / Q8_0 blocks decode back within one step', () => {
  const x = new Float32Array(64);
  new Rng(11).fillNormal(x, 0, 1);
  const q4 = new Uint8Array(36), q8 = new Uint8Array(68);
  quantizeQ4_0(x, q4);
  quantizeQ8_0(x, q8);
  for (let b = 0; b < 2; b++) {
    const d4 = f16BitsToF32(q4[18 * b] | (q4[18 * b + 1] << 8));
    const d8 = f16BitsToF32(q8[34 * b] | (q8[34 * b + 1] << 8));
    for (let j = 0; j < 32; j++) {
      const byte = q4[18 * b + 2 + (j % 16)];
      const v4 = d4 * ((j < 16 ? byte & 15 : byte >> 4) - 8);
      const v8 = d8 * ((q8[34 * b + 2 + j] << 24) >> 24);
      const xv = x[32 * b + j];
      assert.ok(Math.abs(v4 - xv) <= Math.abs(d4) * 0.51 + 1e-3, `q4 ${b}/${j}`);
      assert.ok(Math.abs(v8 - xv) <= Math.abs(d8) * 0.51 + 1e-3, `q8 ${b}/${j}`);
    }
  }
});

test('llama q/k permutation interleaves the rotate-half pairs per head', () => {
  const hd = 4, heads = 2, cols = 1;
  const src = Float32Array.from({ length: hd * heads }, (_, i) => i);
  // Head 0 rows [0,1 | 2,3] → [0,2,1,3]; head 1 likewise.
  assert.deepEqual(Array.from(permuteRopeRows(src, hd * heads, cols, hd)), [0, 2, 1, 3, 4, 6, 5, 7]);
});

test('llama3 rope divisors agree with the reference frequencies (HF rule) for both real and tiny configs', () => {
  for (const shape of ['llama-3.2-1b', 'tiny'] as const) {
    const dims = modelDims('llama', shape);
    const s = dims.ropeScaling!;
    const cfg = { rope_theta: dims.ropeTheta, rope_scaling: { rope_type: 'llama3', factor: s.factor, low_freq_factor: s.lowFreqFactor,
      high_freq_factor: s.highFreqFactor, original_max_position_embeddings: s.originalMaxPositionEmbeddings } };
    const scaled = ropeInvFreq(cfg, dims.headDim);
    const plain = ropeInvFreq({ rope_theta: dims.ropeTheta }, dims.headDim);
    const div = llama3RopeDivisors(dims);
    let unchanged = 0, full = 0;
    for (let i = 0; i < div.length; i++) {
      assert.ok(Math.abs(plain[i] / div[i] - scaled[i]) <= 1e-6 * plain[i], `${shape} frequency ${i}`);
      if (div[i] === 1) unchanged++;
      if (div[i] === s.factor) full++;
    }
    assert.ok(unchanged > 0 && full > 0, `${shape}: both regimes present`);
  }
});

test('3-, 5- and 6-bit codes are one LSB-first bit stream across byte and word boundaries, as MLX packs them', () => {
  for (const bits of [3, 5, 6]) {
    const cols = 64;
    // A ramp: every code 0..2^bits-1 appears; code k of the row is read back from bits [k*bits, (k+1)*bits).
    const levels = (1 << bits) - 1;
    const w = new Float32Array(cols).map((_, i) => (i % (levels + 1)) / levels);
    const q = mlxAffineQuantize(w, 1, cols, bits, 32, 'f32');
    assert.equal(q.codes.length, (cols * bits) / 32);
    const bytes = new Uint8Array(q.codes.buffer);
    const back = mlxAffineDequantize(q, 1, cols, bits, 32);
    for (let k = 0; k < cols; k++) {
      let code = 0;
      for (let b = 0; b < bits; b++) code |= ((bytes[(k * bits + b) >> 3]! >> ((k * bits + b) & 7)) & 1) << b;
      const g = Math.floor(k / 32);
      assert.equal(back[k], Math.fround(Math.fround(q.scales[g]! * code) + q.biases[g]!), `${bits}-bit element ${k}`);
      assert.ok(Math.abs(back[k]! - w[k]!) <= Math.abs(q.scales[g]!) / 2 + 1e-6, `${bits}-bit element ${k} within half a step`);
    }
  }
});
