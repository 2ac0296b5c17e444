// The gpt-oss test models in the mlx-community layout: q/k/v/o with biases, `self_attn.sinks` per head, a router
// with a bias (`mlp.router`), stacked experts with biases (`mlp.experts.{gate,up,down}_proj`), layers alternating
// sliding window / full attention, YaRN RoPE. The config.json fields follow openai/gpt-oss-20b's; the quantization
// follows mlx-lm's gpt_oss recipe (routers at 8 bits) and the MXFP4 conversions (experts in mxfp4, the rest 8-bit).
import type { GgufKv } from './gguf-writer.js';
import type { GptOssDims, ModelDims, QuantSpec, TensorDef, TestShape } from './spec.js';

const O200K_VOCAB = 201088;

export function gptOssDims(shape: TestShape): ModelDims {
  const common = {
    weightPrefix: '', visionTower: false, gemma: null, phi: null, qkvBias: true, qkNorm: false, tied: false,
    rmsNormEps: 1e-5, ropeTheta: 150_000, ropeScaling: null, maxPositionEmbeddings: 131072, vocabSize: O200K_VOCAB,
  };
  const yarn = { factor: 32, betaFast: 32, betaSlow: 1, originalMaxPositionEmbeddings: 4096 };
  if (shape === 'gpt-oss-20b' || shape === 'gpt-oss-20b-6l' || shape === 'gpt-oss-20b-2l') {
    // gpt-oss-20b: 24 layers of 2880, 64 query heads and 8 KV heads of 64, 32 experts of 2880, 4 per token. The -6l
    // variant keeps 6 of the 24 layers (~4 GB in MXFP4 instead of ~12 GB), so the per-layer work is the real model's;
    // the -2l variant one sliding and one full layer (the real-shape suite's).
    return {
      ...common, hiddenSize: 2880, intermediateSize: 2880, numLayers: shape === 'gpt-oss-20b' ? 24 : shape === 'gpt-oss-20b-6l' ? 6 : 2, numHeads: 64, numKvHeads: 8, headDim: 64,
      moe: { numExperts: 32, topK: 4, expertIntermediateSize: 2880, normTopK: false },
      gptOss: { slidingWindow: 128, swigluLimit: 7, yarn },
    };
  }
  if (shape !== 'tiny') throw new RangeError(`shape ${shape} needs another --arch (gpt_oss has tiny, gpt-oss-20b, gpt-oss-20b-6l and gpt-oss-20b-2l)`);
  // Two layers (one sliding, one full); head_dim 32 with 4 heads (q width 128 != hidden 64, as 4096 vs 2880); a
  // 32-token window so the 256-token parity sequence and the greedy continuation both slide; 8 experts, 2 per token.
  return {
    ...common, hiddenSize: 64, intermediateSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 32,
    moe: { numExperts: 8, topK: 2, expertIntermediateSize: 64, normTopK: false },
    gptOss: { slidingWindow: 32, swigluLimit: 7, yarn },
  };
}

export function gptOssSliding(i: number): boolean {
  return i % 2 === 0;
}

export function gptOssLayerDefs(dims: ModelDims, p: string, spread: boolean, lin: (fanIn: number) => number): TensorDef[] {
  const { hiddenSize: h, numHeads, numKvHeads, headDim } = dims;
  const { numExperts: e, expertIntermediateSize: fe } = dims.moe!;
  const qOut = numHeads * headDim;
  const kvOut = numKvHeads * headDim;
  return [
    { name: `${p}.input_layernorm.weight`, kind: 'norm', shape: [h], std: 0.1 },
    { name: `${p}.self_attn.q_proj`, kind: 'linear', shape: [qOut, h], std: lin(h) },
    { name: `${p}.self_attn.q_proj.bias`, kind: 'bias', shape: [qOut], std: 0.1 },
    { name: `${p}.self_attn.k_proj`, kind: 'linear', shape: [kvOut, h], std: lin(h) },
    { name: `${p}.self_attn.k_proj.bias`, kind: 'bias', shape: [kvOut], std: 0.1 },
    { name: `${p}.self_attn.v_proj`, kind: 'linear', shape: [kvOut, h], std: lin(h) },
    { name: `${p}.self_attn.v_proj.bias`, kind: 'bias', shape: [kvOut], std: 0.1 },
    { name: `${p}.self_attn.o_proj`, kind: 'linear', shape: [h, qOut], std: lin(qOut) },
    { name: `${p}.self_attn.o_proj.bias`, kind: 'bias', shape: [h], std: 0.1 },
    // Sink logits of the size of typical attention logits, so they take a visible share of the softmax.
    { name: `${p}.self_attn.sinks`, kind: 'bias', shape: [numHeads], std: 1 },
    { name: `${p}.post_attention_layernorm.weight`, kind: 'norm', shape: [h], std: 0.1 },
    // A router spread wide enough that tokens pick different experts, like a trained router.
    { name: `${p}.mlp.router`, kind: 'linear', shape: [e, h], std: spread ? 2 / Math.sqrt(h) : 0.02 },
    { name: `${p}.mlp.router.bias`, kind: 'bias', shape: [e], std: spread ? 0.5 : 0.02 },
    // Expert weights large enough (parity init) that some gate/up values pass the ±7 clamp.
    { name: `${p}.mlp.experts.gate_proj`, kind: 'experts', shape: [e, fe, h], std: spread ? 3 * lin(h) : lin(h) },
    { name: `${p}.mlp.experts.gate_proj.bias`, kind: 'bias', shape: [e, fe], std: 0.1 },
    { name: `${p}.mlp.experts.up_proj`, kind: 'experts', shape: [e, fe, h], std: spread ? 3 * lin(h) : lin(h) },
    { name: `${p}.mlp.experts.up_proj.bias`, kind: 'bias', shape: [e, fe], std: 0.1 },
    { name: `${p}.mlp.experts.down_proj`, kind: 'experts', shape: [e, h, fe], std: spread ? lin(fe) / 3 : lin(fe) },
    { name: `${p}.mlp.experts.down_proj.bias`, kind: 'bias', shape: [e, h], std: 0.1 },
  ];
}

/**
 * mlx-lm quantizes gpt-oss routers at 8 bits (group 64) whatever the global width; the MXFP4 conversions keep the
 * experts in mxfp4 and every other Linear (embedding, attention, routers, lm_head) at 8-bit affine.
 */
export function gptOssQuantOverrides(defs: TensorDef[], quant: QuantSpec): Record<string, QuantSpec> {
  const eight: QuantSpec = { bits: 8, groupSize: 64, mode: 'affine' };
  const out: Record<string, QuantSpec> = {};
  for (const def of defs) {
    if (def.kind !== 'linear' && def.kind !== 'embedding') continue;
    if (quant.mode === 'mxfp4' || def.name.endsWith('.mlp.router')) out[def.name] = eight;
  }
  if (quant.mode !== 'mxfp4' && quant.bits === 8 && quant.groupSize === 64) return {};
  return out;
}

/** config.json fields of openai/gpt-oss-20b (as mlx-lm copies them). */
export function gptOssConfigFields(dims: ModelDims, eosTokenId: number, padTokenId: number | null): Record<string, unknown> {
  const g = dims.gptOss!;
  const moe = dims.moe!;
  return {
    architectures: ['GptOssForCausalLM'], model_type: 'gpt_oss', head_dim: dims.headDim, attention_bias: true,
    attention_dropout: 0.0, eos_token_id: eosTokenId, pad_token_id: padTokenId, experts_per_token: moe.topK,
    num_experts_per_tok: moe.topK, num_local_experts: moe.numExperts, initial_context_length: g.yarn.originalMaxPositionEmbeddings,
    layer_types: Array.from({ length: dims.numLayers }, (_, i) => (gptOssSliding(i) ? 'sliding_attention' : 'full_attention')),
    output_router_logits: false, router_aux_loss_coef: 0.9, sliding_window: g.slidingWindow, swiglu_limit: g.swigluLimit,
    rope_scaling: {
      beta_fast: g.yarn.betaFast, beta_slow: g.yarn.betaSlow, factor: g.yarn.factor,
      original_max_position_embeddings: g.yarn.originalMaxPositionEmbeddings, rope_type: 'yarn', truncate: false,
    },
  };
}

/** llama.cpp's gpt-oss keys beyond the common ones: the window and YaRN (its converter's names). */
export function gptOssGgufMetadata(p: string, g: GptOssDims): Array<[string, GgufKv]> {
  return [
    [`${p}.attention.sliding_window`, { type: 'u32', value: g.slidingWindow }],
    [`${p}.rope.scaling.type`, { type: 'string', value: 'yarn' }],
    [`${p}.rope.scaling.factor`, { type: 'f32', value: g.yarn.factor }],
    [`${p}.rope.scaling.original_context_length`, { type: 'u32', value: g.yarn.originalMaxPositionEmbeddings }],
    [`${p}.rope.scaling.yarn_beta_fast`, { type: 'f32', value: g.yarn.betaFast }],
    [`${p}.rope.scaling.yarn_beta_slow`, { type: 'f32', value: g.yarn.betaSlow }],
  ];
}
