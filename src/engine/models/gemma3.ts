// Gemma 3 (model_type gemma3_text; and gemma3, the VLM checkpoint whose text model sits under `language_model.`
// beside a SigLIP vision tower that is left unread). Per layer: sandwich RMSNorms (pre and post around attention and
// around the MLP, all multiplying by 1 + w), per-head q/k RMSNorm, q·k scaled by query_pre_attn_scalar^-1/2, and a
// GeLU (tanh) gated MLP. Five local layers (sliding window, RoPE base rope_local_base_freq) alternate with one global
// layer (full attention, rope_theta and the configured linear scaling). Embeddings are scaled by sqrt(hidden_size),
// rounded to bfloat16 as mlx-lm and transformers do.
import { z } from 'zod';
import { ModelFormatError, UnsupportedModelError } from '../errors.js';
import { parseWith } from '../json-file.js';
import { attentionOf, type NativeModelPlan, type RopePlan } from '../plan.js';
import { decoderPlan, type SpecInput } from './common.js';

export const GEMMA3_TEXT_PREFIX = 'language_model.';

const gemma3Schema = z
  .object({
    sliding_window: z.number().int().positive(),
    sliding_window_pattern: z.number().int().positive().optional(),
    layer_types: z.array(z.enum(['sliding_attention', 'full_attention'])).optional(),
    query_pre_attn_scalar: z.number().positive().optional(),
    rope_local_base_freq: z.number().positive().optional(),
    hidden_activation: z.string().optional(),
    attn_logit_softcapping: z.number().positive().nullish(),
    final_logit_softcapping: z.number().positive().nullish(),
  })
  .loose();

/** Rounds to the nearest bfloat16 (ties to even). */
function toBf16(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  u[0] = (u[0] + 0x7fff + ((u[0] >>> 16) & 1)) & 0xffff0000;
  return f[0];
}

/** Per layer: whether it is a local (sliding-window) layer. */
export function gemma3SlidingLayers(raw: Record<string, unknown>, numLayers: number, configFile: string): boolean[] {
  const g = parseWith(gemma3Schema, raw, configFile);
  if (g.layer_types) {
    if (g.layer_types.length !== numLayers) {
      throw new ModelFormatError(configFile, `field 'layer_types' has ${g.layer_types.length} entries, expected num_hidden_layers (${numLayers})`);
    }
    return g.layer_types.map((t) => t === 'sliding_attention');
  }
  const pattern = g.sliding_window_pattern ?? 6;
  return Array.from({ length: numLayers }, (_, i) => (i + 1) % pattern !== 0);
}

export function gemma3Plan(input: SpecInput, prefix = ''): NativeModelPlan {
  const { config: c, weights: w, configFile } = input;
  const g = parseWith(gemma3Schema, c.raw, configFile);
  if (g.hidden_activation && g.hidden_activation !== 'gelu_pytorch_tanh') {
    throw new UnsupportedModelError(configFile, `hidden_activation '${g.hidden_activation}' is not supported for ${c.modelType} (supported: gelu_pytorch_tanh)`);
  }
  if (g.final_logit_softcapping) throw new UnsupportedModelError(configFile, `final_logit_softcapping is not supported for ${c.modelType}`);
  const sliding = gemma3SlidingLayers(c.raw, c.numLayers, configFile);
  const plan = decoderPlan(input, { qkNorm: true, qkvBias: false, prefix });
  const H = c.hiddenSize;
  plan.arch = 'gemma';
  plan.embedScale = toBf16(Math.sqrt(H));
  plan.normOffset = 1;
  const local: RopePlan = { kind: 'neox', theta: g.rope_local_base_freq ?? 10_000, rotaryDims: c.headDim };
  plan.layers.forEach((layer, i) => {
    const p = `${prefix}model.layers.${i}`;
    const b = `blk.${i}.`;
    // decoderPlan named post_attention_layernorm the MLP's input norm; in Gemma it closes the attention sandwich.
    plan.tensors[`${b}post_attention_norm`] = plan.tensors[`${b}ffn_norm`]!;
    plan.tensors[`${b}ffn_norm`] = w.tensor(`${p}.pre_feedforward_layernorm.weight`, [H]);
    plan.tensors[`${b}post_ffw_norm`] = w.tensor(`${p}.post_feedforward_layernorm.weight`, [H]);
    layer.mlp.activation = 'gelu_tanh';
    const attention = attentionOf(layer);
    attention.queryScale = (g.query_pre_attn_scalar ?? c.headDim) ** -0.5;
    if (g.attn_logit_softcapping) attention.softcap = g.attn_logit_softcapping;
    if (sliding[i]) {
      attention.slidingWindow = g.sliding_window;
      attention.rope = local;
    }
  });
  return plan;
}
