// Gemma 4's mixture of experts (enable_moe_block: 26B-A4B). Every layer keeps its dense MLP and runs experts beside
// it on the attention residual x: post_feedforward_layernorm_1(mlp(pre_feedforward_layernorm(x))) +
// post_feedforward_layernorm_2(experts(pre_feedforward_layernorm_2(x))). The router (router.proj [E, H], 8-bit in
// mlx-community's quantized repos) reads rmsnorm(x) without weight, times router.scale [H] / sqrt(H); softmax over all
// experts, the top_k_experts best renormalised to sum to 1, each then times router.per_expert_scale [E]. The experts
// are GeGLU MLPs stacked as mlx-lm writes them (experts.switch_glu.{gate,up,down}_proj [E, ...]).
import { z } from 'zod';
import { ModelFormatError, UnsupportedModelError } from '../errors.js';
import type { MoePlan } from '../plan.js';
import type { SpecInput, TensorTable } from './common.js';

const positiveInt = z.number().int().positive();

export const gemma4MoeSchema = z
  .object({
    enable_moe_block: z.boolean().optional(),
    num_experts: positiveInt.nullish(),
    top_k_experts: positiveInt.nullish(),
    moe_intermediate_size: positiveInt.nullish(),
    /** The name llama.cpp's converter also accepts for moe_intermediate_size. */
    expert_intermediate_size: positiveInt.nullish(),
  })
  .loose();

type Gemma4MoeConfig = z.output<typeof gemma4MoeSchema>;

/** The layer's experts (tensors added to `tensors` under block prefix `b`), or undefined for a dense model. */
export function gemma4Experts(g: Gemma4MoeConfig, input: SpecInput, path: string, b: string, tensors: TensorTable): MoePlan | undefined {
  const { configFile, weights: w } = input;
  if (!g.enable_moe_block) {
    // Experts in the weights of a config that does not run them would be silently dropped.
    if (w.has(`${path}.router.proj.weight`)) throw new ModelFormatError(configFile, `field 'enable_moe_block' is not true, but the weights hold experts (${path}.router.proj)`);
    return undefined;
  }
  const need = (field: 'num_experts' | 'top_k_experts' | 'moe_intermediate_size'): number => {
    const v = field === 'moe_intermediate_size' ? g.moe_intermediate_size ?? g.expert_intermediate_size : g[field];
    if (v == null) throw new ModelFormatError(configFile, `field '${field}' is required with enable_moe_block`);
    return v;
  };
  const E = need('num_experts');
  const K = need('top_k_experts');
  const I = need('moe_intermediate_size');
  if (g.moe_intermediate_size != null && g.expert_intermediate_size != null && g.moe_intermediate_size !== g.expert_intermediate_size) {
    throw new ModelFormatError(configFile, `field 'expert_intermediate_size' (${g.expert_intermediate_size}) disagrees with moe_intermediate_size (${g.moe_intermediate_size})`);
  }
  if (K > E) throw new ModelFormatError(configFile, `field 'top_k_experts' (${K}) must be <= num_experts (${E})`);
  const H = input.config.hiddenSize;
  if (!w.has(`${path}.experts.switch_glu.gate_proj.weight`) && w.has(`${path}.experts.gate_up_proj`)) {
    throw new UnsupportedModelError(configFile, `the experts of ${path} are in the transformers layout (experts.gate_up_proj); convert the checkpoint with mlx-lm (experts.switch_glu.*)`);
  }
  tensors[`${b}ffn_gate_inp`] = w.linear(`${path}.router.proj`, E, H);
  tensors[`${b}ffn_gate_inp.scale`] = w.tensor(`${path}.router.scale`, [H]);
  tensors[`${b}ffn_down_exps.scale`] = w.tensor(`${path}.router.per_expert_scale`, [E]);
  tensors[`${b}ffn_gate_exps`] = w.experts(`${path}.experts.switch_glu.gate_proj`, E, I, H);
  tensors[`${b}ffn_up_exps`] = w.experts(`${path}.experts.switch_glu.up_proj`, E, I, H);
  tensors[`${b}ffn_down_exps`] = w.experts(`${path}.experts.switch_glu.down_proj`, E, H, I);
  tensors[`${b}pre_ffw_norm_2`] = w.tensor(`${path}.pre_feedforward_layernorm_2.weight`, [H]);
  tensors[`${b}post_ffw_norm_1`] = w.tensor(`${path}.post_feedforward_layernorm_1.weight`, [H]);
  tensors[`${b}post_ffw_norm_2`] = w.tensor(`${path}.post_feedforward_layernorm_2.weight`, [H]);
  return {
    kind: 'moe', activation: 'gelu_tanh', numExperts: E, topK: K, expertIntermediateSize: I, scoring: 'softmax', normTopK: true,
    routerNorm: true, expertScale: true,
  };
}
