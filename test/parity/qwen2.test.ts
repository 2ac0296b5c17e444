// vmlx against llama.cpp on tiny random qwen2 models: float32, bfloat16, MLX 8-bit and 4-bit (group 64, with a per-layer
// 8-bit override in the 4-bit model). See parity-check.ts for what is compared.
import { test } from 'node:test';
import { checkParity } from './parity-check.js';

for (const [label, cfg] of [
  ['f32', { dtype: 'f32' }],
  ['bf16', { dtype: 'bf16' }],
  ['8-bit', { dtype: 'bf16', bits: 8 }],
  ['4-bit', { dtype: 'bf16', bits: 4 }],
] as const) {
  test(`qwen2 ${label}: log-probabilities and greedy continuation match llama.cpp`, async (t) => {
    await checkParity(t, { arch: 'qwen2', ...cfg });
  });
}
