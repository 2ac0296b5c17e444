// Qwen2 / Qwen2.5: q, k and v projections always carry a Linear bias (`.bias`, not the quantization `.biases`);
// o_proj has none. No q/k norm.
import type { NativeModelSpec } from '../native-types.js';
import { buildSpec, commonLayer, type SpecInput } from './common.js';

export function qwen2Spec(input: SpecInput): NativeModelSpec {
  const { config: c, weights: w } = input;
  const kvOut = c.numKvHeads * c.headDim;
  return buildSpec(input, 'qwen2', (i) => {
    const p = `model.layers.${i}.self_attn`;
    return {
      ...commonLayer(w, c, i),
      qBias: w.tensor(`${p}.q_proj.bias`, [c.numHeads * c.headDim]),
      kBias: w.tensor(`${p}.k_proj.bias`, [kvOut]),
      vBias: w.tensor(`${p}.v_proj.bias`, [kvOut]),
    };
  });
}
