// MLX affine quantization, exactly as mlx/backend/cpu/quantized.cpp `quantize` does it (notes/engine.md §1.3-1.4),
// and its exact dequantization. Arithmetic is float32 (Math.fround at every step), rounding is rint (half to even).
import { bf16BitsToF32, f32ToBf16Bits, rint } from './numeric.js';

export interface AffineQuantized {
  /** Packed codes, row-major [rows, cols*bits/32], LSB-first along each row. */
  codes: Uint32Array;
  /** Per-group scale and bias after the cast to the scales dtype, as float32 values: [rows, cols/groupSize]. */
  scales: Float32Array;
  biases: Float32Array;
}

const fr = Math.fround;

// MLX packs codes as one continuous LSB-first bit stream: element i occupies bits [i·bits, (i+1)·bits), so 3-, 5- and
// 6-bit codes may straddle two words. (Rows are whole words: group_size·bits is a multiple of 32.)
function putCode(words: Uint32Array, i: number, bits: number, q: number): void {
  const p = i * bits, w = p >>> 5, off = p & 31;
  words[w] = (words[w]! | (q << off)) >>> 0;
  if (off + bits > 32) words[w + 1] = (words[w + 1]! | (q >>> (32 - off))) >>> 0;
}

function getCode(words: Uint32Array, i: number, bits: number): number {
  const p = i * bits, w = p >>> 5, off = p & 31;
  let v = words[w]! >>> off;
  if (off + bits > 32) v |= words[w + 1]! << (32 - off);
  return v & ((1 << bits) - 1);
}

/**
 * Quantizes a row-major [rows, cols] matrix group by group along the rows.
 * `scaleDType` is the dtype the scales/biases are stored in (MLX casts them to the weight dtype).
 */
export function mlxAffineQuantize(w: Float32Array, rows: number, cols: number, bits: number, groupSize: number,
  scaleDType: 'bf16' | 'f32'): AffineQuantized {
  if (cols % groupSize !== 0) throw new RangeError(`mlxAffineQuantize: ${cols} columns is not a multiple of group size ${groupSize}`);
  if (![2, 3, 4, 5, 6, 8].includes(bits)) throw new RangeError(`mlxAffineQuantize: bits must be 2, 3, 4, 5, 6 or 8 (got ${bits})`);
  const nBins = (1 << bits) - 1;
  const groupsPerRow = cols / groupSize;
  const nGroups = rows * groupsPerRow;
  const codes = new Uint32Array((rows * cols * bits) / 32);
  const scales = new Float32Array(nGroups);
  const biases = new Float32Array(nGroups);
  const cast = scaleDType === 'bf16' ? (x: number) => bf16BitsToF32(f32ToBf16Bits(x)) : fr;
  for (let g = 0; g < nGroups; g++) {
    const base = g * groupSize;
    let wMin = Infinity;
    let wMax = -Infinity;
    for (let j = 0; j < groupSize; j++) {
      const v = w[base + j];
      if (v > wMax) wMax = v;
      if (v < wMin) wMin = v;
    }
    const mask = Math.abs(wMin) > Math.abs(wMax);
    let scale = Math.max(fr(fr(wMax - wMin) / nBins), fr(1e-7));
    if (!mask) scale = -scale;
    const edge = mask ? wMin : wMax;
    const q0 = rint(fr(edge / scale));
    let bias = 0;
    if (q0 !== 0) {
      scale = fr(edge / q0);
      bias = edge;
    }
    // Codes are chosen with the float32 scale/bias; only the stored copies are cast (MLX does the same).
    for (let j = 0; j < groupSize; j++) {
      const q = rint(fr(fr(w[base + j] - bias) / scale));
      putCode(codes, base + j, bits, Math.min(Math.max(q, 0), nBins));
    }
    scales[g] = cast(scale);
    biases[g] = cast(bias);
  }
  return { codes, scales, biases };
}

/** Exact dequantization w = scale·q + bias in float32 (scale·q is exact for ≤ 8-bit codes and bf16 scales). */
export function mlxAffineDequantize(q: AffineQuantized, rows: number, cols: number, bits: number, groupSize: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows * cols; i++) {
    const code = getCode(q.codes, i, bits);
    const g = Math.floor(i / groupSize);
    out[i] = fr(fr(q.scales[g] * code) + q.biases[g]);
  }
  return out;
}
