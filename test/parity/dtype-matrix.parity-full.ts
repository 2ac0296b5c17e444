// The float configurations of every family's parity against llama.cpp (npm run test:parity-full, run by .ci/run).
// npm test keeps each family's quantized configuration (4-bit; mxfp4 for gpt-oss; 8-bit for llama and qwen3), which
// runs the same architecture maths through the quantized kernels: the float ones add the bf16 and f32 weight paths.
import { test } from 'node:test';
import { parityTests } from './arch-suite.js';
import { checkParity } from './parity-check.js';

parityTests('llama', ['f32', 'bf16']);
parityTests('qwen2', ['f32', 'bf16', '8-bit']);
parityTests('qwen3', ['f32', 'bf16']);
parityTests('qwen3_moe', ['bf16']);
parityTests('qwen3_5', ['f32', 'bf16', '8-bit']);
parityTests('qwen3_5_moe', ['f32', 'bf16']);
parityTests('qwen3_next', ['f32', 'bf16']);
parityTests('gemma3_text', ['f32', 'bf16']);
parityTests('gemma4', ['bf16']);
parityTests('gpt_oss', ['bf16']);
parityTests('mistral', ['bf16']);
parityTests('phi3', ['f32']);
parityTests('smollm3', ['bf16']);

// Gemma 4's mixture of experts in f32 (seed 2: see gemma4.test.ts).
test('gemma4 MoE f32: log-probabilities and greedy continuation match llama.cpp', async (t) => {
  await checkParity(t, { arch: 'gemma4', shape: 'gemma4-moe-tiny', seed: 2, dtype: 'f32' });
});
