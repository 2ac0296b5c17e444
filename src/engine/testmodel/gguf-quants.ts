// llama.cpp's own block formats Q4_0 and Q8_0 (ggml quantize_row_q4_0_ref / quantize_row_q8_0_ref), used only for the
// speed twin of a test model: the peer runs in the format it is fastest in, requantized from the same float weights.
import { f16BitsToF32, f32ToF16Bits } from './numeric.js';

export const QK = 32;
export const Q4_0_BLOCK_BYTES = 18;
export const Q8_0_BLOCK_BYTES = 34;

const fr = Math.fround;

/** Quantizes `x` (length a multiple of 32) into Q4_0 blocks: f16 d, then 16 bytes (element j low nibble, j+16 high). */
export function quantizeQ4_0(x: Float32Array, out: Uint8Array): void {
  const nb = x.length / QK;
  if (out.length < nb * Q4_0_BLOCK_BYTES) throw new RangeError('quantizeQ4_0: output too small');
  for (let i = 0; i < nb; i++) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < QK; j++) {
      const v = x[i * QK + j];
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = fr(max / -8);
    const id = d ? fr(1 / d) : 0;
    const h = f32ToF16Bits(d);
    const o = i * Q4_0_BLOCK_BYTES;
    out[o] = h & 0xff;
    out[o + 1] = h >>> 8;
    for (let j = 0; j < QK / 2; j++) {
      const x0 = fr(x[i * QK + j] * id);
      const x1 = fr(x[i * QK + QK / 2 + j] * id);
      const q0 = Math.min(15, Math.trunc(fr(x0 + 8.5)));
      const q1 = Math.min(15, Math.trunc(fr(x1 + 8.5)));
      out[o + 2 + j] = q0 | (q1 << 4);
    }
  }
}

/** Quantizes `x` (length a multiple of 32) into Q8_0 blocks: f16 d, then 32 int8 (round half away from zero). */
export function quantizeQ8_0(x: Float32Array, out: Uint8Array): void {
  const nb = x.length / QK;
  if (out.length < nb * Q8_0_BLOCK_BYTES) throw new RangeError('quantizeQ8_0: output too small');
  for (let i = 0; i < nb; i++) {
    let amax = 0;
    for (let j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(x[i * QK + j]));
    const d = fr(amax / 127);
    const id = d ? fr(1 / d) : 0;
    const h = f32ToF16Bits(d);
    const o = i * Q8_0_BLOCK_BYTES;
    out[o] = h & 0xff;
    out[o + 1] = h >>> 8;
    for (let j = 0; j < QK; j++) {
      const v = fr(x[i * QK + j] * id);
      const q = Math.sign(v) * Math.round(Math.abs(v));
      out[o + 2 + j] = q & 0xff;
    }
  }
}

/** The values of Q4_0 blocks: d * (q - 8), as ggml's dequantize_row_q4_0 computes them in float32. */
export function dequantizeQ4_0(blocks: Uint8Array, out: Float32Array): void {
  for (let i = 0; i < out.length / QK; i++) {
    const o = i * Q4_0_BLOCK_BYTES;
    const d = f16BitsToF32(blocks[o] | (blocks[o + 1] << 8));
    for (let j = 0; j < QK / 2; j++) {
      const b = blocks[o + 2 + j];
      out[i * QK + j] = fr(((b & 15) - 8) * d);
      out[i * QK + QK / 2 + j] = fr(((b >> 4) - 8) * d);
    }
  }
}

/** The values of Q8_0 blocks: d * q. */
export function dequantizeQ8_0(blocks: Uint8Array, out: Float32Array): void {
  for (let i = 0; i < out.length / QK; i++) {
    const o = i * Q8_0_BLOCK_BYTES;
    const d = f16BitsToF32(blocks[o] | (blocks[o + 1] << 8));
    for (let j = 0; j < QK; j++) out[i * QK + j] = fr(((blocks[o + 2 + j] << 24) >> 24) * d);
  }
}
