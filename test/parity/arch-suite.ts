// The parity configurations of one architecture: float32, bfloat16, MLX 8-bit and 4-bit (group 64, with a per-layer
// 8-bit override in the 4-bit model), and MLX mxfp4 (families that list it: the suites default to the first four). See parity-check.ts for what is compared.
import { test } from 'node:test';
import type { TestArch } from '../../src/engine/testmodel/spec.js';
import { checkParity } from './parity-check.js';

const CONFIGS = [
  ['f32', { dtype: 'f32' }],
  ['bf16', { dtype: 'bf16' }],
  ['8-bit', { dtype: 'bf16', bits: 8 }],
  ['4-bit', { dtype: 'bf16', bits: 4 }],
  // MLX mxfp4 (E2M1 codes, E8M0 scales) with 8-bit affine overrides where the 4-bit model has them.
  ['mxfp4', { dtype: 'bf16', bits: 4, quantMode: 'mxfp4' }],
] as const;
export type ParityLabel = (typeof CONFIGS)[number][0];

/** `only`: a subset for families whose blocks another family's full matrix already covers. */
export function parityTests(arch: TestArch, only?: readonly ParityLabel[]): void {
  for (const [label, cfg] of CONFIGS.filter(([l]) => (only ? only.includes(l) : l !== 'mxfp4'))) {
    test(`${arch} ${label}: log-probabilities and greedy continuation match llama.cpp`, async (t) => {
      await checkParity(t, { arch, ...cfg });
    });
  }
}
