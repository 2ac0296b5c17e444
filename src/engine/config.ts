// config.json and generation_config.json of an mlx-community model directory, validated with zod.
// Both the older (rope_theta / rope_scaling / quantization) and newer (rope_parameters / quantization_config)
// spellings are accepted.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ModelFormatError, UnsupportedModelError } from './errors.js';
import { parseWith, readJson } from './json-file.js';

export const SUPPORTED_MODEL_TYPES = ['qwen3', 'qwen2', 'llama', 'mistral', 'mistral3', 'smollm3', 'qwen3_moe', 'gemma3_text', 'gemma3', 'phi3', 'qwen3_5', 'qwen3_5_moe', 'qwen3_next', 'gpt_oss', 'gemma4_text', 'gemma4'] as const;
/** Multimodal wrappers whose text model is read from config.json's text_config: wrapper → allowed text model_types. */
const TEXT_CONFIG_WRAPPERS: Partial<Record<string, readonly string[]>> = {
  mistral3: ['mistral', 'llama'],
  gemma3: ['gemma3_text'],
  gemma4: ['gemma4_text'],
  qwen3_5: ['qwen3_5_text'],
  qwen3_5_moe: ['qwen3_5_moe_text'],
};
/** Wrappers whose text fields may also sit at the top level (mlx-lm reads either). */
const OPTIONAL_TEXT_CONFIG = new Set(['qwen3_5', 'qwen3_5_moe']);
/**
 * What a wrapper's text_config may leave out (the text model class's defaults; Gemma 3's VLM configs omit them), and
 * whether embeddings are tied when it does not say.
 */
const TEXT_CONFIG_DEFAULTS: Partial<Record<string, Record<string, unknown>>> = {
  mistral3: { tie_word_embeddings: false },
  gemma3: {
    tie_word_embeddings: true, vocab_size: 262208, num_attention_heads: 8, num_key_value_heads: 4, head_dim: 256,
    rms_norm_eps: 1e-6, rope_theta: 1_000_000, query_pre_attn_scalar: 256,
  },
};
export type ModelType = (typeof SUPPORTED_MODEL_TYPES)[number];
/** MLX quantization modes and their bit widths (the addon's quant traits table, native/src/quant.cpp). */
export const SUPPORTED_QUANTS = { affine: [2, 3, 4, 5, 6, 8], mxfp4: [4] } as const;
export type QuantMode = keyof typeof SUPPORTED_QUANTS;
export const SUPPORTED_GROUP_SIZES = [32, 64, 128] as const;
/** Modes with one fixed group size. */
const FIXED_GROUP_SIZE: Partial<Record<QuantMode, number>> = { mxfp4: 32 };

export interface QuantParams {
  bits: number;
  groupSize: number;
  mode: QuantMode;
}

export interface Llama3RopeScaling {
  type: 'llama3';
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}

/**
 * YaRN (gpt-oss): frequencies interpolated by factor below the beta_slow correction dim, kept above beta_fast, a
 * linear ramp between; attentionFactor scales cos and sin (transformers' rule: attention_factor when given, else
 * mscale(factor, mscale) / mscale(factor, mscale_all_dim), which is 1 + 0.1·ln(factor) without those fields).
 */
export interface YarnRopeScaling {
  type: 'yarn';
  factor: number;
  betaFast: number;
  betaSlow: number;
  originalMaxPositionEmbeddings: number;
  attentionFactor: number;
}

/** Positions interpolated: every RoPE frequency divided by factor (Gemma 3's global layers). */
export interface LinearRopeScaling {
  type: 'linear';
  factor: number;
}

export interface QuantizationConfig {
  global: QuantParams;
  /** Per-module overrides keyed by module path (e.g. "lm_head"); false = that module is not quantized. */
  overrides: Map<string, QuantParams | false>;
}

export interface ModelConfig {
  modelType: ModelType;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: Llama3RopeScaling | LinearRopeScaling | YarnRopeScaling | null;
  maxPositionEmbeddings: number;
  /** undefined when config.json does not say; the tensors then decide. */
  tieWordEmbeddings: boolean | undefined;
  quantization: QuantizationConfig | null;
  /** Llama: biases on q/k/v/o (Qwen2 always has q/k/v biases, whatever this says). */
  attentionBias: boolean;
  mlpBias: boolean;
  /** A multimodal wrapper's vision_config was present: its vision tower is not loaded (images are unsupported). */
  hasVision: boolean;
  /** ... and an audio_config (Gemma 4): its audio tower is not loaded either. */
  hasAudio: boolean;
  /** The (text model's) config.json object, for fields only one architecture reads (it validates them itself). */
  raw: Record<string, unknown>;
}

const positiveInt = z.number().int().positive();

const ropeFieldsSchema = z
  .object({
    rope_type: z.string().optional(),
    type: z.string().optional(),
    rope_theta: z.number().positive().optional(),
    factor: z.number().positive().optional(),
    low_freq_factor: z.number().positive().optional(),
    high_freq_factor: z.number().positive().optional(),
    original_max_position_embeddings: positiveInt.optional(),
    beta_fast: z.number().positive().optional(),
    beta_slow: z.number().positive().optional(),
    attention_factor: z.number().positive().optional(),
    mscale: z.number().optional(),
    mscale_all_dim: z.number().optional(),
  })
  .loose();

const quantEntrySchema = z
  .object({
    group_size: positiveInt.optional(),
    bits: positiveInt.optional(),
    mode: z.string().optional(),
  })
  .loose();

const configSchema = z
  .object({
    model_type: z.string(),
    hidden_size: positiveInt,
    intermediate_size: positiveInt,
    num_hidden_layers: positiveInt,
    num_attention_heads: positiveInt,
    num_key_value_heads: positiveInt.optional(),
    head_dim: positiveInt.nullish(),
    vocab_size: positiveInt,
    rms_norm_eps: z.number().positive(),
    rope_theta: z.number().positive().optional(),
    rope_scaling: ropeFieldsSchema.nullish(),
    rope_parameters: ropeFieldsSchema.nullish(),
    max_position_embeddings: positiveInt.optional(),
    tie_word_embeddings: z.boolean().optional(),
    quantization: z.record(z.string(), z.unknown()).optional(),
    quantization_config: z.record(z.string(), z.unknown()).optional(),
    attention_bias: z.boolean().optional(),
    mlp_bias: z.boolean().optional(),
  })
  .loose();

const DEFAULT_ROPE_THETA = 10000;

/** YaRN's magnitude correction for a scale factor (transformers' and mlx-lm's get_mscale). */
function yarnMscale(factor: number, mscale: number): number {
  return factor <= 1 ? 1 : 0.1 * mscale * Math.log(factor) + 1;
}

function parseRope(
  raw: z.output<typeof configSchema>,
  file: string,
): { theta: number; scaling: ModelConfig['ropeScaling'] } {
  // rope_parameters (newer transformers) carries the theta and the scaling in one object.
  const params = raw.rope_parameters ?? raw.rope_scaling ?? null;
  const field = raw.rope_parameters ? 'rope_parameters' : 'rope_scaling';
  const theta = raw.rope_parameters?.rope_theta ?? raw.rope_theta ?? DEFAULT_ROPE_THETA;
  const type = params ? (params.rope_type ?? params.type ?? 'default') : 'default';
  if (type === 'default') return { theta, scaling: null };
  // Phi-3's longrope ("su") needs the head's rotary width: phi3.ts reads its factors from config.raw.
  if ((type === 'longrope' || type === 'su') && raw.model_type === 'phi3') return { theta, scaling: null };
  if (type === 'linear') {
    const factor = params?.factor;
    if (factor === undefined) throw new ModelFormatError(file, `field '${field}.factor' is required for linear rope scaling`);
    return { theta, scaling: { type: 'linear', factor } };
  }
  if (type === 'yarn') {
    const factor = params?.factor;
    const original = params?.original_max_position_embeddings;
    if (factor === undefined) throw new ModelFormatError(file, `field '${field}.factor' is required for yarn rope scaling`);
    if (original === undefined) throw new ModelFormatError(file, `field '${field}.original_max_position_embeddings' is required for yarn rope scaling`);
    return {
      theta,
      scaling: {
        type: 'yarn', factor, betaFast: params?.beta_fast ?? 32, betaSlow: params?.beta_slow ?? 1, originalMaxPositionEmbeddings: original,
        attentionFactor: params?.attention_factor ?? yarnMscale(factor, params?.mscale ?? 1) / yarnMscale(factor, params?.mscale_all_dim ?? 0),
      },
    };
  }
  if (type !== 'llama3') {
    throw new UnsupportedModelError(file, `${field}.rope_type '${type}' is not supported for ${raw.model_type} (supported: default, linear, llama3, yarn; longrope for phi3)`);
  }
  const need = (key: 'factor' | 'low_freq_factor' | 'high_freq_factor' | 'original_max_position_embeddings') => {
    const v = params?.[key];
    if (v === undefined) throw new ModelFormatError(file, `field '${field}.${key}' is required for llama3 rope scaling`);
    return v;
  };
  return {
    theta,
    scaling: {
      type: 'llama3',
      factor: need('factor'),
      lowFreqFactor: need('low_freq_factor'),
      highFreqFactor: need('high_freq_factor'),
      originalMaxPositionEmbeddings: need('original_max_position_embeddings'),
    },
  };
}

function parseQuantParams(value: unknown, field: string, file: string, base?: QuantParams): QuantParams {
  const entry = quantEntrySchema.safeParse(value);
  if (!entry.success) throw new ModelFormatError(file, `field '${field}' must be an object with group_size and bits`);
  // A per-module entry without a mode is affine whatever the global mode: MLX passes the entry to to_quantized, whose
  // default mode is affine (mlx-lm's gpt-oss recipe writes its 8-bit routers as {group_size, bits} beside mxfp4).
  const mode = entry.data.mode ?? 'affine';
  if (!Object.hasOwn(SUPPORTED_QUANTS, mode)) {
    throw new UnsupportedModelError(
      file,
      `${field}.mode '${mode}' is not supported (supported: ${Object.keys(SUPPORTED_QUANTS).join(', ')})`,
    );
  }
  const m = mode as QuantMode;
  // A per-module entry that changes the mode does not inherit the global bits/group size of another mode.
  const inherit = base && base.mode === m ? base : undefined;
  const bits = entry.data.bits ?? inherit?.bits ?? (m === 'mxfp4' ? 4 : undefined);
  const groupSize = entry.data.group_size ?? inherit?.groupSize ?? FIXED_GROUP_SIZE[m];
  if (bits === undefined) throw new ModelFormatError(file, `field '${field}.bits' is missing`);
  if (groupSize === undefined) throw new ModelFormatError(file, `field '${field}.group_size' is missing`);
  checkQuantParams(m, bits, groupSize, field, file);
  return { bits, groupSize, mode: m };
}

/** Rejects modes, bit widths and group sizes the addon does not implement. Also used for values inferred from shapes. */
export function checkQuantParams(mode: QuantMode, bits: number, groupSize: number, field: string, file: string): void {
  const widths: readonly number[] = SUPPORTED_QUANTS[mode];
  if (!widths.includes(bits)) {
    throw new UnsupportedModelError(file, `${field}.bits ${bits} is not supported for mode ${mode} (supported: ${widths.join(', ')})`);
  }
  const fixed = FIXED_GROUP_SIZE[mode];
  const sizes: readonly number[] = fixed ? [fixed] : SUPPORTED_GROUP_SIZES;
  if (!sizes.includes(groupSize)) {
    throw new UnsupportedModelError(
      file,
      `${field}.group_size ${groupSize} is not supported for mode ${mode} (supported: ${sizes.join(', ')})`,
    );
  }
}

const GLOBAL_QUANT_KEYS = new Set(['group_size', 'bits', 'mode', 'quant_method']);

function parseQuantization(raw: z.output<typeof configSchema>, file: string): QuantizationConfig | null {
  const block = raw.quantization ?? raw.quantization_config;
  if (!block) return null;
  const field = raw.quantization ? 'quantization' : 'quantization_config';
  // mlx-lm writes no quant_method; a GPTQ/AWQ/bitsandbytes checkpoint has one and different tensors.
  if (typeof block.quant_method === 'string' && block.quant_method !== 'mlx') {
    throw new UnsupportedModelError(file, `${field}.quant_method '${block.quant_method}' is not supported (supported: MLX affine)`);
  }
  const global = parseQuantParams(block, field, file);
  const overrides = new Map<string, QuantParams | false>();
  for (const [key, value] of Object.entries(block)) {
    if (GLOBAL_QUANT_KEYS.has(key)) continue;
    if (value === false) overrides.set(key, false);
    else if (value !== null && typeof value === 'object') overrides.set(key, parseQuantParams(value, `${field}.${key}`, file, global));
    // Other scalar keys (tool metadata some converters add) carry no per-module meaning.
  }
  return { global, overrides };
}

/**
 * A multimodal wrapper (mistral3, gemma3) keeps its text model's fields in text_config and the quantization block at
 * the top; the text model is read as if it were the whole config, with the text model class's defaults filled in.
 */
function flattenTextConfig(value: Record<string, unknown>, modelType: string, file: string): Record<string, unknown> {
  const allowed = TEXT_CONFIG_WRAPPERS[modelType];
  if (!allowed) return value;
  if (value.text_config == null && OPTIONAL_TEXT_CONFIG.has(modelType)) return value;
  const text = value.text_config;
  if (text === null || typeof text !== 'object') throw new ModelFormatError(file, `field 'text_config' is missing (needed for ${modelType})`);
  const t = text as Record<string, unknown>;
  const textType = t.model_type ?? allowed[0];
  if (typeof textType !== 'string' || !allowed.includes(textType)) {
    throw new UnsupportedModelError(file, `text_config.model_type '${String(textType)}' is not supported for ${modelType} (supported: ${allowed.join(', ')})`);
  }
  const defaults = TEXT_CONFIG_DEFAULTS[modelType] ?? {};
  const filled = Object.fromEntries(Object.entries(defaults).filter(([k]) => t[k] === undefined || t[k] === null));
  return {
    ...t,
    ...filled,
    model_type: modelType,
    quantization: value.quantization,
    quantization_config: value.quantization_config,
  };
}

export function parseModelConfig(value: unknown, file: string): ModelConfig {
  // The architecture is checked first so that an unknown model gets the precise error, not a schema complaint.
  const modelType = (value as { model_type?: unknown } | null)?.model_type;
  if (typeof modelType !== 'string') throw new ModelFormatError(file, `field 'model_type' is missing`);
  if (!(SUPPORTED_MODEL_TYPES as readonly string[]).includes(modelType)) {
    throw new UnsupportedModelError(
      file,
      `model_type '${modelType}' is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`,
    );
  }
  const flat = flattenTextConfig(value as Record<string, unknown>, modelType, file);
  const raw = parseWith(configSchema, flat, file);
  const numHeads = raw.num_attention_heads;
  const numKvHeads = raw.num_key_value_heads ?? numHeads;
  if (numHeads % numKvHeads !== 0) {
    throw new ModelFormatError(file, `field 'num_key_value_heads' (${numKvHeads}) must divide num_attention_heads (${numHeads})`);
  }
  let headDim = raw.head_dim ?? undefined;
  if (headDim === undefined) {
    if (raw.hidden_size % numHeads !== 0) {
      throw new ModelFormatError(file, `field 'head_dim' is missing and hidden_size is not divisible by num_attention_heads`);
    }
    headDim = raw.hidden_size / numHeads;
  }
  if (headDim % 2 !== 0) throw new ModelFormatError(file, `field 'head_dim' must be even for RoPE, got ${headDim}`);
  const rope = parseRope(raw, file);
  return {
    modelType: modelType as ModelType,
    hiddenSize: raw.hidden_size,
    intermediateSize: raw.intermediate_size,
    numLayers: raw.num_hidden_layers,
    numHeads,
    numKvHeads,
    headDim,
    vocabSize: raw.vocab_size,
    rmsNormEps: raw.rms_norm_eps,
    ropeTheta: rope.theta,
    ropeScaling: rope.scaling,
    maxPositionEmbeddings: raw.max_position_embeddings ?? 4096,
    tieWordEmbeddings: raw.tie_word_embeddings,
    quantization: parseQuantization(raw, file),
    attentionBias: raw.attention_bias ?? false,
    mlpBias: raw.mlp_bias ?? false,
    hasVision: (value as { vision_config?: unknown }).vision_config != null,
    hasAudio: (value as { audio_config?: unknown }).audio_config != null,
    raw: flat,
  };
}

export function readModelConfig(dir: string): ModelConfig {
  const file = join(dir, 'config.json');
  return parseModelConfig(readJson(file, 'config.json'), file);
}

export interface GenerationConfig {
  eosTokenIds: number[];
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  repetitionPenalty?: number;
}

const tokenIdList = z.union([z.number().int().nonnegative(), z.array(z.number().int().nonnegative())]);

const generationConfigSchema = z
  .object({
    eos_token_id: tokenIdList.nullish(),
    do_sample: z.boolean().optional(),
    temperature: z.number().nonnegative().nullish(),
    top_k: z.number().int().nonnegative().nullish(),
    top_p: z.number().positive().max(1).nullish(),
    min_p: z.number().nonnegative().max(1).nullish(),
    repetition_penalty: z.number().positive().nullish(),
  })
  .loose();

export function parseGenerationConfig(value: unknown, file: string): GenerationConfig {
  const raw = parseWith(generationConfigSchema, value, file);
  const eos = raw.eos_token_id ?? [];
  const out: GenerationConfig = { eosTokenIds: Array.isArray(eos) ? eos : [eos] };
  // do_sample: false means greedy decoding in transformers, whatever temperature says.
  if (raw.do_sample === false) out.temperature = 0;
  else if (raw.temperature != null) out.temperature = raw.temperature;
  if (raw.top_k != null) out.topK = raw.top_k;
  if (raw.top_p != null) out.topP = raw.top_p;
  if (raw.min_p != null) out.minP = raw.min_p;
  if (raw.repetition_penalty != null) out.repetitionPenalty = raw.repetition_penalty;
  return out;
}

/** generation_config.json is optional: its absence gives no extra EOS ids and no sampling defaults. */
export function readGenerationConfig(dir: string): GenerationConfig {
  const file = join(dir, 'generation_config.json');
  if (!existsSync(file)) return { eosTokenIds: [] };
  return parseGenerationConfig(readJson(file, 'generation_config.json'), file);
}
