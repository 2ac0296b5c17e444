// Every kernel of every instruction set this CPU has, against the scalar reference and against an independent
// TypeScript dequantization of MLX-packed weights, on random shapes including odd row counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadAddon } from '../../src/engine/addon.js';
import type { NativeTestWeight } from '../../src/engine/native-types.js';
import { Rng, } from './tiny-model.js';
import { f16Round, f16ToNumber, toBf16 } from './numeric.js';

const hooks = loadAddon()._test;
const sets = hooks.kernelSets();
// The element-wise kernels are also checked at width 1 ('generic'): the written-once code on any CPU.
const elementwiseSets = [...sets, 'generic'];

function randomF32(rng: Rng, n: number, scale = 1): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = scale * rng.normal();
  return x;
}

/** A random MLX-quantized weight and its dequantized values, computed here from the MLX bit layout. */
function randomQuant(rng: Rng, bits: 4 | 8, rows: number, cols: number, groupSize: number, bf16 = false): { w: NativeTestWeight; dense: Float32Array } {
  const weight = new Uint8Array((rows * cols * bits) / 8);
  for (let i = 0; i < weight.length; i++) weight[i] = rng.u32() & 0xff;
  const groups = cols / groupSize;
  const scales = randomF32(rng, rows * groups, 0.05);
  const biases = randomF32(rng, rows * groups, 0.3);
  // bfloat16 scales/biases (what MLX files hold) are stored as such by the repack; float32 ones stay float32.
  const sbits = new Uint16Array(scales.length), bbits = new Uint16Array(biases.length);
  if (bf16)
    for (let i = 0; i < scales.length; i++) {
      const s = toBf16(scales[i]), b = toBf16(biases[i]);
      sbits[i] = s.bits;
      scales[i] = s.value;
      bbits[i] = b.bits;
      biases[i] = b.value;
    }
  const dense = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const e = r * cols + c;
      const q = bits === 8 ? weight[e] : (weight[e >> 1] >> ((e & 1) * 4)) & 15; // LSB-first: even element = low nibble
      const g = r * groups + Math.floor(c / groupSize);
      dense[e] = Math.fround(Math.fround(scales[g] * q) + biases[g]); // float32 multiply then add, as the engine does
    }
  return { w: { kind: bits === 4 ? 'q4' : 'q8', rows, cols, groupSize, weight, scales: bf16 ? sbits : scales, biases: bf16 ? bbits : biases }, dense };
}

function randomFloat(rng: Rng, kind: 'f32' | 'f16' | 'bf16', rows: number, cols: number): { w: NativeTestWeight; dense: Float32Array } {
  const dense = randomF32(rng, rows * cols, 0.2);
  if (kind === 'f32') return { w: { kind, rows, cols, weight: new Uint8Array(dense.slice().buffer) }, dense };
  const h = new Uint16Array(rows * cols);
  for (let i = 0; i < h.length; i++) {
    const r = kind === 'f16' ? f16Round(dense[i]) : toBf16(dense[i]);
    h[i] = r.bits;
    dense[i] = r.value;
  }
  return { w: { kind, rows, cols, weight: new Uint8Array(h.buffer) }, dense };
}

/** Dense reference y[t*rows + r] in float64, and the per-output magnitude sum |w||x| that bounds rounding error. */
function denseMatmul(dense: Float32Array, rows: number, cols: number, x: Float32Array, T: number): { y: Float64Array; mag: Float64Array } {
  const y = new Float64Array(T * rows);
  const mag = new Float64Array(T * rows);
  for (let t = 0; t < T; t++)
    for (let r = 0; r < rows; r++) {
      let s = 0, m = 0;
      for (let c = 0; c < cols; c++) {
        s += dense[r * cols + c] * x[t * cols + c];
        m += Math.abs(dense[r * cols + c] * x[t * cols + c]);
      }
      y[t * rows + r] = s;
      mag[t * rows + r] = m;
    }
  return { y, mag };
}

function assertClose(got: Float32Array, want: Float64Array, mag: Float64Array, rel: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    const tol = rel * mag[i] + 1e-6;
    if (!(Math.abs(got[i] - want[i]) <= tol)) assert.fail(`${what}: element ${i} is ${got[i]}, expected ${want[i]} (tolerance ${tol})`);
  }
}

test('the kernel sets this CPU supports are listed, scalar always', () => {
  assert.ok(sets.includes('scalar'));
  const info = loadAddon().cpuInfo();
  if (info.avx512f && info.avx512bw && info.avx512vnni) assert.ok(sets.includes('avx512_vnni'));
  if (info.avx2 && info.fma) assert.ok(sets.includes('avx2'));
});

test('VMLX_KERNELS overrides the kernel set chosen at run time', () => {
  const addonJs = fileURLToPath(new URL('../../src/engine/addon.js', import.meta.url));
  const script = `import(${JSON.stringify(addonJs)}).then((m) => process.stdout.write(m.loadAddon().cpuInfo().kernels))`;
  for (const name of sets) {
    const out = execFileSync(process.execPath, ['-e', script], { env: { ...process.env, VMLX_KERNELS: name === 'avx512_vnni' ? 'avx512' : name } });
    assert.equal(out.toString(), name);
  }
});

test('quantized matmul (4/8-bit, group 32/64/128, odd row counts, 1..40 tokens) matches the dense reference on every kernel set', () => {
  const rng = new Rng(11);
  for (const bits of [4, 8] as const)
    for (const gs of [32, 64, 128])
      for (const rows of [1, 3, 17, 33, 101]) // 101 rows = 7 tiles, the last one partial
        // 40 tokens: past every set's few-batch limit (4 batches of 3, 6 or 8), so token batches run outermost.
        for (const [cols, T] of [[gs, 1], [gs * 3, 2], [384, 7], [256, 9], [128, 40]] as const) {
          const { w, dense } = randomQuant(rng, bits, rows, cols, gs, (rows + T) % 2 === 1); // both scale storages
          const x = randomF32(rng, T * cols);
          const { y, mag } = denseMatmul(dense, rows, cols, x, T);
          for (const k of sets) {
            // The scalar set is exact float math; the SIMD sets quantize activations to int16 per 128 values.
            const rel = k === 'scalar' ? 2e-6 : 1e-4;
            assertClose(hooks.matmul(k, w, x, T), y, mag, rel, `${k} q${bits} gs${gs} ${rows}x${cols} T=${T}`);
          }
        }
});

test('the precise quantized matmul (float activations) matches the dense reference to float32 rounding on every kernel set', () => {
  const rng = new Rng(13);
  for (const bits of [4, 8] as const)
    for (const gs of [32, 64, 128])
      for (const rows of [1, 17, 33])
        for (const [cols, T] of [[gs, 1], [gs * 3, 2], [384, 3], [256, 5]] as const) {
          const { w, dense } = randomQuant(rng, bits, rows, cols, gs, (rows + T) % 2 === 0);
          // Large activations too: the int16 path's per-block rounding would exceed the tolerance on them.
          const x = randomF32(rng, T * cols, rows === 17 ? 100 : 1);
          const { y, mag } = denseMatmul(dense, rows, cols, x, T);
          for (const k of sets) assertClose(hooks.matmul(k, w, x, T, 'float'), y, mag, 2e-6, `${k} precise q${bits} gs${gs} ${rows}x${cols} T=${T}`);
        }
});

test('the int8-activation quantized matmul of every kernel set matches the scalar integer reference, and the dense result to int8 rounding', () => {
  const rng = new Rng(14);
  for (const bits of [4, 8] as const)
    for (const gs of [32, 64, 128])
      for (const rows of [1, 17, 33, 101])
        // 512 and 640 columns: the AVX-512 quantizer's runs of 16 blocks (one, and one with 4 blocks after it).
        for (const [cols, T] of [[gs, 1], [gs * 3, 2], [384, 4], [256, 7], [512, 8], [640, 3], [256, 13], [128, 40]] as const) {
          const { w, dense } = randomQuant(rng, bits, rows, cols, gs, (rows + T) % 2 === 1);
          // Outliers in some rows: the per-block scale must follow them without saturating the int8 codes.
          const x = randomF32(rng, T * cols);
          if (rows === 33) for (let i = 0; i < x.length; i += 37) x[i] *= 80;
          // An all-zero block inside a run (scale 0).
          if (cols === 640) for (let t = 0; t < T; t++) x.fill(0, t * cols + 64, t * cols + 96);
          const { y, mag } = denseMatmul(dense, rows, cols, x, T);
          const reference = hooks.matmul('scalar', w, x, T, 'int8');
          // int8 codes: each activation is off by at most half a step, max|x| / 254 of its 32-element block.
          for (let t = 0; t < T; t++)
            for (let r = 0; r < rows; r++) {
              let bound = 1e-5 * mag[t * rows + r];
              for (let b = 0; b < cols / 32; b++) {
                let mx = 0;
                for (let k = b * 32; k < b * 32 + 32; k++) mx = Math.max(mx, Math.abs(x[t * cols + k]));
                for (let k = b * 32; k < b * 32 + 32; k++) bound += (Math.abs(dense[r * cols + k]) * mx) / 254;
              }
              const got = reference[t * rows + r], want = y[t * rows + r];
              assert.ok(Math.abs(got - want) <= bound, `scalar int8 q${bits} gs${gs} ${rows}x${cols} T=${T} [${t},${r}]: ${got} vs dense ${want} (bound ${bound})`);
            }
          const want = Float64Array.from(reference);
          for (const k of sets.filter((s) => s !== 'scalar'))
            assertClose(hooks.matmul(k, w, x, T, 'int8'), want, mag, 1e-6, `${k} int8 q${bits} gs${gs} ${rows}x${cols} T=${T}`);
        }
});

test('a row of a batch gets the same int8 result as alone (per-row activation scales)', () => {
  const rng = new Rng(15);
  const { w } = randomQuant(rng, 4, 33, 256, 64);
  const x = randomF32(rng, 3 * 256);
  for (let i = 256; i < 512; i++) x[i] *= 50; // a loud middle row must not change its neighbours' scales
  for (const k of sets) {
    const batch = hooks.matmul(k, w, x, 3, 'int8');
    for (let t = 0; t < 3; t++) {
      const alone = hooks.matmul(k, w, x.subarray(t * 256, (t + 1) * 256), 1, 'int8');
      assert.deepEqual(Array.from(batch.subarray(t * 33, (t + 1) * 33)), Array.from(alone), `${k} row ${t}`);
    }
  }
});

test('float matmul (F32/F16/BF16, odd shapes) matches the dense reference on every kernel set', () => {
  const rng = new Rng(12);
  for (const kind of ['f32', 'f16', 'bf16'] as const)
    for (const [rows, cols, T] of [[1, 1, 1], [3, 17, 2], [17, 100, 5], [33, 64, 4], [16, 257, 3]] as const) {
      const { w, dense } = randomFloat(rng, kind, rows, cols);
      const x = randomF32(rng, T * cols);
      const { y, mag } = denseMatmul(dense, rows, cols, x, T);
      for (const k of sets) assertClose(hooks.matmul(k, w, x, T), y, mag, 2e-6, `${k} ${kind} ${rows}x${cols} T=${T}`);
    }
});

test('weightRow dequantizes MLX rows exactly (the embedding lookup)', () => {
  const rng = new Rng(13);
  for (const bits of [4, 8] as const)
    for (const gs of [32, 64, 128]) {
      const rows = 19, cols = 256;
      const { w, dense } = randomQuant(rng, bits, rows, cols, gs, gs === 64);
      for (const r of [0, 5, 15, 16, 18]) {
        const got = hooks.weightRow(w, r);
        for (let c = 0; c < cols; c++) assert.equal(got[c], dense[r * cols + c], `q${bits} gs${gs} row ${r} col ${c}`);
      }
    }
  const { w, dense } = randomFloat(rng, 'bf16', 5, 33);
  assert.deepEqual(Array.from(hooks.weightRow(w, 4)), Array.from(dense.subarray(4 * 33, 5 * 33)));
});

/**
 * A random weight of any row of the quant traits table (affine 2/3/5/6-bit, mxfp4), dequantized here straight from
 * MLX's continuous LSB-first bit stream: element k of a row is bits [k*bits, (k+1)*bits).
 */
function randomTraitQuant(rng: Rng, mode: 'affine' | 'mxfp4', bits: number, rows: number, cols: number, groupSize: number): { w: NativeTestWeight; dense: Float32Array } {
  const weight = new Uint8Array((rows * cols * bits) / 8);
  for (let i = 0; i < weight.length; i++) weight[i] = rng.u32() & 0xff;
  const groups = cols / groupSize;
  const code = (e: number) => {
    let v = 0;
    for (let b = 0; b < bits; b++) {
      const bit = e * bits + b;
      v |= ((weight[bit >> 3] >> (bit & 7)) & 1) << b;
    }
    return v;
  };
  const dense = new Float32Array(rows * cols);
  if (mode === 'mxfp4') {
    const exps = new Uint8Array(rows * groups);
    for (let i = 0; i < exps.length; i++) exps[i] = 120 + (rng.u32() % 10);
    const fp4 = [0, 0.5, 1, 1.5, 2, 3, 4, 6];
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) {
        const q = code(r * cols + c);
        // + 0: the engine computes the negative zero code as s * 12 - 6s = +0
        dense[r * cols + c] = (q & 8 ? -1 : 1) * fp4[q & 7]! * 2 ** (exps[r * groups + Math.floor(c / groupSize)]! - 127) + 0;
      }
    return { w: { kind: 'mxfp4', bits, rows, cols, groupSize, weight, scales: exps }, dense };
  }
  const scales = randomF32(rng, rows * groups, 0.05);
  const biases = randomF32(rng, rows * groups, 0.3);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const g = r * groups + Math.floor(c / groupSize);
      dense[r * cols + c] = Math.fround(Math.fround(scales[g]! * code(r * cols + c)) + biases[g]!);
    }
  return { w: { kind: 'affine', bits, rows, cols, groupSize, weight, scales, biases }, dense };
}

test('every quant traits row (affine 2/3/5/6-bit, mxfp4) dequantizes exactly and multiplies like the dense reference', () => {
  const rng = new Rng(15);
  const cases: Array<['affine' | 'mxfp4', number, number]> = [
    ['affine', 2, 64], ['affine', 3, 32], ['affine', 3, 128], ['affine', 5, 64], ['affine', 6, 32], ['affine', 6, 128], ['mxfp4', 4, 32],
  ];
  for (const [mode, bits, gs] of cases) {
    const rows = 35, cols = 256, T = 3;
    const { w, dense } = randomTraitQuant(rng, mode, bits, rows, cols, gs);
    for (const r of [0, 16, 34]) {
      const got = hooks.weightRow(w, r);
      for (let c = 0; c < cols; c++) assert.equal(got[c], dense[r * cols + c], `${mode} ${bits}-bit gs${gs} row ${r} col ${c}`);
    }
    const x = randomF32(rng, T * cols);
    const { y, mag } = denseMatmul(dense, rows, cols, x, T);
    for (const k of sets) {
      assertClose(hooks.matmul(k, w, x, T), y, mag, k === 'scalar' ? 2e-6 : 1e-4, `${k} ${mode} ${bits}-bit gs${gs}`);
      assertClose(hooks.matmul(k, w, x, T, 'float'), y, mag, 2e-6, `${k} precise ${mode} ${bits}-bit gs${gs}`);
    }
    // int8 activations: the scalar integer reference within int8 rounding of the dense result, every SIMD set equal
    // to it (MX FP4's codes reach 24, past what eight chunks of int16 sums can hold: the AVX2 kernel must widen early).
    const reference = hooks.matmul('scalar', w, x, T, 'int8');
    assertClose(reference, y, mag, 2e-2, `scalar int8 ${mode} ${bits}-bit gs${gs}`);
    for (const k of sets.filter((s) => s !== 'scalar'))
      assertClose(hooks.matmul(k, w, x, T, 'int8'), Float64Array.from(reference), mag, 1e-6, `${k} int8 ${mode} ${bits}-bit gs${gs}`);
  }
  // MX FP4's worst case for int16 sums: every weight at +-6 (codes 24 and 0) against int8 activations of full scale.
  {
    const rows = 17, cols = 128, T = 2;
    const { w } = randomTraitQuant(rng, 'mxfp4', 4, rows, cols, 32);
    (w.weight as Uint8Array).fill(0x77); // nibble 7 = +6 everywhere
    const x = new Float32Array(T * cols).fill(1);
    const scales = w.scales as Uint8Array;
    const want = new Float64Array(T * rows);
    for (let t = 0; t < T; t++)
      for (let r = 0; r < rows; r++)
        for (let g = 0; g < cols / 32; g++) want[t * rows + r] += 32 * 6 * 2 ** (scales[r * (cols / 32) + g]! - 127);
    for (const k of sets) assertClose(hooks.matmul(k, w, x, T, 'int8'), want, want, 1e-6, `${k} int8 mxfp4 all +6`);
  }
  const { w } = randomTraitQuant(rng, 'mxfp4', 4, 2, 64, 32);
  assert.throws(() => hooks.matmul('scalar', { ...w, groupSize: 64, scales: new Uint8Array(2) }, new Float32Array(64), 1), /group_size=64 is not supported for mxfp4 \(supported: 32\)/);
  assert.throws(() => hooks.matmul('scalar', { ...w, kind: 'affine', bits: 7, groupSize: 64 }, new Float32Array(64), 1), /mode affine bits=7 is not supported/);
});

test('unsupported quantization is rejected with a message naming the problem', () => {
  const rng = new Rng(14);
  const { w } = randomQuant(rng, 4, 4, 64, 64);
  assert.throws(() => hooks.matmul('scalar', { ...w, groupSize: 48 }, new Float32Array(64), 1), /group_size=48 is not supported/);
  assert.throws(() => hooks.matmul('scalar', { ...w, cols: 96, groupSize: 64 }, new Float32Array(96), 1), /not a multiple of group_size/);
});

test('rmsnorm matches the reference on every kernel set', () => {
  const rng = new Rng(15);
  for (const n of [1, 7, 16, 33, 128, 1000]) {
    const x = randomF32(rng, n, 3);
    const w = randomF32(rng, n);
    let ss = 0;
    for (const v of x) ss += v * v;
    const inv = 1 / Math.sqrt(ss / n + 1e-5);
    for (const k of elementwiseSets) {
      const got = hooks.rmsnorm(k, x, w, 1e-5);
      for (let i = 0; i < n; i++) assert.ok(Math.abs(got[i] - x[i] * inv * w[i]) <= 1e-5 * (1 + Math.abs(x[i] * inv * w[i])), `${k} n=${n} i=${i}`);
    }
  }
});

/** Options of one attention row: its window start, its head's sink logit, the logit soft-cap. */
interface AttendOpts {
  start?: number;
  sink?: number;
  softcap?: number;
}

/** softmax(cap(scale * q.K^T)) V over rows [start, len), a sink in the denominator, in float64 from the float16 values. */
function referenceAttention(q: Float32Array, kb: Uint16Array, vb: Uint16Array, len: number, dim: number, scale: number, opts: AttendOpts = {}): Float64Array {
  const start = opts.start ?? 0;
  const sc = Array.from({ length: len - start }, (_, i) => {
    const j = start + i;
    let s = 0;
    for (let d = 0; d < dim; d++) s += q[d] * f16ToNumber(kb[j * dim + d]);
    s *= scale;
    return opts.softcap ? opts.softcap * Math.tanh(s / opts.softcap) : s;
  });
  const sink = opts.sink ?? -Infinity;
  const mx = Math.max(sink, ...sc);
  const e = sc.map((s) => Math.exp(s - mx));
  const z = e.reduce((a, b) => a + b, Math.exp(sink - mx));
  const want = new Float64Array(dim);
  for (let i = 0; i < e.length; i++) for (let d = 0; d < dim; d++) want[d] += (e[i] / z) * f16ToNumber(vb[(start + i) * dim + d]);
  return want;
}

test('attention of 1-4 query rows with their own lengths over a float16 KV block matches the reference on every kernel set', () => {
  const rng = new Rng(16);
  // Rows of one call differ in length as the tokens of a prefill block do; dims include non-multiples of 16 and > 64.
  const cases: Array<[number[], number]> = [
    [[1], 16], [[5], 64], [[37], 128], [[200], 80], [[3], 24],
    [[7, 7], 128], [[8, 9], 64], [[4, 5, 6, 7], 64], [[33, 34, 33, 34], 128], [[1, 2, 3], 100], [[130, 131], 200], [[2, 1, 4, 3], 17],
  ];
  for (const [lens, dim] of cases) {
    const len = Math.max(...lens);
    const q = randomF32(rng, lens.length * dim);
    const kb = new Uint16Array(len * dim), vb = new Uint16Array(len * dim);
    for (let i = 0; i < len * dim; i++) {
      kb[i] = f16Round(rng.normal()).bits;
      vb[i] = f16Round(rng.normal()).bits;
    }
    const scale = 1 / Math.sqrt(dim);
    for (const k of elementwiseSets) {
      const got = hooks.attention(k, q, kb, vb, Int32Array.from(lens), dim, scale);
      assert.equal(got.length, lens.length * dim);
      lens.forEach((rowLen, r) => {
        const want = referenceAttention(q.subarray(r * dim, (r + 1) * dim), kb, vb, rowLen, dim, scale);
        for (let d = 0; d < dim; d++) {
          const g = got[r * dim + d];
          assert.ok(Math.abs(g - want[d]) < 2e-5, `${k} lens=${lens} dim=${dim} row ${r} d=${d}: ${g} vs ${want[d]}`);
        }
      });
    }
  }
});

test('attention with sliding-window starts, per-head sinks and a logit soft-cap matches the reference on every kernel set', () => {
  const rng = new Rng(17);
  // [lens, starts, dim]: starts differ per row as a window slides across a prefill block; one case starts past 16.
  const cases: Array<[number[], number[], number]> = [
    [[5], [2], 64], [[40], [39], 16], [[37, 38, 39, 40], [30, 31, 32, 33], 64], [[100, 101], [0, 1], 80], [[64, 65, 66], [17, 18, 19], 24],
  ];
  for (const [lens, starts, dim] of cases) {
    const len = Math.max(...lens);
    const q = randomF32(rng, lens.length * dim, 2);
    const kb = new Uint16Array(len * dim), vb = new Uint16Array(len * dim);
    for (let i = 0; i < len * dim; i++) {
      kb[i] = f16Round(rng.normal()).bits;
      vb[i] = f16Round(rng.normal()).bits;
    }
    // A large sink takes most of the mass (the output shrinks toward 0), which the reference must reproduce.
    const sinks = Float32Array.from(lens, (_, r) => [0.5, -3, 6, 1][r % 4]!);
    const scale = 0.37;
    // blockShift: the same rows read from separate blocks of 4 and of 16, as a paged cache holds them (windows and
    // lengths that start and end inside a block).
    for (const softcap of [0, 1.5])
      for (const blockShift of [undefined, 2, 4])
        for (const k of elementwiseSets) {
          const got = hooks.attention(k, q, kb, vb, Int32Array.from(lens), dim, scale, { starts: Int32Array.from(starts), sinks, softcap, blockShift });
          lens.forEach((rowLen, r) => {
            const want = referenceAttention(q.subarray(r * dim, (r + 1) * dim), kb, vb, rowLen, dim, scale, { start: starts[r], sink: sinks[r], softcap });
            for (let d = 0; d < dim; d++) {
              const g = got[r * dim + d];
              assert.ok(Math.abs(g - want[d]) < 2e-5, `${k} lens=${lens} starts=${starts} cap=${softcap} blocks=${blockShift} row ${r} d=${d}: ${g} vs ${want[d]}`);
            }
          });
        }
  }
  assert.throws(() => hooks.attention('scalar', new Float32Array(16), new Uint16Array(16), new Uint16Array(16), Int32Array.from([1]), 16, 1, { starts: Int32Array.from([1]) }), /inconsistent sizes/);
});

test('a query row gets bitwise the same attention output alone as in a group of rows with other lengths and windows on every kernel set', () => {
  // The GQA heads of a token share one call; how many share it depends on the model and on the prefill chunking (which
  // depends on the other requests of a batch), so a row's result must not.
  const rng = new Rng(18);
  const dim = 128, len = 77;
  const kb = new Uint16Array(len * dim), vb = new Uint16Array(len * dim);
  for (let i = 0; i < len * dim; i++) {
    kb[i] = f16Round(rng.normal()).bits;
    vb[i] = f16Round(rng.normal()).bits;
  }
  // Consecutive tokens of a prefill chunk: lengths one apart, so each row's span ends at another key of a 4-key
  // step; with a sliding window the starts differ too.
  for (const rows of [2, 3, 4])
    for (const window of [0, 9]) {
      const lens = Array.from({ length: rows }, (_, r) => len - r);
      const starts = lens.map((l) => (window ? l - window : 0));
      const q = randomF32(rng, rows * dim);
      for (const k of elementwiseSets) {
        const group = hooks.attention(k, q, kb, vb, Int32Array.from(lens), dim, 0.1, { starts: Int32Array.from(starts) });
        for (let r = 0; r < rows; r++) {
          const n = lens[r]! * dim;
          const alone = hooks.attention(k, q.subarray(r * dim, (r + 1) * dim), kb.subarray(0, n), vb.subarray(0, n), Int32Array.from([lens[r]!]), dim, 0.1, {
            starts: Int32Array.from([starts[r]!]),
          });
          assert.deepEqual(Array.from(group.subarray(r * dim, (r + 1) * dim)), Array.from(alone), `${k} row ${r} of ${rows}, window ${window}`);
        }
      }
    }
});

test('silu(g) * u matches the float64 formula on every kernel set, including large magnitudes and odd lengths', () => {
  const rng = new Rng(18);
  for (const n of [1, 15, 16, 17, 100, 3072]) {
    const g = randomF32(rng, n, 4), u = randomF32(rng, n);
    if (n > 4) g.set([100, -100, 0, -0.0]);
    for (const k of elementwiseSets) {
      const got = hooks.siluMul(k, g, u);
      for (let i = 0; i < n; i++) {
        const want = (g[i] / (1 + Math.exp(-g[i]))) * u[i];
        assert.ok(Math.abs(got[i] - want) <= 1e-6 * (1 + Math.abs(want)), `${k} n=${n} i=${i}: silu(${g[i]})*${u[i]} = ${got[i]}, expected ${want}`);
      }
    }
  }
});

test('gelu_tanh(g) * u matches the float64 formula on every kernel set, including large magnitudes and odd lengths', () => {
  const rng = new Rng(20);
  for (const n of [1, 15, 16, 17, 100, 6912]) {
    const g = randomF32(rng, n, 3), u = randomF32(rng, n);
    if (n > 6) g.set([100, -100, 0, -0.0, -9, 1e-4]);
    for (const k of elementwiseSets) {
      const got = hooks.geluTanhMul(k, g, u);
      for (let i = 0; i < n; i++) {
        const x = g[i];
        const want = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))) * u[i];
        assert.ok(Math.abs(got[i] - want) <= 1e-6 * (1 + Math.abs(want)), `${k} n=${n} i=${i}: gelu(${x})*${u[i]} = ${got[i]}, expected ${want}`);
      }
    }
  }
});

test('the logit soft-cap cap * tanh(x / cap) matches the float64 formula on every kernel set', () => {
  const rng = new Rng(21);
  for (const cap of [30, 1.5]) {
    for (const n of [1, 15, 16, 17, 1000]) {
      const x = randomF32(rng, n, cap);
      if (n > 5) x.set([1e4, -1e4, 0, -0.0, 1e-6]);
      for (const k of elementwiseSets) {
        const got = hooks.softcap(k, x, cap);
        for (let i = 0; i < n; i++) {
          const want = cap * Math.tanh(x[i] / cap);
          assert.ok(Math.abs(got[i] - want) <= 5e-7 * cap + 1e-6 * Math.abs(want), `${k} cap=${cap} n=${n}: softcap(${x[i]}) = ${got[i]}, expected ${want}`);
        }
      }
    }
  }
});

test('the KV-cache float16 store rounds exactly like the reference on every kernel set', () => {
  const rng = new Rng(19);
  const xs = [0, -0, 1, -2.5, 65504, 65520, -1e6, 1e-8, 6e-8, 3e-5, 6.1e-5, 0.1, 1 / 3];
  for (let i = 0; i < 300; i++) xs.push(rng.normal() * 10 ** ((rng.u32() % 12) - 8));
  const f = new Float32Array(xs);
  for (const k of elementwiseSets) {
    const h = hooks.toF16(k, f);
    for (let i = 0; i < f.length; i++) assert.equal(h[i], f16Round(f[i]).bits, `${k} toF16(${f[i]})`);
  }
});

test('float16 conversions round to nearest even, including subnormals and overflow', () => {
  const rng = new Rng(17);
  const xs = [0, -0, 1, -2.5, 65504, 65520, 1e-8, 6e-8, 3e-5, 6.1e-5, 0.1, 1 / 3];
  for (let i = 0; i < 200; i++) xs.push(rng.normal() * 10 ** ((rng.u32() % 12) - 8));
  const f = new Float32Array(xs);
  const h = hooks.f32ToF16(f);
  for (let i = 0; i < f.length; i++) assert.equal(h[i], f16Round(f[i]).bits, `f32ToF16(${f[i]})`);
  const back = hooks.f16ToF32(h);
  for (let i = 0; i < f.length; i++) assert.equal(back[i], f16ToNumber(h[i]), `f16ToF32(${h[i]})`);
});
