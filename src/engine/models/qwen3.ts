// Qwen3: per-head RMSNorm over head_dim on q and k (before RoPE), explicit head_dim, no attention biases.
import type { NativeModelSpec } from '../native-types.js';
import { buildSpec, commonLayer, type SpecInput } from './common.js';

export function qwen3Spec(input: SpecInput): NativeModelSpec {
  const { config: c, weights: w } = input;
  return buildSpec(input, 'qwen3', (i) => ({
    ...commonLayer(w, c, i),
    qNorm: w.tensor(`model.layers.${i}.self_attn.q_norm.weight`, [c.headDim]),
    kNorm: w.tensor(`model.layers.${i}.self_attn.k_norm.weight`, [c.headDim]),
  }));
}
