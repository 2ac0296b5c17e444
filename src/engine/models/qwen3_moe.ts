// Qwen3 MoE (Qwen3-30B-A3B, Qwen3-235B-A22B): the Qwen3 decoder whose MLP is a mixture of experts. The router
// (`mlp.gate`, [E, H]) softmaxes over all experts, the top num_experts_per_tok run (mlx-lm stacks them as
// `mlp.switch_mlp.{gate,up,down}_proj` [E, ...]) and their weights are renormalised when norm_topk_prob is set.
// Layers listed in mlp_only_layers, or off the decoder_sparse_step grid, keep the dense MLP (as mlx-lm builds them).
import { z } from 'zod';
import { parseWith } from '../json-file.js';
import type { MoePlan, NativeModelPlan } from '../plan.js';
import { decoderPlan, type SpecInput, type TensorTable } from './common.js';

const positiveInt = z.number().int().positive();

const qwen3MoeSchema = z
  .object({
    num_experts: positiveInt,
    num_experts_per_tok: positiveInt,
    moe_intermediate_size: positiveInt,
    norm_topk_prob: z.boolean().default(false),
    decoder_sparse_step: positiveInt.default(1),
    mlp_only_layers: z.array(z.number().int().nonnegative()).default([]),
  })
  .loose()
  .refine((c) => c.num_experts_per_tok <= c.num_experts, {
    message: 'num_experts_per_tok must be <= num_experts',
    path: ['num_experts_per_tok'],
  });

export function qwen3MoePlan(input: SpecInput): NativeModelPlan {
  const c = parseWith(qwen3MoeSchema, input.config.raw, input.configFile);
  const H = input.config.hiddenSize;
  const E = c.num_experts;
  const I = c.moe_intermediate_size;
  const w = input.weights;
  const mlp = (layer: number, path: string, b: string, tensors: TensorTable): MoePlan | undefined => {
    if (c.mlp_only_layers.includes(layer) || (layer + 1) % c.decoder_sparse_step !== 0) return undefined;
    tensors[`${b}ffn_gate_inp`] = w.linear(`${path}.mlp.gate`, E, H);
    tensors[`${b}ffn_gate_exps`] = w.experts(`${path}.mlp.switch_mlp.gate_proj`, E, I, H);
    tensors[`${b}ffn_up_exps`] = w.experts(`${path}.mlp.switch_mlp.up_proj`, E, I, H);
    tensors[`${b}ffn_down_exps`] = w.experts(`${path}.mlp.switch_mlp.down_proj`, E, H, I);
    return {
      kind: 'moe', activation: 'silu', numExperts: E, topK: c.num_experts_per_tok, expertIntermediateSize: I,
      scoring: 'softmax', normTopK: c.norm_topk_prob,
    };
  };
  return decoderPlan(input, { qkNorm: true, qkvBias: false, mlp });
}
