// Phi-3 / Phi-4-mini (model_type phi3): the pre-norm decoder with fused projections (qkv_proj = [q; k; v] rows,
// gate_up_proj = [gate; up] rows), partial rotary (partial_rotary_factor of each head rotates) and longrope ("su")
// scaling: one divisor per rotation pair, the short factors while the context stays within
// original_max_position_embeddings and the long ones beyond it (as llama.cpp picks them), with the magnitude
// correction sqrt(1 + ln(max/original) / ln(original)) on cos and sin.
import { z } from 'zod';
import { ModelFormatError, UnsupportedModelError } from '../errors.js';
import { parseWith } from '../json-file.js';
import type { LayerPlan, NativeModelPlan, RopePlan } from '../plan.js';
import { splitRows } from '../weights.js';
import { addOutput, type SpecInput, type TensorTable } from './common.js';

const phi3Schema = z
  .object({
    partial_rotary_factor: z.number().positive().max(1).optional(),
    original_max_position_embeddings: z.number().int().positive().optional(),
    rope_scaling: z
      .object({
        type: z.string().optional(),
        rope_type: z.string().optional(),
        short_factor: z.array(z.number().positive()).optional(),
        long_factor: z.array(z.number().positive()).optional(),
        original_max_position_embeddings: z.number().int().positive().optional(),
      })
      .loose()
      .nullish(),
  })
  .loose();

function phi3Rope(input: SpecInput, rotaryDims: number): RopePlan {
  const { config: c, configFile } = input;
  const g = parseWith(phi3Schema, c.raw, configFile);
  const rope: RopePlan = { kind: 'neox', theta: c.ropeTheta, rotaryDims };
  const s = g.rope_scaling;
  if (!s) return rope;
  const type = s.rope_type ?? s.type;
  if (type !== 'longrope' && type !== 'su') {
    throw new UnsupportedModelError(configFile, `rope_scaling.type '${String(type)}' is not supported for phi3 (supported: longrope)`);
  }
  const original = s.original_max_position_embeddings ?? g.original_max_position_embeddings;
  if (!original) throw new ModelFormatError(configFile, `field 'original_max_position_embeddings' is required for longrope`);
  const context = Math.min(input.contextLength ?? c.maxPositionEmbeddings, c.maxPositionEmbeddings);
  const key = context > original ? 'long_factor' : 'short_factor';
  const factors = s[key];
  if (!factors || factors.length !== rotaryDims / 2) {
    throw new ModelFormatError(configFile, `field 'rope_scaling.${key}' must hold ${rotaryDims / 2} numbers (rotary dims / 2)`);
  }
  const scale = c.maxPositionEmbeddings / original;
  const attentionFactor = scale <= 1 ? 1 : Math.sqrt(1 + Math.log(scale) / Math.log(original));
  return { ...rope, scaling: { type: 'longrope', freqFactors: factors, attentionFactor } };
}

export function phi3Plan(input: SpecInput): NativeModelPlan {
  const { config: c, weights: w, configFile } = input;
  if (c.attentionBias) throw new UnsupportedModelError(configFile, `attention_bias true is not supported for phi3`);
  const g = parseWith(phi3Schema, c.raw, configFile);
  const rotaryDims = Math.round(c.headDim * (g.partial_rotary_factor ?? 1));
  if (rotaryDims % 2 || rotaryDims < 2) throw new ModelFormatError(configFile, `field 'partial_rotary_factor' gives ${rotaryDims} rotary dims (must be even and >= 2)`);
  const rope = phi3Rope(input, rotaryDims);
  const H = c.hiddenSize, I = c.intermediateSize;
  const qOut = c.numHeads * c.headDim, kvOut = c.numKvHeads * c.headDim;
  const tensors: TensorTable = {
    token_embd: w.linear('model.embed_tokens', c.vocabSize, H),
    output_norm: w.tensor('model.norm.weight', [H]),
  };
  const layers: LayerPlan[] = [];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}`;
    const b = `blk.${i}.`;
    tensors[`${b}attn_norm`] = w.tensor(`${p}.input_layernorm.weight`, [H]);
    [tensors[`${b}attn_q`], tensors[`${b}attn_k`], tensors[`${b}attn_v`]] = splitRows(w.linear(`${p}.self_attn.qkv_proj`, qOut + 2 * kvOut, H), [qOut, kvOut, kvOut]);
    tensors[`${b}attn_output`] = w.linear(`${p}.self_attn.o_proj`, H, qOut);
    tensors[`${b}ffn_norm`] = w.tensor(`${p}.post_attention_layernorm.weight`, [H]);
    [tensors[`${b}ffn_gate`], tensors[`${b}ffn_up`]] = splitRows(w.linear(`${p}.mlp.gate_up_proj`, 2 * I, H), [I, I]);
    tensors[`${b}ffn_down`] = w.linear(`${p}.mlp.down_proj`, H, I);
    layers.push({
      mixer: { kind: 'attention', numHeads: c.numHeads, numKvHeads: c.numKvHeads, headDim: c.headDim, qkNorm: false, qkvBias: false, rope },
      mlp: { kind: 'gated', activation: 'silu', intermediateSize: I },
    });
  }
  addOutput(input, '', tensors);
  return { arch: 'decoder', hiddenSize: H, vocabSize: c.vocabSize, rmsNormEps: c.rmsNormEps, layers, tensors, threads: input.threads };
}
