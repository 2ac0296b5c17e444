// The Gemma 4 test models in the mlx-community layout: config.json with the text model under text_config (model_type
// gemma4_text) beside vision and audio configs, tensors under `language_model.` beside token vision and audio towers.
// Sliding and full layers differ in head_dim and key/value heads; full layers take v from k_proj (attention_k_eq_v);
// the last layers share the KV cache of earlier ones and have double-wide MLPs; per-layer inputs; layer_scalar.
// The GGUF twin is llama.cpp's gemma4: per-layer arrays, the _swa keys and rope_freqs for proportional RoPE.
// The mixture-of-experts variant (dims.moe, 26B-A4B) adds experts beside every layer's dense MLP, its router at 8 bits
// in quantized models as mlx-lm writes it; no per-layer inputs and no shared KV layers, as in 26B-A4B.
import type { GgufKv, GgufTensorInfo } from './gguf-writer.js';
import { GEMMA4_26B_A4B_2L } from './real-shapes.js';
import type { ModelDims, QuantSpec, TensorDef, TestShape } from './spec.js';

export interface Gemma4Dims {
  layerTypes: Array<'sliding_attention' | 'full_attention'>;
  slidingWindow: number;
  globalHeadDim: number;
  numGlobalKvHeads: number;
  /** attention_k_eq_v: full layers take v from k_proj (31B); E2B/E4B have a v_proj everywhere. */
  kEqV: boolean;
  kvSharedLayers: number;
  perLayerInputSize: number;
  slidingTheta: number;
  /** Fraction of the full layers' rotation pairs that rotate (proportional RoPE). */
  fullPartialRotary: number;
  finalSoftcap: number;
}

// The Gemma 3 tokenizer package stands in (no Gemma 4 one); its padded vocabulary includes the image token.
const GEMMA_VOCAB = 262208;

export function gemma4Dims(shape: TestShape): ModelDims {
  if (shape === 'gemma4-e2b-10l') {
    // Gemma 4 E2B's widths with 10 of its 35 layers (4 sliding : 1 full), the last 5 sharing KV (20 of 35 in E2B),
    // so the last two non-shared layers are sliding then full as in the real model.
    const pattern = ['sliding_attention', 'sliding_attention', 'sliding_attention', 'sliding_attention', 'full_attention'] as const;
    return {
      hiddenSize: 1536, intermediateSize: 6144, numLayers: 10, numHeads: 8, numKvHeads: 1, headDim: 256,
      vocabSize: GEMMA_VOCAB, tied: true, rmsNormEps: 1e-6, ropeTheta: 1_000_000, ropeScaling: null,
      maxPositionEmbeddings: 131072, qkvBias: false, qkNorm: true, weightPrefix: 'language_model.', visionTower: true,
      moe: null, gemma: null, phi: null,
      gemma4: {
        layerTypes: [...pattern, ...pattern], slidingWindow: 512, globalHeadDim: 512, numGlobalKvHeads: 1, kEqV: false,
        kvSharedLayers: 5, perLayerInputSize: 256, slidingTheta: 10_000, fullPartialRotary: 0.25, finalSoftcap: 30,
      },
    };
  }
  if (shape === 'gemma4-26b-a4b-2l') return GEMMA4_26B_A4B_2L;
  if (shape === 'gemma4-moe-tiny') {
    // 26B-A4B's layout at width 64: 8 experts of 64 (a multiple of the group size, so they quantize), 2 per token,
    // beside a dense MLP of 128; v from k_proj in the full layers; no per-layer inputs, no shared KV.
    return {
      hiddenSize: 64, intermediateSize: 128, numLayers: 6, numHeads: 4, numKvHeads: 2, headDim: 32,
      vocabSize: GEMMA_VOCAB, tied: true, rmsNormEps: 1e-6, ropeTheta: 1_000_000, ropeScaling: null,
      maxPositionEmbeddings: 131072, qkvBias: false, qkNorm: true, weightPrefix: 'language_model.', visionTower: true,
      moe: { numExperts: 8, topK: 2, expertIntermediateSize: 64, normTopK: true }, gemma: null, phi: null,
      gemma4: {
        layerTypes: ['sliding_attention', 'sliding_attention', 'full_attention', 'sliding_attention', 'sliding_attention', 'full_attention'],
        slidingWindow: 32, globalHeadDim: 64, numGlobalKvHeads: 1, kEqV: true, kvSharedLayers: 0, perLayerInputSize: 0,
        slidingTheta: 10_000, fullPartialRotary: 0.25, finalSoftcap: 15,
      },
    };
  }
  if (shape !== 'tiny') throw new RangeError(`shape ${shape} needs another --arch (gemma4 has tiny, gemma4-moe-tiny, gemma4-e2b-10l and gemma4-26b-a4b-2l)`);
  // Six layers alternating sliding and full; the last two (one of each) share the KV of layers 2 and 3, as llama.cpp
  // requires (the last two non-shared layers are sliding then full, as in the real checkpoints). A 32-token window so
  // a 256-token sequence slides; 8 of the 32 rotation pairs of the full layers rotate (partial_rotary_factor 0.25).
  return {
    hiddenSize: 64, intermediateSize: 128, numLayers: 6, numHeads: 4, numKvHeads: 2, headDim: 32,
    vocabSize: GEMMA_VOCAB, tied: true, rmsNormEps: 1e-6, ropeTheta: 1_000_000, ropeScaling: null,
    maxPositionEmbeddings: 131072, qkvBias: false, qkNorm: true, weightPrefix: 'language_model.', visionTower: true,
    moe: null, gemma: null, phi: null,
    gemma4: {
      layerTypes: ['sliding_attention', 'full_attention', 'sliding_attention', 'full_attention', 'sliding_attention', 'full_attention'],
      slidingWindow: 32, globalHeadDim: 64, numGlobalKvHeads: 1, kEqV: true, kvSharedLayers: 2, perLayerInputSize: 16,
      slidingTheta: 10_000, fullPartialRotary: 0.25, finalSoftcap: 15,
    },
  };
}

const isFull = (g: Gemma4Dims, i: number) => g.layerTypes[i] === 'full_attention';
const isShared = (dims: ModelDims, g: Gemma4Dims, i: number) => i >= dims.numLayers - g.kvSharedLayers;

/** Per layer: the MLP width (double for KV-shared layers: use_double_wide_mlp). */
export function gemma4Intermediate(dims: ModelDims, g: Gemma4Dims, i: number): number {
  return dims.intermediateSize * (isShared(dims, g, i) ? 2 : 1);
}

/** spread: the parity init of spec.ts's spreadInit (tiny and the real-shape suite's shapes). */
export function gemma4TensorDefs(dims: ModelDims, g: Gemma4Dims, spread: boolean): TensorDef[] {
  const h = dims.hiddenSize;
  const L = dims.numLayers;
  const P = g.perLayerInputSize;
  const lin = (fanIn: number) => (spread ? 1 / Math.sqrt(fanIn) : 0.02);
  const embStd = spread ? 4 / Math.sqrt(h) : 0.02;
  const pre = `${dims.weightPrefix}model`;
  const norm = (name: string, n: number): TensorDef => ({ name, kind: 'norm', shape: [n], std: 0.1, mean: 1 });
  const defs: TensorDef[] = [{ name: `${pre}.embed_tokens`, kind: 'embedding', shape: [dims.vocabSize, h], std: embStd }];
  if (P > 0) {
    defs.push(
      { name: `${pre}.embed_tokens_per_layer`, kind: 'embedding', shape: [dims.vocabSize, L * P], std: embStd },
      { name: `${pre}.per_layer_model_projection`, kind: 'linear', shape: [L * P, h], std: lin(h) },
      norm(`${pre}.per_layer_projection_norm.weight`, P),
    );
  }
  for (let i = 0; i < L; i++) {
    const p = `${pre}.layers.${i}`;
    const full = isFull(g, i);
    const hd = full ? g.globalHeadDim : dims.headDim;
    const kv = (full ? g.numGlobalKvHeads : dims.numKvHeads) * hd;
    const ff = gemma4Intermediate(dims, g, i);
    defs.push(norm(`${p}.input_layernorm.weight`, h));
    defs.push({ name: `${p}.self_attn.q_proj`, kind: 'linear', shape: [dims.numHeads * hd, h], std: lin(h) });
    // Shared layers keep their (unused) k/v projections, as the checkpoints do.
    defs.push({ name: `${p}.self_attn.k_proj`, kind: 'linear', shape: [kv, h], std: lin(h) });
    if (!full || !g.kEqV) defs.push({ name: `${p}.self_attn.v_proj`, kind: 'linear', shape: [kv, h], std: lin(h) });
    defs.push({ name: `${p}.self_attn.o_proj`, kind: 'linear', shape: [h, dims.numHeads * hd], std: lin(dims.numHeads * hd) });
    // q·k is not scaled: q/k norm weights around d^-1/4 give it the spread of a 1/sqrt(d)-scaled product, as trained
    // checkpoints learn (weights near 1 would make every softmax nearly one-hot).
    const qk = hd ** -0.25;
    defs.push({ name: `${p}.self_attn.q_norm.weight`, kind: 'norm', shape: [hd], std: 0.1 * qk, mean: qk });
    defs.push({ name: `${p}.self_attn.k_norm.weight`, kind: 'norm', shape: [hd], std: 0.1 * qk, mean: qk });
    defs.push(norm(`${p}.post_attention_layernorm.weight`, h), norm(`${p}.pre_feedforward_layernorm.weight`, h));
    defs.push(norm(`${p}.post_feedforward_layernorm.weight`, h));
    defs.push({ name: `${p}.mlp.gate_proj`, kind: 'linear', shape: [ff, h], std: lin(h) });
    defs.push({ name: `${p}.mlp.up_proj`, kind: 'linear', shape: [ff, h], std: lin(h) });
    defs.push({ name: `${p}.mlp.down_proj`, kind: 'linear', shape: [h, ff], std: lin(ff) });
    if (dims.moe) defs.push(...gemma4ExpertDefs(p, h, dims.moe.numExperts, dims.moe.expertIntermediateSize, lin, spread));
    if (P > 0) {
      defs.push({ name: `${p}.per_layer_input_gate`, kind: 'linear', shape: [P, h], std: lin(h) });
      defs.push({ name: `${p}.per_layer_projection`, kind: 'linear', shape: [h, P], std: lin(P) });
      defs.push(norm(`${p}.post_per_layer_input_norm.weight`, h));
    }
    defs.push({ name: `${p}.layer_scalar`, kind: 'bias', shape: [1], std: 0.1, mean: 0.8 });
  }
  // Tied: a zero-mean final norm keeps greedy decoding from repeating the current token (see spec.ts).
  defs.push(spread ? { name: `${pre}.norm.weight`, kind: 'norm', shape: [h], mean: 0, std: 1 } : norm(`${pre}.norm.weight`, h));
  // Token vision and audio towers: the engine must leave them alone.
  defs.push({ name: 'vision_tower.encoder.layers.0.mlp.fc1.weight', kind: 'vision', shape: [32, 48], std: 0.02 });
  defs.push({ name: 'embed_vision.embedding_projection.weight', kind: 'vision', shape: [h, 32], std: 0.02 });
  defs.push({ name: 'audio_tower.layers.0.feed_forward1.ffw_layer_1.weight', kind: 'vision', shape: [32, 48], std: 0.02 });
  defs.push({ name: 'embed_audio.embedding_projection.weight', kind: 'vision', shape: [h, 32], std: 0.02 });
  return defs;
}

/** One layer's experts beside its dense MLP, in mlx-lm's layout (`p`: the layer's path). */
function gemma4ExpertDefs(p: string, h: number, e: number, fe: number, lin: (fanIn: number) => number, spread: boolean): TensorDef[] {
  const norm = (name: string): TensorDef => ({ name, kind: 'norm', shape: [h], std: 0.1, mean: 1 });
  return [
    norm(`${p}.pre_feedforward_layernorm_2.weight`), norm(`${p}.post_feedforward_layernorm_1.weight`), norm(`${p}.post_feedforward_layernorm_2.weight`),
    // The router reads rmsnorm(x) / sqrt(h) · router.scale: a scale near sqrt(h) gives it unit inputs, and logits
    // spread by ~2 make tokens pick different experts, like a trained router.
    { name: `${p}.router.proj`, kind: 'linear', shape: [e, h], std: spread ? 2 / Math.sqrt(h) : 0.02 },
    { name: `${p}.router.scale`, kind: 'norm', shape: [h], std: 0.2, mean: spread ? Math.sqrt(h) : 1 },
    { name: `${p}.router.per_expert_scale`, kind: 'norm', shape: [e], std: 0.2, mean: 1 },
    { name: `${p}.experts.switch_glu.gate_proj`, kind: 'experts', shape: [e, fe, h], std: lin(h) },
    { name: `${p}.experts.switch_glu.up_proj`, kind: 'experts', shape: [e, fe, h], std: lin(h) },
    { name: `${p}.experts.switch_glu.down_proj`, kind: 'experts', shape: [e, h, fe], std: lin(fe) },
  ];
}

/** mlx-lm's recipe for Gemma 4 MoE: every router.proj at 8 bits (group 64), whatever the global width. */
export function gemma4QuantOverrides(dims: ModelDims, quant: QuantSpec): Record<string, QuantSpec> {
  if (quant.bits === 8 && quant.groupSize === 64 && quant.mode !== 'mxfp4') return {};
  const out: Record<string, QuantSpec> = {};
  for (let i = 0; i < dims.numLayers; i++) out[`${dims.weightPrefix}model.layers.${i}.router.proj`] = { bits: 8, groupSize: 64, mode: 'affine' };
  return out;
}

/** The text_config fields of a Gemma 4 checkpoint. */
export function gemma4TextConfig(dims: ModelDims, g: Gemma4Dims, eos: number[], pad: number | null): Record<string, unknown> {
  return {
    model_type: 'gemma4_text', head_dim: dims.headDim, global_head_dim: g.globalHeadDim, attention_bias: false,
    attention_dropout: 0.0, attention_k_eq_v: g.kEqV, num_global_key_value_heads: g.kEqV ? g.numGlobalKvHeads : null,
    num_kv_shared_layers: g.kvSharedLayers, hidden_size_per_layer_input: g.perLayerInputSize,
    vocab_size_per_layer_input: dims.vocabSize, use_double_wide_mlp: g.kvSharedLayers > 0, enable_moe_block: dims.moe !== null,
    ...(dims.moe ? { num_experts: dims.moe.numExperts, top_k_experts: dims.moe.topK, moe_intermediate_size: dims.moe.expertIntermediateSize } : {}),
    final_logit_softcapping: g.finalSoftcap, hidden_activation: 'gelu_pytorch_tanh', layer_types: g.layerTypes,
    sliding_window: g.slidingWindow, eos_token_id: eos, pad_token_id: pad,
    rope_parameters: {
      full_attention: { partial_rotary_factor: g.fullPartialRotary, rope_theta: dims.ropeTheta, rope_type: 'proportional' },
      sliding_attention: { rope_theta: g.slidingTheta, rope_type: 'default' },
    },
  };
}

/** Gemma 4's config.json: text_config beside (token) vision and audio configs. */
export function gemma4Wrapper(text: Record<string, unknown>): Record<string, unknown> {
  const { torch_dtype: dtype, ...rest } = text;
  return {
    architectures: ['Gemma4ForConditionalGeneration'], model_type: 'gemma4', image_token_id: 258880, audio_token_id: 258881,
    text_config: rest, torch_dtype: dtype, transformers_version: '5.5.0', tie_word_embeddings: true,
    vision_config: { model_type: 'gemma4_vision', hidden_size: 32, intermediate_size: 48, num_hidden_layers: 1, num_attention_heads: 2 },
    audio_config: { model_type: 'gemma4_audio', hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2 },
  };
}

/** llama.cpp's tensor names for Gemma 4's own tensors (HF name below `model.` → GGUF name), or undefined. */
export function gemma4GgufName(hfName: string): string | undefined {
  const top: Record<string, string> = {
    'model.embed_tokens_per_layer.weight': 'per_layer_token_embd.weight',
    'model.per_layer_model_projection.weight': 'per_layer_model_proj.weight',
    'model.per_layer_projection_norm.weight': 'per_layer_proj_norm.weight',
  };
  if (top[hfName]) return top[hfName];
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hfName);
  const tail = m ? GEMMA4_LAYER_GGUF[m[2]!] : undefined;
  return tail ? `blk.${m![1]}.${tail}` : undefined;
}

/** Gemma 4's own layer tensors (below `model.layers.N.`) → their GGUF names; the others follow ggufTensorName. */
const GEMMA4_LAYER_GGUF: Record<string, string> = {
  'per_layer_input_gate.weight': 'inp_gate.weight',
  'per_layer_projection.weight': 'proj.weight',
  'post_per_layer_input_norm.weight': 'post_norm.weight',
  layer_scalar: 'layer_output_scale.weight',
  // The experts beside the dense MLP: the router's input scale and per-expert scale are llama.cpp's `.scale`s.
  'pre_feedforward_layernorm_2.weight': 'pre_ffw_norm_2.weight',
  'post_feedforward_layernorm_1.weight': 'post_ffw_norm_1.weight',
  'post_feedforward_layernorm_2.weight': 'post_ffw_norm_2.weight',
  'router.proj.weight': 'ffn_gate_inp.weight',
  'router.scale': 'ffn_gate_inp.scale',
  'router.per_expert_scale': 'ffn_down_exps.scale',
  'experts.switch_glu.gate_proj.weight': 'ffn_gate_exps.weight',
  'experts.switch_glu.up_proj.weight': 'ffn_up_exps.weight',
  'experts.switch_glu.down_proj.weight': 'ffn_down_exps.weight',
};

export function gemma4GgufMetadata(p: string, dims: ModelDims, g: Gemma4Dims): Array<[string, GgufKv]> {
  const layers = Array.from({ length: dims.numLayers }, (_, i) => i);
  return [
    [`${p}.feed_forward_length`, { type: 'i32[]', value: layers.map((i) => gemma4Intermediate(dims, g, i)) }],
    [`${p}.attention.head_count_kv`, { type: 'i32[]', value: layers.map((i) => (isFull(g, i) ? g.numGlobalKvHeads : dims.numKvHeads)) }],
    [`${p}.attention.key_length`, { type: 'u32', value: g.globalHeadDim }],
    [`${p}.attention.value_length`, { type: 'u32', value: g.globalHeadDim }],
    [`${p}.attention.key_length_swa`, { type: 'u32', value: dims.headDim }],
    [`${p}.attention.value_length_swa`, { type: 'u32', value: dims.headDim }],
    [`${p}.attention.sliding_window`, { type: 'u32', value: g.slidingWindow }],
    [`${p}.attention.sliding_window_pattern`, { type: 'bool[]', value: layers.map((i) => !isFull(g, i)) }],
    [`${p}.attention.shared_kv_layers`, { type: 'u32', value: g.kvSharedLayers }],
    [`${p}.embedding_length_per_layer_input`, { type: 'u32', value: g.perLayerInputSize }],
    [`${p}.rope.dimension_count`, { type: 'u32', value: g.globalHeadDim }],
    [`${p}.rope.freq_base_swa`, { type: 'f32', value: g.slidingTheta }],
    [`${p}.rope.dimension_count_swa`, { type: 'u32', value: dims.headDim }],
    [`${p}.final_logit_softcapping`, { type: 'f32', value: g.finalSoftcap }],
  ];
}

/** The rope_freqs tensor (full layers): divisor 1 for the rotated pairs, 1e30 (no rotation) for the others. */
export function gemma4RopeFreqs(g: Gemma4Dims): { info: GgufTensorInfo; values: Float32Array } {
  const pairs = g.globalHeadDim / 2;
  const rotated = Math.floor(pairs * g.fullPartialRotary);
  const values = Float32Array.from({ length: pairs }, (_, i) => (i < rotated ? 1 : 1e30));
  return { info: { name: 'rope_freqs.weight', shape: [pairs], type: 'F32' }, values };
}

/**
 * Gemma 4's tool-call markup for the test models: declarations in <|tool>declaration:NAME{...}<tool|>, calls as
 * <|tool_call>call:NAME{key:<|"|>text<|"|>,n:1}<tool_call|>, results in <|tool_response>response:NAME{...}
 * <tool_response|>. The turns are the stand-in Gemma 3 vocabulary's (<start_of_turn>, <end_of_turn>), so that its
 * end-of-turn token ends a reply.
 */
export const GEMMA4_TEST_TEMPLATE = [
  '{{ bos_token }}',
  "{%- if tools %}<start_of_turn>system\n{%- for tool in tools %}<|tool>declaration:{{ tool['function']['name'] }}{{ tool['function'] | tojson }}<tool|>{%- endfor %}<end_of_turn>\n{%- endif %}",
  '{%- for message in messages %}',
  "{%- if message['role'] == 'tool' %}<start_of_turn>user\n<|tool_response>response:{{ message['name'] or 'tool' }}{value:<|\"|>{{ message['content'] }}<|\"|>}<tool_response|><end_of_turn>\n",
  "{%- else %}<start_of_turn>{{ 'model' if message['role'] == 'assistant' else message['role'] }}\n{%- if message['content'] %}{{ message['content'] }}{%- endif %}",
  "{%- for call in message['tool_calls'] or [] %}<|tool_call>call:{{ call['function']['name'] }}{",
  "{%- set args = call['function']['arguments'] %}{%- if args is mapping %}{%- for key, value in args.items() %}{{ key }}:{%- if value is string %}<|\"|>{{ value }}<|\"|>{%- else %}{{ value | tojson }}{%- endif %}{%- if not loop.last %},{% endif %}{%- endfor %}{%- endif %}",
  '}<tool_call|>{%- endfor %}<end_of_turn>\n',
  '{%- endif %}',
  '{%- endfor %}',
  '{%- if add_generation_prompt %}<start_of_turn>model\n{%- endif %}',
].join('\n');
