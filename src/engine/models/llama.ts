// Llama 3.x and SmolLM2: the plain pre-norm decoder; Llama 3 rope scaling comes from config.json.
import { UnsupportedModelError } from '../errors.js';
import type { NativeModelSpec } from '../native-types.js';
import { buildSpec, commonLayer, type SpecInput } from './common.js';

export function llamaSpec(input: SpecInput, configFile: string): NativeModelSpec {
  const { config: c, weights: w } = input;
  // Released Llama 3 / SmolLM2 checkpoints have neither; the kernels implement no o_proj or MLP bias.
  if (c.attentionBias) throw new UnsupportedModelError(configFile, `attention_bias true is not supported for llama`);
  if (c.mlpBias) throw new UnsupportedModelError(configFile, `mlp_bias true is not supported for llama`);
  return buildSpec(input, 'llama', (i) => commonLayer(w, c, i));
}
