// gpt-oss (model_type gpt_oss: gpt-oss-20b / -120b). The pre-norm decoder with biases on q/k/v/o, a learned sink
// logit per query head (`self_attn.sinks`), YaRN RoPE (rope_scaling), and layers alternating between a sliding window
// (layer_types 'sliding_attention', sliding_window tokens) and full attention. Every MLP is a mixture of experts: the
// router (`mlp.router`, with a bias) picks the experts_per_token highest logits and softmaxes them among themselves;
// each expert (`mlp.experts.{gate,up,down}_proj`, with biases, MXFP4 in the released checkpoints) computes
// down((gate·σ(1.702·gate)) · (up + 1)) with gate clamped above at swiglu_limit and up clamped to ±swiglu_limit.
import { z } from 'zod';
import { ModelFormatError } from '../errors.js';
import { parseWith } from '../json-file.js';
import { attentionOf, type MoePlan, type NativeModelPlan } from '../plan.js';
import { decoderPlan, type SpecInput, type TensorTable } from './common.js';

const positiveInt = z.number().int().positive();

/** The SwiGLU variant's sigmoid slope: fixed in the reference implementation, not a config field. */
export const GPT_OSS_SWIGLU_ALPHA = 1.702;

const gptOssSchema = z
  .object({
    num_local_experts: positiveInt,
    // mlx-lm reads num_experts_per_tok; the original config also spells it experts_per_token.
    num_experts_per_tok: positiveInt.optional(),
    experts_per_token: positiveInt.optional(),
    sliding_window: positiveInt,
    layer_types: z.array(z.enum(['sliding_attention', 'full_attention'])).optional(),
    swiglu_limit: z.number().positive().default(7),
  })
  .loose();

/** Per layer: whether it attends over a sliding window (default: even layers, as mlx-lm and llama.cpp assume). */
function slidingLayers(layerTypes: string[] | undefined, numLayers: number, configFile: string): boolean[] {
  if (!layerTypes) return Array.from({ length: numLayers }, (_, i) => i % 2 === 0);
  if (layerTypes.length !== numLayers) {
    throw new ModelFormatError(configFile, `field 'layer_types' has ${layerTypes.length} entries, expected num_hidden_layers (${numLayers})`);
  }
  return layerTypes.map((t) => t === 'sliding_attention');
}

export function gptOssPlan(input: SpecInput): NativeModelPlan {
  const { config: c, weights: w, configFile } = input;
  const g = parseWith(gptOssSchema, c.raw, configFile);
  const topK = g.num_experts_per_tok ?? g.experts_per_token;
  if (topK === undefined) throw new ModelFormatError(configFile, `field 'num_experts_per_tok' (or 'experts_per_token') is missing`);
  const E = g.num_local_experts;
  if (topK > E) throw new ModelFormatError(configFile, `field 'num_experts_per_tok' (${topK}) must be <= num_local_experts (${E})`);
  const H = c.hiddenSize;
  // gpt-oss's intermediate_size is each expert's width (there is no dense MLP).
  const I = c.intermediateSize;
  const sliding = slidingLayers(g.layer_types, c.numLayers, configFile);

  const mlp = (_layer: number, path: string, b: string, tensors: TensorTable): MoePlan => {
    tensors[`${b}ffn_gate_inp`] = w.linear(`${path}.mlp.router`, E, H);
    tensors[`${b}ffn_gate_inp.bias`] = w.tensor(`${path}.mlp.router.bias`, [E]);
    tensors[`${b}ffn_gate_exps`] = w.experts(`${path}.mlp.experts.gate_proj`, E, I, H);
    tensors[`${b}ffn_up_exps`] = w.experts(`${path}.mlp.experts.up_proj`, E, I, H);
    tensors[`${b}ffn_down_exps`] = w.experts(`${path}.mlp.experts.down_proj`, E, H, I);
    tensors[`${b}ffn_gate_exps.bias`] = w.tensor(`${path}.mlp.experts.gate_proj.bias`, [E, I]);
    tensors[`${b}ffn_up_exps.bias`] = w.tensor(`${path}.mlp.experts.up_proj.bias`, [E, I]);
    tensors[`${b}ffn_down_exps.bias`] = w.tensor(`${path}.mlp.experts.down_proj.bias`, [E, H]);
    return {
      kind: 'moe', activation: 'swiglu_oai', swiglu: { alpha: GPT_OSS_SWIGLU_ALPHA, limit: g.swiglu_limit },
      numExperts: E, topK, expertIntermediateSize: I, scoring: 'softmax_topk', routerBias: true, expertBias: true, normTopK: false,
    };
  };
  const plan = decoderPlan(input, { qkNorm: false, qkvBias: true, mlp });
  plan.layers.forEach((layer, i) => {
    const p = `model.layers.${i}`;
    const b = `blk.${i}.`;
    plan.tensors[`${b}attn_output.bias`] = w.tensor(`${p}.self_attn.o_proj.bias`, [H]);
    plan.tensors[`${b}attn_sinks`] = w.tensor(`${p}.self_attn.sinks`, [c.numHeads]);
    const attention = attentionOf(layer);
    attention.outputBias = true;
    attention.sinks = true;
    if (sliding[i]) attention.slidingWindow = g.sliding_window;
  });
  return plan;
}
