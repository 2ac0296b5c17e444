// Gemma 4 (model_type gemma4_text; and gemma4, the multimodal checkpoint whose text model sits under
// `language_model.` beside vision and audio towers that are left unread). Over Gemma 3 it changes:
// * norms multiply by w (not 1 + w); q·k is not scaled (scale 1: q and k are RMS-normed per head), and v gets an
//   RMSNorm without weight;
// * sliding layers (head_dim, num_key_value_heads, the sliding RoPE base) and full layers (global_head_dim,
//   num_global_key_value_heads, "proportional" RoPE: the first partial_rotary_factor of the pairs (i, i + d/2)
//   rotate, at the frequencies of the whole head) differ in shape; with attention_k_eq_v, full layers have no v_proj
//   and take v from k_proj;
// * the last num_kv_shared_layers layers compute no k/v: each attends over the cache of the last earlier layer of its
//   type; with use_double_wide_mlp their MLP is twice as wide;
// * per-layer inputs (hidden_size_per_layer_input > 0): a second embedding per token and layer, mixed with a
//   projection of the embedding, gates a small residual branch at the end of every layer;
// * every layer's output is multiplied by its layer_scalar, and the logits are soft-capped (final_logit_softcapping).
// * with enable_moe_block (26B-A4B) every layer runs experts beside its dense MLP (gemma4-moe.ts).
import { z } from 'zod';
import { ModelFormatError, UnsupportedModelError } from '../errors.js';
import { parseWith } from '../json-file.js';
import type { AttentionPlan, LayerPlan, NativeModelPlan, RopePlan } from '../plan.js';
import { addOutput, type SpecInput, type TensorTable } from './common.js';
import { gemma4Experts, gemma4MoeSchema } from './gemma4-moe.js';

export const GEMMA4_TEXT_PREFIX = 'language_model.';

const ropeEntry = z
  .object({ rope_type: z.string().optional(), rope_theta: z.number().positive().optional(), partial_rotary_factor: z.number().positive().max(1).optional() })
  .loose();

const gemma4Schema = z
  .object({
    layer_types: z.array(z.enum(['sliding_attention', 'full_attention'])),
    sliding_window: z.number().int().positive(),
    global_head_dim: z.number().int().positive().optional(),
    num_global_key_value_heads: z.number().int().positive().nullish(),
    attention_k_eq_v: z.boolean().optional(),
    num_kv_shared_layers: z.number().int().nonnegative().optional(),
    hidden_size_per_layer_input: z.number().int().nonnegative().nullish(),
    vocab_size_per_layer_input: z.number().int().positive().optional(),
    use_double_wide_mlp: z.boolean().optional(),
    final_logit_softcapping: z.number().positive().nullish(),
    hidden_activation: z.string().optional(),
    attention_bias: z.boolean().optional(),
    rope_parameters: z.object({ full_attention: ropeEntry.optional(), sliding_attention: ropeEntry.optional() }).loose().nullish(),
  })
  .loose()
  .and(gemma4MoeSchema);

type Gemma4Config = z.output<typeof gemma4Schema>;

/** The RoPE of each layer type: sliding layers rotate their leading dims, full layers use proportional RoPE. */
function ropes(g: Gemma4Config, slidingHeadDim: number, fullHeadDim: number, configFile: string): { sliding: RopePlan; full: RopePlan } {
  const s = g.rope_parameters?.sliding_attention ?? {};
  const f = g.rope_parameters?.full_attention ?? {};
  for (const [name, entry, allowed] of [['sliding_attention', s, ['default']], ['full_attention', f, ['default', 'proportional']]] as const) {
    const type = entry.rope_type ?? 'default';
    if (!(allowed as readonly string[]).includes(type)) {
      throw new UnsupportedModelError(configFile, `rope_parameters.${name}.rope_type '${type}' is not supported for gemma4 (supported: ${allowed.join(', ')})`);
    }
  }
  const slidingDims = Math.floor((slidingHeadDim * (s.partial_rotary_factor ?? 1)) / 2) * 2;
  const sliding: RopePlan = { kind: 'neox', theta: s.rope_theta ?? 10_000, rotaryDims: slidingDims };
  const theta = f.rope_theta ?? 1_000_000;
  const factor = f.partial_rotary_factor ?? 1;
  if ((f.rope_type ?? 'default') === 'default') {
    return { sliding, full: { kind: 'neox', theta, rotaryDims: Math.floor((fullHeadDim * factor) / 2) * 2 } };
  }
  const rotatedPairs = Math.floor((fullHeadDim * factor) / 2);
  if (rotatedPairs < 1) throw new ModelFormatError(configFile, `field 'rope_parameters.full_attention.partial_rotary_factor' (${factor}) leaves no rotary dims`);
  return { sliding, full: { kind: 'neox', theta, rotaryDims: fullHeadDim, scaling: { type: 'proportional', rotatedPairs } } };
}

function checkSupported(g: Gemma4Config, vocabSize: number, configFile: string): void {
  if (g.attention_bias) throw new UnsupportedModelError(configFile, `attention_bias is not supported for gemma4`);
  if (g.hidden_activation && g.hidden_activation !== 'gelu_pytorch_tanh') {
    throw new UnsupportedModelError(configFile, `hidden_activation '${g.hidden_activation}' is not supported for gemma4 (supported: gelu_pytorch_tanh)`);
  }
  if (g.hidden_size_per_layer_input && g.vocab_size_per_layer_input !== undefined && g.vocab_size_per_layer_input !== vocabSize) {
    throw new UnsupportedModelError(configFile, `vocab_size_per_layer_input (${g.vocab_size_per_layer_input}) must equal vocab_size (${vocabSize}) for gemma4`);
  }
}

/** Per layer: the earlier layer whose k/v cache it reads, or -1 when it computes its own. */
export function gemma4KvSources(types: readonly string[], shared: number): number[] {
  const first = types.length - shared;
  return types.map((t, i) => (i < first ? -1 : types.slice(0, first).lastIndexOf(t)));
}

export function gemma4Plan(input: SpecInput, prefix = ''): NativeModelPlan {
  const { config: c, weights: w, configFile } = input;
  const g = parseWith(gemma4Schema, c.raw, configFile);
  checkSupported(g, c.vocabSize, configFile);
  const L = c.numLayers;
  const H = c.hiddenSize;
  if (g.layer_types.length !== L) {
    throw new ModelFormatError(configFile, `field 'layer_types' has ${g.layer_types.length} entries, expected num_hidden_layers (${L})`);
  }
  const shared = g.num_kv_shared_layers ?? 0;
  const sources = gemma4KvSources(g.layer_types, shared);
  sources.forEach((src, i) => {
    if (src === -1 && i >= L - shared) {
      throw new ModelFormatError(configFile, `field 'num_kv_shared_layers' (${shared}): layer ${i} (${g.layer_types[i]}) has no earlier layer of its type to share`);
    }
  });
  const fullHeadDim = g.global_head_dim ?? c.headDim;
  const { sliding, full } = ropes(g, c.headDim, fullHeadDim, configFile);
  const P = g.hidden_size_per_layer_input ?? 0;
  const pre = `${prefix}model.`;
  const tensors: TensorTable = {
    token_embd: w.linear(`${pre}embed_tokens`, c.vocabSize, H),
    output_norm: w.tensor(`${pre}norm.weight`, [H]),
  };
  if (P > 0) {
    tensors['per_layer_token_embd'] = w.linear(`${pre}embed_tokens_per_layer`, c.vocabSize, L * P);
    tensors['per_layer_model_proj'] = w.linear(`${pre}per_layer_model_projection`, L * P, H);
    tensors['per_layer_proj_norm'] = w.tensor(`${pre}per_layer_projection_norm.weight`, [P]);
  }
  const layers: LayerPlan[] = [];
  for (let i = 0; i < L; i++) {
    const p = `${pre}layers.${i}`;
    const b = `blk.${i}.`;
    const isFull = g.layer_types[i] === 'full_attention';
    const headDim = isFull ? fullHeadDim : c.headDim;
    const numKvHeads = isFull ? g.num_global_key_value_heads ?? c.numKvHeads : c.numKvHeads;
    if (c.numHeads % numKvHeads !== 0) throw new ModelFormatError(configFile, `layer ${i}: ${numKvHeads} key/value heads must divide num_attention_heads (${c.numHeads})`);
    const attention: AttentionPlan = {
      kind: 'attention', numHeads: c.numHeads, numKvHeads, headDim, qkNorm: true, qkvBias: false, queryScale: 1, valueNorm: true,
      rope: isFull ? full : sliding,
      ...(isFull ? {} : { slidingWindow: g.sliding_window }),
    };
    const qOut = c.numHeads * headDim;
    tensors[`${b}attn_norm`] = w.tensor(`${p}.input_layernorm.weight`, [H]);
    tensors[`${b}attn_q`] = w.linear(`${p}.self_attn.q_proj`, qOut, H);
    tensors[`${b}attn_q_norm`] = w.tensor(`${p}.self_attn.q_norm.weight`, [headDim]);
    if (sources[i] >= 0) {
      attention.kvSource = sources[i];
    } else {
      tensors[`${b}attn_k`] = w.linear(`${p}.self_attn.k_proj`, numKvHeads * headDim, H);
      tensors[`${b}attn_k_norm`] = w.tensor(`${p}.self_attn.k_norm.weight`, [headDim]);
      if (isFull && g.attention_k_eq_v) attention.valueFromKey = true;
      else tensors[`${b}attn_v`] = w.linear(`${p}.self_attn.v_proj`, numKvHeads * headDim, H);
    }
    tensors[`${b}attn_output`] = w.linear(`${p}.self_attn.o_proj`, H, qOut);
    tensors[`${b}post_attention_norm`] = w.tensor(`${p}.post_attention_layernorm.weight`, [H]);
    tensors[`${b}ffn_norm`] = w.tensor(`${p}.pre_feedforward_layernorm.weight`, [H]);
    tensors[`${b}post_ffw_norm`] = w.tensor(`${p}.post_feedforward_layernorm.weight`, [H]);
    const I = c.intermediateSize * (sources[i] >= 0 && g.use_double_wide_mlp ? 2 : 1);
    tensors[`${b}ffn_gate`] = w.linear(`${p}.mlp.gate_proj`, I, H);
    tensors[`${b}ffn_up`] = w.linear(`${p}.mlp.up_proj`, I, H);
    tensors[`${b}ffn_down`] = w.linear(`${p}.mlp.down_proj`, H, I);
    if (P > 0) {
      tensors[`${b}inp_gate`] = w.linear(`${p}.per_layer_input_gate`, P, H);
      tensors[`${b}proj`] = w.linear(`${p}.per_layer_projection`, H, P);
      tensors[`${b}post_norm`] = w.tensor(`${p}.post_per_layer_input_norm.weight`, [H]);
    }
    tensors[`${b}layer_output_scale`] = w.tensor(`${p}.layer_scalar`, [1]);
    const moe = gemma4Experts(g, input, p, b, tensors);
    layers.push({ mixer: attention, mlp: { kind: 'gated', activation: 'gelu_tanh', intermediateSize: I }, ...(moe ? { moe } : {}) });
  }
  addOutput(input, prefix, tensors);
  return {
    arch: 'gemma4', hiddenSize: H, vocabSize: c.vocabSize, rmsNormEps: c.rmsNormEps, embedScale: Math.sqrt(H), layers, tensors,
    threads: input.threads,
    ...(g.final_logit_softcapping ? { finalSoftcap: g.final_logit_softcapping } : {}),
    ...(P > 0 ? { perLayerInputSize: P } : {}),
  };
}
