// Qwen2 / Qwen2.5: q, k and v projections always carry a Linear bias (`.bias`, not the quantization `.biases`);
// o_proj has none. No q/k norm.
import type { NativeModelPlan } from '../plan.js';
import { decoderPlan, type SpecInput } from './common.js';

export function qwen2Plan(input: SpecInput): NativeModelPlan {
  return decoderPlan(input, { qkNorm: false, qkvBias: true });
}
