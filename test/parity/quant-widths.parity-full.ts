// The bit widths the quant traits table adds, end to end: MLX's 3- and 6-bit bit-stream packing written by
// make-model (with an 8-bit per-layer override), read by vmlx, against llama.cpp on the exactly dequantized weights.
// In npm run test:parity-full (run by .ci/run): npm test keeps the kernels' unit test of every quant traits row.
import { test } from 'node:test';
import { checkParity } from './parity-check.js';

for (const bits of [3, 6] as const) {
  test(`llama ${bits}-bit: log-probabilities and greedy continuation match llama.cpp`, async (t) => {
    await checkParity(t, { arch: 'llama', dtype: 'bf16', bits });
  });
}
