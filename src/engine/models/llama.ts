// Llama 3.x, SmolLM2 and Mistral (mlx-lm maps mistral onto llama): the plain pre-norm decoder; Llama 3 rope scaling
// comes from config.json. `prefix`: the text model's tensor-name prefix inside a multimodal checkpoint.
import { UnsupportedModelError } from '../errors.js';
import type { NativeModelPlan } from '../plan.js';
import { decoderPlan, type SpecInput } from './common.js';

export function llamaPlan(input: SpecInput, prefix = ''): NativeModelPlan {
  const c = input.config;
  // Released Llama 3 / SmolLM2 / Mistral checkpoints have neither; the blocks implement no o_proj or MLP bias.
  if (c.attentionBias) throw new UnsupportedModelError(input.configFile, `attention_bias true is not supported for ${c.modelType}`);
  if (c.mlpBias) throw new UnsupportedModelError(input.configFile, `mlp_bias true is not supported for ${c.modelType}`);
  return decoderPlan(input, { qkNorm: false, qkvBias: false, prefix });
}
