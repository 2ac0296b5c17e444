// config.json and generation_config.json as mlx-lm writes them for the real checkpoints (keys sorted, quantization
// block copied to quantization_config).
import type { ModelDims, QuantSpec, TestArch, TestDType } from './spec.js';
import { gptOssConfigFields } from './gpt-oss-spec.js';
import { gemma4TextConfig, gemma4Wrapper } from './gemma4-spec.js';
import { tokenizerFamily } from './tokenizer-files.js';

function quantEntry(q: QuantSpec): Record<string, unknown> {
  return { group_size: q.groupSize, bits: q.bits, mode: q.mode ?? 'affine' };
}

export function buildConfigJson(arch: TestArch, dims: ModelDims, dtype: TestDType, quant: QuantSpec | undefined,
  overrides: Record<string, QuantSpec>): Record<string, unknown> {
  const fam = tokenizerFamily(arch);
  const c: Record<string, unknown> = {
    hidden_act: 'silu',
    hidden_size: dims.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: dims.intermediateSize,
    max_position_embeddings: dims.maxPositionEmbeddings,
    num_attention_heads: dims.numHeads,
    num_hidden_layers: dims.numLayers,
    num_key_value_heads: dims.numKvHeads,
    rms_norm_eps: dims.rmsNormEps,
    rope_theta: dims.ropeTheta,
    tie_word_embeddings: dims.tied,
    torch_dtype: dtype === 'bf16' ? 'bfloat16' : 'float32',
    transformers_version: '4.51.0',
    use_cache: true,
    vocab_size: dims.vocabSize,
    bos_token_id: fam.bosTokenId,
  };
  if (dims.phi) {
    const ph = dims.phi;
    Object.assign(c, {
      architectures: ['Phi3ForCausalLM'], model_type: 'phi3', attention_bias: false, attention_dropout: 0.0, embd_pdrop: 0.0,
      eos_token_id: fam.eosTokenId, pad_token_id: fam.eosTokenId, full_attn_mod: 1, lm_head_bias: false,
      original_max_position_embeddings: ph.originalMaxPositionEmbeddings, partial_rotary_factor: ph.partialRotaryFactor,
      resid_pdrop: 0.0, sliding_window: dims.maxPositionEmbeddings,
      rope_scaling: { type: 'longrope', long_factor: ph.longFactor, short_factor: ph.shortFactor },
    });
  } else if (dims.gemma4) {
    delete c.hidden_act;
    delete c.rope_theta;
    delete c.bos_token_id;
    Object.assign(c, gemma4TextConfig(dims, dims.gemma4, fam.generationEos, fam.padTokenId));
  } else if (dims.gemma) {
    const g = dims.gemma;
    delete c.hidden_act;
    Object.assign(c, {
      architectures: ['Gemma3ForCausalLM'], model_type: 'gemma3_text', head_dim: dims.headDim, attention_bias: false,
      attention_dropout: 0.0, attn_logit_softcapping: null, final_logit_softcapping: null, hidden_activation: 'gelu_pytorch_tanh',
      query_pre_attn_scalar: g.queryPreAttnScalar, rope_local_base_freq: g.ropeLocalBase, sliding_window: g.slidingWindow,
      sliding_window_pattern: g.slidingWindowPattern, cache_implementation: 'hybrid', eos_token_id: fam.generationEos,
      pad_token_id: fam.padTokenId, rope_scaling: g.linearRopeFactor ? { factor: g.linearRopeFactor, rope_type: 'linear' } : null,
    });
  } else if (dims.gptOss) {
    Object.assign(c, gptOssConfigFields(dims, fam.eosTokenId, fam.padTokenId));
  } else if ((arch === 'qwen3_5' || arch === 'qwen3_5_moe') && dims.hybrid) {
    const hy = dims.hybrid;
    const pairs = Math.floor(dims.headDim * hy.partialRotaryFactor) / 2;
    const third = Math.ceil(pairs / 3);
    delete c.rope_theta;
    Object.assign(c, {
      model_type: dims.moe ? 'qwen3_5_moe_text' : 'qwen3_5_text', head_dim: dims.headDim, attention_bias: false, attention_dropout: 0.0,
      attn_output_gate: true, eos_token_id: fam.eosTokenId, full_attention_interval: hy.fullAttentionInterval,
      layer_types: Array.from({ length: dims.numLayers }, (_, i) => ((i + 1) % hy.fullAttentionInterval === 0 ? 'full_attention' : 'linear_attention')),
      linear_conv_kernel_dim: hy.convKernel, linear_key_head_dim: hy.headKDim, linear_num_key_heads: hy.numKHeads,
      linear_num_value_heads: hy.numVHeads, linear_value_head_dim: hy.headVDim, mtp_num_hidden_layers: 1,
      rope_parameters: {
        mrope_interleaved: true, mrope_section: [third, third, pairs - 2 * third], partial_rotary_factor: hy.partialRotaryFactor,
        rope_theta: dims.ropeTheta, rope_type: 'default',
      },
    });
    if (dims.moe) {
      Object.assign(c, {
        num_experts: dims.moe.numExperts, num_experts_per_tok: dims.moe.topK, moe_intermediate_size: dims.moe.expertIntermediateSize,
        shared_expert_intermediate_size: dims.moe.sharedExpertIntermediateSize ?? 0, norm_topk_prob: dims.moe.normTopK,
        decoder_sparse_step: 1, mlp_only_layers: [], router_aux_loss_coef: 0.001, output_router_logits: false,
      });
    }
  } else if (arch === 'qwen3_next' && dims.hybrid && dims.moe) {
    // Qwen3-Next-80B-A3B's config.json: top level, layers from full_attention_interval, every layer sparse.
    const hy = dims.hybrid;
    Object.assign(c, {
      architectures: ['Qwen3NextForCausalLM'], model_type: 'qwen3_next', head_dim: dims.headDim, attention_bias: false,
      attention_dropout: 0.0, eos_token_id: fam.eosTokenId, full_attention_interval: hy.fullAttentionInterval,
      linear_conv_kernel_dim: hy.convKernel, linear_key_head_dim: hy.headKDim, linear_num_key_heads: hy.numKHeads,
      linear_num_value_heads: hy.numVHeads, linear_value_head_dim: hy.headVDim, partial_rotary_factor: hy.partialRotaryFactor,
      rope_scaling: null, use_sliding_window: false, decoder_sparse_step: 1, mlp_only_layers: [],
      num_experts: dims.moe.numExperts, num_experts_per_tok: dims.moe.topK, moe_intermediate_size: dims.moe.expertIntermediateSize,
      shared_expert_intermediate_size: dims.moe.sharedExpertIntermediateSize ?? 0, norm_topk_prob: dims.moe.normTopK,
      output_router_logits: false, router_aux_loss_coef: 0.001,
    });
  } else if (arch === 'qwen3') {
    Object.assign(c, {
      architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', head_dim: dims.headDim, attention_bias: false,
      attention_dropout: 0.0, eos_token_id: fam.eosTokenId, max_window_layers: dims.numLayers, rope_scaling: null,
      sliding_window: null, use_sliding_window: false,
    });
  } else if (arch === 'qwen3_moe') {
    // Qwen3-30B-A3B's config.json (all layers sparse).
    const moe = dims.moe!;
    Object.assign(c, {
      architectures: ['Qwen3MoeForCausalLM'], model_type: 'qwen3_moe', head_dim: dims.headDim, attention_bias: false,
      attention_dropout: 0.0, eos_token_id: fam.eosTokenId, max_window_layers: dims.numLayers, rope_scaling: null,
      sliding_window: null, use_sliding_window: false, decoder_sparse_step: 1, mlp_only_layers: [],
      moe_intermediate_size: moe.expertIntermediateSize, norm_topk_prob: moe.normTopK, num_experts: moe.numExperts,
      num_experts_per_tok: moe.topK, output_router_logits: false, router_aux_loss_coef: 0.001,
    });
  } else if (arch === 'qwen2') {
    Object.assign(c, {
      architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', attention_dropout: 0.0, eos_token_id: fam.eosTokenId,
      max_window_layers: dims.numLayers, rope_scaling: null, sliding_window: dims.maxPositionEmbeddings, use_sliding_window: false,
    });
  } else if (arch === 'smollm3') {
    Object.assign(c, {
      architectures: ['SmolLM3ForCausalLM'], model_type: 'smollm3', attention_bias: false, attention_dropout: 0.0,
      mlp_bias: false, eos_token_id: fam.eosTokenId, no_rope_layer_interval: 4, rope_scaling: null, sliding_window: null,
      use_sliding_window: false, pretraining_tp: 2,
      no_rope_layers: Array.from({ length: dims.numLayers }, (_, i) => ((i + 1) % 4 === 0 ? 0 : 1)),
    });
  } else if (arch === 'mistral' || arch === 'mistral3') {
    Object.assign(c, {
      architectures: ['MistralForCausalLM'], model_type: 'mistral', head_dim: dims.headDim, attention_dropout: 0.0,
      eos_token_id: fam.eosTokenId, sliding_window: null,
    });
  } else {
    const s = dims.ropeScaling;
    Object.assign(c, {
      architectures: ['LlamaForCausalLM'], model_type: 'llama', head_dim: dims.headDim, attention_bias: false,
      attention_dropout: 0.0, mlp_bias: false, pretraining_tp: 1, eos_token_id: fam.generationEos,
      rope_scaling: s ? {
        factor: s.factor, high_freq_factor: s.highFreqFactor, low_freq_factor: s.lowFreqFactor,
        original_max_position_embeddings: s.originalMaxPositionEmbeddings, rope_type: 'llama3',
      } : null,
    });
  }
  const top = arch === 'mistral3' ? mistral3Wrapper(sorted(c), fam.bosTokenId) : arch === 'gemma3' ? gemma3Wrapper(sorted(c)) : dims.gemma4 ? gemma4Wrapper(sorted(c)) : dims.hybrid && arch !== 'qwen3_next' ? qwen3_5Wrapper(sorted(c), dims) : c;
  if (quant) {
    // The quantization block sits at the top level, also for a multimodal wrapper (its keys name full module paths).
    const q: Record<string, unknown> = quantEntry(quant);
    for (const [path, o] of Object.entries(overrides)) q[path] = quantEntry(o);
    top.quantization = q;
    top.quantization_config = { ...q };
  }
  return sorted(top);
}

function sorted(c: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(c).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Mistral Small 3.1's config.json shape: the text model under text_config beside a Pixtral vision_config. */
function mistral3Wrapper(text: Record<string, unknown>, bos: number): Record<string, unknown> {
  return {
    architectures: ['Mistral3ForConditionalGeneration'], model_type: 'mistral3', image_token_index: 10,
    multimodal_projector_bias: false, projector_hidden_act: 'gelu', spatial_merge_size: 2, text_config: text,
    torch_dtype: text.torch_dtype, transformers_version: '4.51.0', vision_feature_layer: -1, bos_token_id: bos,
    vision_config: {
      model_type: 'pixtral', hidden_size: 32, intermediate_size: 64, num_attention_heads: 2, num_hidden_layers: 0,
      patch_size: 4, image_size: 64, num_channels: 3, rope_theta: 10000.0, head_dim: 16,
    },
  };
}

/**
 * Gemma 3 4B+'s config.json shape: the text model under text_config beside a SigLIP vision_config. Real text_configs
 * leave out fields at the text model's defaults; this one leaves out rms_norm_eps and rope_theta (1e-6, 1e6).
 */
function gemma3Wrapper(text: Record<string, unknown>): Record<string, unknown> {
  const { rms_norm_eps: _eps, rope_theta: _theta, ...rest } = text;
  return {
    architectures: ['Gemma3ForConditionalGeneration'], model_type: 'gemma3', boi_token_index: 255999, eoi_token_index: 256000,
    image_token_index: 262144, mm_tokens_per_image: 256, initializer_range: 0.02, text_config: rest,
    torch_dtype: text.torch_dtype, transformers_version: '4.51.0',
    vision_config: {
      model_type: 'siglip_vision_model', hidden_size: 32, intermediate_size: 64, num_attention_heads: 2, num_hidden_layers: 0,
      patch_size: 4, image_size: 64, vision_use_head: false,
    },
  };
}

/**
 * Qwen3.5's config.json: the text model under text_config (model_type qwen3_5_text) beside the vision encoder's
 * config; the mlx-community text conversions keep that shape but ship no vision weights.
 */
function qwen3_5Wrapper(text: Record<string, unknown>, dims: ModelDims): Record<string, unknown> {
  return {
    architectures: [dims.moe ? 'Qwen3_5MoeForConditionalGeneration' : 'Qwen3_5ForConditionalGeneration'],
    model_type: dims.moe ? 'qwen3_5_moe' : 'qwen3_5', image_token_id: 248056,
    video_token_id: 248057, vision_start_token_id: 248053, vision_end_token_id: 248054,
    tie_word_embeddings: dims.tied, text_config: text, transformers_version: '4.57.0',
    vision_config: {
      model_type: 'qwen3_5', depth: 2, hidden_size: 32, intermediate_size: 64, num_heads: 2, in_channels: 3,
      patch_size: 16, spatial_merge_size: 2, temporal_patch_size: 2, out_hidden_size: dims.hiddenSize,
    },
  };
}

export function buildGenerationConfig(arch: TestArch): Record<string, unknown> {
  const fam = tokenizerFamily(arch);
  if (arch === 'gemma3_text' || arch === 'gemma3') {
    return { bos_token_id: fam.bosTokenId, cache_implementation: 'hybrid', do_sample: true, eos_token_id: fam.generationEos,
      pad_token_id: fam.padTokenId, top_k: 64, top_p: 0.95, transformers_version: '4.51.0' };
  }
  if (arch === 'mistral' || arch === 'mistral3' || arch === 'smollm3') {
    return { bos_token_id: fam.bosTokenId, eos_token_id: fam.eosTokenId, temperature: 0.15, transformers_version: '4.51.0' };
  }
  if (arch === 'gpt_oss') {
    return { bos_token_id: fam.bosTokenId, do_sample: true, eos_token_id: fam.generationEos, pad_token_id: fam.padTokenId, transformers_version: '4.55.0' };
  }
  if (arch === 'llama') {
    return { bos_token_id: fam.bosTokenId, do_sample: true, eos_token_id: fam.generationEos, temperature: 0.6, top_p: 0.9, transformers_version: '4.51.0' };
  }
  return {
    bos_token_id: fam.bosTokenId, do_sample: true, eos_token_id: fam.generationEos, pad_token_id: fam.padTokenId,
    temperature: 0.6, top_k: 20, top_p: 0.95, transformers_version: '4.51.0',
  };
}
