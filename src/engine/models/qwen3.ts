// Qwen3: per-head RMSNorm over head_dim on q and k (before RoPE), explicit head_dim, no attention biases.
import type { NativeModelPlan } from '../plan.js';
import { decoderPlan, type SpecInput } from './common.js';

export function qwen3Plan(input: SpecInput): NativeModelPlan {
  return decoderPlan(input, { qkNorm: true, qkvBias: false });
}
