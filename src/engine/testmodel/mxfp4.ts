// MX FP4 as MLX stores it (mode "mxfp4"): groups of 32 along each row share one E8M0 scale byte e (the power of two
// 2^(e-127)); each element is an E2M1 code (sign bit 3, magnitude index in bits 0-2 over {0, .5, 1, 1.5, 2, 3, 4, 6}),
// packed LSB-first, eight to a U32 word. There are no biases. The shared exponent is floor(log2(amax)) - 2, so the
// largest magnitude lands in [4, 8) before rounding to the nearest representable value (ties keep the lower index).

export const MXFP4_GROUP = 32;

/** The E2M1 magnitudes, doubled so they are integers. */
const DOUBLED = [0, 1, 2, 3, 4, 6, 8, 12];

export interface Mxfp4Quantized {
  /** [rows, cols/8] U32 words. */
  codes: Uint32Array;
  /** [rows, cols/32] E8M0 exponent bytes. */
  scales: Uint8Array;
}

function exponentByte(amax: number): number {
  if (amax === 0) return 0;
  return Math.min(254, Math.max(1, Math.floor(Math.log2(amax)) - 2 + 127));
}

function nearestCode(x: number, half: number): number {
  let best = 0;
  let bestErr = Math.abs(x);
  for (let i = 1; i < 16; i++) {
    const v = (i & 8 ? -1 : 1) * DOUBLED[i & 7]! * half;
    const err = Math.abs(v - x);
    if (err < bestErr) {
      best = i;
      bestErr = err;
    }
  }
  return best;
}

/** Quantizes a row-major [rows, cols] matrix (cols a multiple of 32). */
export function mxfp4Quantize(w: Float32Array, rows: number, cols: number): Mxfp4Quantized {
  if (cols % MXFP4_GROUP !== 0) throw new RangeError(`mxfp4Quantize: ${cols} columns is not a multiple of ${MXFP4_GROUP}`);
  const groups = (rows * cols) / MXFP4_GROUP;
  const codes = new Uint32Array((rows * cols) / 8);
  const scales = new Uint8Array(groups);
  for (let g = 0; g < groups; g++) {
    const base = g * MXFP4_GROUP;
    let amax = 0;
    for (let j = 0; j < MXFP4_GROUP; j++) amax = Math.max(amax, Math.abs(w[base + j]!));
    const e = exponentByte(amax);
    scales[g] = e;
    // Half the scale: the doubled magnitudes times this are the E2M1 values times the scale.
    const half = 2 ** (e - 127) / 2;
    for (let j = 0; j < MXFP4_GROUP; j++) {
      const i = base + j;
      codes[i >>> 3] = (codes[i >>> 3]! | (nearestCode(w[i]!, half) << (4 * (i & 7)))) >>> 0;
    }
  }
  return { codes, scales };
}

/** The exact values an mxfp4 matrix represents (as float32: every one is exact). */
export function mxfp4Dequantize(q: Mxfp4Quantized, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows * cols; i++) {
    const c = (q.codes[i >>> 3]! >>> (4 * (i & 7))) & 15;
    const half = 2 ** (q.scales[Math.floor(i / MXFP4_GROUP)]! - 127) / 2;
    out[i] = (c & 8 ? -1 : 1) * DOUBLED[c & 7]! * half;
  }
  return out;
}
