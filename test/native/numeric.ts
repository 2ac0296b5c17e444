// Float16/bfloat16 rounding done independently of the addon, for reference computations.

/** Round-to-nearest-even to bfloat16. */
export function toBf16(x: number): { bits: number; value: number } {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  const bits = ((u[0] + 0x7fff + ((u[0] >>> 16) & 1)) >>> 16) & 0xffff;
  u[0] = bits << 16;
  return { bits, value: f[0] };
}

export function f16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Round-to-nearest-even to float16 (finite inputs within range). */
export function f16Round(x: number): { bits: number; value: number } {
  const xf = Math.fround(x);
  const sign = xf < 0 || Object.is(xf, -0) ? 0x8000 : 0;
  const a = Math.abs(xf);
  if (a >= 65520) return { bits: sign | 0x7c00, value: sign ? -Infinity : Infinity };
  // Quantum of the f16 binade containing a (subnormals share the 2^-24 quantum).
  const e = a < 2 ** -14 ? -14 : Math.floor(Math.log2(a));
  const quantum = 2 ** (Math.max(e, -14) - 10);
  let m = a / quantum;
  const fl = Math.floor(m);
  const frac = m - fl;
  m = frac > 0.5 || (frac === 0.5 && fl % 2 === 1) ? fl + 1 : fl;
  const value = m * quantum;
  // Re-encode from the rounded value.
  let bits: number;
  if (value === 0) bits = 0;
  else if (value < 2 ** -14) bits = value / 2 ** -24;
  else {
    const ee = Math.floor(Math.log2(value));
    bits = ((ee + 15) << 10) | Math.round((value / 2 ** ee - 1) * 1024);
  }
  return { bits: sign | bits, value: sign ? -value : value };
}
