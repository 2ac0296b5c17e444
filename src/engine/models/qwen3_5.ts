// Qwen3.5 / 3.6 (dense, and qwen3_5_moe): a hybrid of Gated DeltaNet linear attention and gated full attention. config.json's
// layer_types names each layer ('linear_attention' | 'full_attention'); without it every full_attention_interval-th
// layer (4 by default) is full attention. Full attention has q/k RMSNorm, a sigmoid output gate emitted by q_proj
// beside each query head, and RoPE over the leading partial_rotary_factor of each head. The mlx-community
// checkpoints keep the text model under `language_model.` (mlx-lm's sanitize has already folded the (1+w) norms
// into plain RMSNorm weights and laid conv1d out as [channels, kernel, 1]). qwen3_5_moe replaces every MLP by a
// mixture of experts (softmax router `mlp.gate`, renormalised top-k, `switch_mlp` stacks) plus a shared expert
// scaled by sigmoid(`shared_expert_gate` · x).
import { z } from 'zod';
import { ModelFormatError } from '../errors.js';
import { parseWith } from '../json-file.js';
import type { LayerPlan, MlpPlan, NativeModelPlan, RopePlan } from '../plan.js';
import { addOutput, denseMlp, type SpecInput, type TensorTable } from './common.js';

const hybridSchema = z
  .object({
    layer_types: z.array(z.enum(['linear_attention', 'full_attention'])).optional(),
    full_attention_interval: z.number().int().positive().optional(),
    linear_num_key_heads: z.number().int().positive(),
    linear_num_value_heads: z.number().int().positive(),
    linear_key_head_dim: z.number().int().positive(),
    linear_value_head_dim: z.number().int().positive(),
    // The conv kernel holds its taps' row pointers in a fixed array (kMaxConvKernel in native kernels.h).
    linear_conv_kernel_dim: z.number().int().positive().max(16),
    partial_rotary_factor: z.number().positive().max(1).optional(),
    rope_parameters: z.object({ partial_rotary_factor: z.number().positive().max(1).optional() }).loose().nullish(),
    num_experts: z.number().int().nonnegative().optional(),
    num_experts_per_tok: z.number().int().positive().optional(),
    moe_intermediate_size: z.number().int().positive().optional(),
    shared_expert_intermediate_size: z.number().int().nonnegative().optional(),
    norm_topk_prob: z.boolean().optional(),
  })
  .loose();

export type HybridConfig = z.output<typeof hybridSchema>;

/** Per layer: whether it is a linear-attention (Gated DeltaNet) layer. */
export function linearLayers(c: HybridConfig, numLayers: number, configFile: string): boolean[] {
  if (c.layer_types) {
    if (c.layer_types.length !== numLayers) {
      throw new ModelFormatError(configFile, `field 'layer_types' has ${c.layer_types.length} entries, expected num_hidden_layers (${numLayers})`);
    }
    return c.layer_types.map((t) => t === 'linear_attention');
  }
  const every = c.full_attention_interval ?? 4;
  return Array.from({ length: numLayers }, (_, i) => (i + 1) % every !== 0);
}

/** The hybrid's config fields, checked (key heads dividing value heads). */
export function hybridConfig(input: SpecInput): HybridConfig {
  const h = parseWith(hybridSchema, input.config.raw, input.configFile);
  if (h.linear_num_value_heads % h.linear_num_key_heads !== 0) {
    throw new ModelFormatError(input.configFile, `field 'linear_num_key_heads' (${h.linear_num_key_heads}) must divide linear_num_value_heads (${h.linear_num_value_heads})`);
  }
  return h;
}

/** The full-attention layers' RoPE: NeoX over the leading partial_rotary_factor (0.25 by default) of each head. */
export function hybridRope(input: SpecInput, h: HybridConfig): RopePlan {
  const c = input.config;
  const factor = h.rope_parameters?.partial_rotary_factor ?? h.partial_rotary_factor ?? 0.25;
  const rotaryDims = Math.floor((c.headDim * factor) / 2) * 2;
  if (rotaryDims < 2) throw new ModelFormatError(input.configFile, `field 'partial_rotary_factor' (${factor}) leaves no rotary dims of head_dim ${c.headDim}`);
  return { kind: 'neox', theta: c.ropeTheta, rotaryDims };
}

/** A gated full-attention layer: q_proj emits each head's query and its sigmoid output gate; q/k RMSNorm. */
export function gatedAttention(input: SpecInput, rope: RopePlan, p: string, b: string, tensors: TensorTable): LayerPlan['mixer'] {
  const { config: c, weights: w } = input;
  const H = c.hiddenSize;
  const qOut = c.numHeads * c.headDim;
  const kvOut = c.numKvHeads * c.headDim;
  tensors[`${b}attn_q`] = w.linear(`${p}.self_attn.q_proj`, 2 * qOut, H);
  tensors[`${b}attn_k`] = w.linear(`${p}.self_attn.k_proj`, kvOut, H);
  tensors[`${b}attn_v`] = w.linear(`${p}.self_attn.v_proj`, kvOut, H);
  tensors[`${b}attn_output`] = w.linear(`${p}.self_attn.o_proj`, H, qOut);
  tensors[`${b}attn_q_norm`] = w.tensor(`${p}.self_attn.q_norm.weight`, [c.headDim]);
  tensors[`${b}attn_k_norm`] = w.tensor(`${p}.self_attn.k_norm.weight`, [c.headDim]);
  return {
    kind: 'attention', numHeads: c.numHeads, numKvHeads: c.numKvHeads, headDim: c.headDim,
    qkNorm: true, qkvBias: false, outputGate: true, rope,
  };
}

/**
 * A Gated DeltaNet layer's tensors after its in-projections (which qwen3_5 keeps apart and qwen3_next fuses): the
 * conv, the decay's A_log and dt_bias, the gated norm and the out projection; returns the layer's mixer plan.
 */
export function deltaNetRest(input: SpecInput, h: HybridConfig, la: string, b: string, tensors: TensorTable): LayerPlan['mixer'] {
  const { weights: w, config: c } = input;
  const valueDim = h.linear_num_value_heads * h.linear_value_head_dim;
  const channels = 2 * h.linear_num_key_heads * h.linear_key_head_dim + valueDim;
  tensors[`${b}ssm_conv1d`] = w.tensor(`${la}.conv1d.weight`, [channels, h.linear_conv_kernel_dim, 1]);
  tensors[`${b}ssm_a_log`] = w.tensor(`${la}.A_log`, [h.linear_num_value_heads]);
  tensors[`${b}ssm_dt_bias`] = w.tensor(`${la}.dt_bias`, [h.linear_num_value_heads]);
  tensors[`${b}ssm_norm`] = w.tensor(`${la}.norm.weight`, [h.linear_value_head_dim]);
  tensors[`${b}ssm_out`] = w.linear(`${la}.out_proj`, c.hiddenSize, valueDim);
  return {
    kind: 'gated_deltanet', numKHeads: h.linear_num_key_heads, numVHeads: h.linear_num_value_heads,
    headKDim: h.linear_key_head_dim, headVDim: h.linear_value_head_dim, convKernel: h.linear_conv_kernel_dim,
  };
}

export function qwen3_5Plan(input: SpecInput): NativeModelPlan {
  const { config: c, weights: w, configFile } = input;
  const h = hybridConfig(input);
  const pre = w.has('language_model.model.embed_tokens.weight') ? 'language_model.' : '';
  const H = c.hiddenSize;
  const rope = hybridRope(input, h);
  const keyDim = h.linear_num_key_heads * h.linear_key_head_dim;
  const valueDim = h.linear_num_value_heads * h.linear_value_head_dim;
  const channels = 2 * keyDim + valueDim;
  const tensors: TensorTable = {
    token_embd: w.linear(`${pre}model.embed_tokens`, c.vocabSize, H),
    output_norm: w.tensor(`${pre}model.norm.weight`, [H]),
  };
  const layers: LayerPlan[] = [];
  const isLinear = linearLayers(h, c.numLayers, configFile);
  for (let i = 0; i < c.numLayers; i++) {
    const p = `${pre}model.layers.${i}`;
    const b = `blk.${i}.`;
    tensors[`${b}attn_norm`] = w.tensor(`${p}.input_layernorm.weight`, [H]);
    let mixer: LayerPlan['mixer'];
    if (isLinear[i]) {
      const la = `${p}.linear_attn`;
      tensors[`${b}ssm_in_qkv`] = w.linear(`${la}.in_proj_qkv`, channels, H);
      tensors[`${b}ssm_in_z`] = w.linear(`${la}.in_proj_z`, valueDim, H);
      tensors[`${b}ssm_in_b`] = w.linear(`${la}.in_proj_b`, h.linear_num_value_heads, H);
      tensors[`${b}ssm_in_a`] = w.linear(`${la}.in_proj_a`, h.linear_num_value_heads, H);
      mixer = deltaNetRest(input, h, la, b, tensors);
    } else {
      mixer = gatedAttention(input, rope, p, b, tensors);
    }
    tensors[`${b}ffn_norm`] = w.tensor(`${p}.post_attention_layernorm.weight`, [H]);
    layers.push({ mixer, mlp: h.num_experts ? moeMlp(input, h, p, b, tensors) : denseMlp(input, p, b, tensors) });
  }
  addOutput(input, pre, tensors);
  return { arch: 'decoder', hiddenSize: H, vocabSize: c.vocabSize, rmsNormEps: c.rmsNormEps, layers, tensors, threads: input.threads };
}

export function moeMlp(input: SpecInput, h: HybridConfig, p: string, b: string, tensors: TensorTable): MlpPlan {
  const { config: c, weights: w, configFile } = input;
  const H = c.hiddenSize;
  const E = h.num_experts!;
  const need = (key: 'num_experts_per_tok' | 'moe_intermediate_size') => {
    const v = h[key];
    if (v === undefined) throw new ModelFormatError(configFile, `field '${key}' is required when num_experts is set`);
    return v;
  };
  const topK = need('num_experts_per_tok');
  const I = need('moe_intermediate_size');
  if (topK > E) throw new ModelFormatError(configFile, `field 'num_experts_per_tok' (${topK}) must be <= num_experts (${E})`);
  tensors[`${b}ffn_gate_inp`] = w.linear(`${p}.mlp.gate`, E, H);
  tensors[`${b}ffn_gate_exps`] = w.experts(`${p}.mlp.switch_mlp.gate_proj`, E, I, H);
  tensors[`${b}ffn_up_exps`] = w.experts(`${p}.mlp.switch_mlp.up_proj`, E, I, H);
  tensors[`${b}ffn_down_exps`] = w.experts(`${p}.mlp.switch_mlp.down_proj`, E, H, I);
  const S = h.shared_expert_intermediate_size ?? 0;
  if (S > 0) {
    tensors[`${b}ffn_gate_shexp`] = w.linear(`${p}.mlp.shared_expert.gate_proj`, S, H);
    tensors[`${b}ffn_up_shexp`] = w.linear(`${p}.mlp.shared_expert.up_proj`, S, H);
    tensors[`${b}ffn_down_shexp`] = w.linear(`${p}.mlp.shared_expert.down_proj`, H, S);
    tensors[`${b}ffn_gate_inp_shexp`] = w.linear(`${p}.mlp.shared_expert_gate`, 1, H);
  }
  return {
    kind: 'moe', activation: 'silu', numExperts: E, topK, expertIntermediateSize: I, scoring: 'softmax',
    normTopK: h.norm_topk_prob ?? true, ...(S > 0 ? { sharedExpert: { intermediateSize: S, gated: true } } : {}),
  };
}
