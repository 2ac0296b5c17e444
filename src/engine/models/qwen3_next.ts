// Qwen3-Next (Qwen3-Next-80B-A3B): the hybrid Qwen3.5 grew out of. The same plan as qwen3_5_moe (Gated DeltaNet in
// three of every four layers, gated full attention with partial RoPE in every full_attention_interval-th, a softmax
// MoE with a sigmoid-gated shared expert), with three differences in the checkpoint:
// - the DeltaNet in-projections are fused per key head: in_proj_qkvz rows hold, for each key head, its q, its k,
//   then the v and the z rows of its value heads; in_proj_ba its b rows, then its a rows. The native block takes
//   them as they are (ssm_in_qkvz / ssm_in_ba) and splits the projected rows per token, so loading packs the file's
//   matrix once instead of copying it into four;
// - the text model is at the top level (no `language_model.` prefix);
// - a layer's MLP is the mixture of experts unless it is in mlp_only_layers or off the decoder_sparse_step
//   (mlx-lm's rule), and norm_topk_prob defaults to false.
// The mlx-community checkpoints went through mlx-lm's sanitize: the (1+w) norms are folded into plain RMSNorm weights
// (the DeltaNet output norm never was (1+w)) and conv1d is laid out [channels, kernel, 1].
import { z } from 'zod';
import { ModelFormatError } from '../errors.js';
import { parseWith } from '../json-file.js';
import type { LayerPlan, NativeModelPlan } from '../plan.js';
import { addOutput, denseMlp, type SpecInput, type TensorTable } from './common.js';
import { deltaNetRest, gatedAttention, hybridConfig, hybridRope, linearLayers, moeMlp } from './qwen3_5.js';

const sparsitySchema = z
  .object({
    num_experts: z.number().int().positive(),
    decoder_sparse_step: z.number().int().positive().optional(),
    mlp_only_layers: z.array(z.number().int().nonnegative()).optional(),
  })
  .loose();

export function qwen3NextPlan(input: SpecInput): NativeModelPlan {
  const { config: c, weights: w, configFile } = input;
  const h = hybridConfig(input);
  const sparsity = parseWith(sparsitySchema, c.raw, configFile);
  const step = sparsity.decoder_sparse_step ?? 1;
  const denseLayers = new Set(sparsity.mlp_only_layers ?? []);
  for (const layer of denseLayers) {
    if (layer >= c.numLayers) throw new ModelFormatError(configFile, `field 'mlp_only_layers' names layer ${layer}, but the model has ${c.numLayers} (num_hidden_layers)`);
  }
  const moeConfig = { ...h, norm_topk_prob: h.norm_topk_prob ?? false };
  const H = c.hiddenSize;
  const rope = hybridRope(input, h);
  const keyDim = h.linear_num_key_heads * h.linear_key_head_dim;
  const valueDim = h.linear_num_value_heads * h.linear_value_head_dim;
  const channels = 2 * keyDim + valueDim;
  const tensors: TensorTable = {
    token_embd: w.linear('model.embed_tokens', c.vocabSize, H),
    output_norm: w.tensor('model.norm.weight', [H]),
  };
  const layers: LayerPlan[] = [];
  const isLinear = linearLayers(h, c.numLayers, configFile);
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}`;
    const b = `blk.${i}.`;
    tensors[`${b}attn_norm`] = w.tensor(`${p}.input_layernorm.weight`, [H]);
    let mixer: LayerPlan['mixer'];
    if (isLinear[i]) {
      const la = `${p}.linear_attn`;
      tensors[`${b}ssm_in_qkvz`] = w.linear(`${la}.in_proj_qkvz`, channels + valueDim, H);
      tensors[`${b}ssm_in_ba`] = w.linear(`${la}.in_proj_ba`, 2 * h.linear_num_value_heads, H);
      mixer = deltaNetRest(input, h, la, b, tensors);
    } else {
      mixer = gatedAttention(input, rope, p, b, tensors);
    }
    tensors[`${b}ffn_norm`] = w.tensor(`${p}.post_attention_layernorm.weight`, [H]);
    const sparse = !denseLayers.has(i) && (i + 1) % step === 0;
    layers.push({ mixer, mlp: sparse ? moeMlp(input, moeConfig, p, b, tensors) : denseMlp(input, p, b, tensors) });
  }
  addOutput(input, '', tensors);
  return { arch: 'decoder', hiddenSize: H, vocabSize: c.vocabSize, rmsNormEps: c.rmsNormEps, layers, tensors, threads: input.threads };
}
