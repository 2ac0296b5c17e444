// The model plan handed to the addon, as zod schemas (the single source of truth for its shape; the TypeScript
// types are inferred from them). A plan is a list of layers, each saying what it computes (token mixer, RoPE, MLP,
// dims), and one flat tensor table from engine names (GGUF-style: token_embd, blk.N.attn_q, ...) to tensors in the
// safetensors files. Architectures fill both; the addon builds layers from the plan and looks tensors up by name.
import { z } from 'zod';

const nonNegInt = z.number().int().nonnegative();
const positiveInt = z.number().int().positive();

export const nativeDTypeSchema = z.enum(['F32', 'F16', 'BF16', 'U32', 'U8']);

/** One tensor inside a safetensors file, already validated against its header. */
export const tensorRefSchema = z.object({
  /** The tensor's name in the file (error messages name it). */
  name: z.string(),
  file: z.string(), // absolute path
  /** Absolute byte offset of the tensor data inside the file. May be unaligned. */
  offset: nonNegInt,
  byteLength: nonNegInt,
  dtype: nativeDTypeSchema,
  shape: z.array(nonNegInt),
});

/** MLX quantization of a weight: U32 codes in the tensor itself, per-group scales (and biases for affine). */
export const quantRefSchema = z.object({
  mode: z.enum(['affine', 'mxfp4']),
  bits: positiveInt,
  groupSize: positiveInt,
  scales: tensorRefSchema,
  /** affine only: the per-group offset (`.biases`, never a Linear `.bias`). */
  biases: tensorRefSchema.optional(),
});

/** A table entry: a float tensor, or quantized codes with their quantization. */
export const planTensorSchema = tensorRefSchema.extend({ quant: quantRefSchema.optional() });

/** How the inverse frequencies are scaled. attentionFactor multiplies cos and sin (so q.k by its square). */
export const ropeScalingSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('llama3'),
    factor: z.number().positive(),
    lowFreqFactor: z.number().positive(),
    highFreqFactor: z.number().positive(),
    originalMaxPositionEmbeddings: positiveInt,
  }),
  /** YaRN as llama.cpp computes it (correction dims rounded outwards); attentionFactor is the total magnitude
   * correction, usually 1 + 0.1·ln(factor) times the config's attention_factor. */
  z.object({
    type: z.literal('yarn'),
    factor: z.number().positive(),
    betaFast: z.number().positive(),
    betaSlow: z.number().positive(),
    originalMaxPositionEmbeddings: positiveInt,
    attentionFactor: z.number().positive(),
  }),
  /** Every frequency divided by factor (positions interpolated; Gemma 3's global layers). */
  z.object({ type: z.literal('linear'), factor: z.number().positive() }),
  /** Phi-3/4 longrope ("su"): one divisor per rotation pair (the short or the long factors, chosen by the family). */
  /** Gemma 4's proportional RoPE: the first rotatedPairs pairs (i, i + rotaryDims/2) rotate at their usual
   * frequencies; the other pairs do not rotate. */
  z.object({ type: z.literal('proportional'), rotatedPairs: nonNegInt }),
  z.object({
    type: z.literal('longrope'),
    freqFactors: z.array(z.number().positive()).min(1),
    attentionFactor: z.number().positive(),
  }),
]);

export const ropePlanSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({
    kind: z.literal('neox'),
    theta: z.number().positive(),
    /** Leading dims of each head that rotate (head_dim unless the family uses partial rotary). */
    rotaryDims: positiveInt,
    scaling: ropeScalingSchema.optional(),
  }),
]);

export const attentionPlanSchema = z.object({
  kind: z.literal('attention'),
  numHeads: positiveInt,
  numKvHeads: positiveInt,
  headDim: positiveInt,
  /** Per-head RMSNorm of q and k over head_dim before RoPE (tensors blk.N.attn_q_norm / attn_k_norm). */
  qkNorm: z.boolean(),
  /** Linear biases on q, k, v (tensors blk.N.attn_q.bias / attn_k.bias / attn_v.bias). */
  qkvBias: z.boolean(),
  /** Linear bias on the output projection (tensor blk.N.attn_output.bias; gpt-oss). */
  outputBias: z.boolean().optional(),
  /** A learned per-head logit added to the softmax denominator (tensor blk.N.attn_sinks [numHeads]; gpt-oss). */
  sinks: z.boolean().optional(),
  /** A query sees only the last slidingWindow positions, itself included (the cache becomes a ring). */
  slidingWindow: positiveInt.optional(),
  /** Attention logits become softcap·tanh(logit / softcap) (Gemma 2's attn_logit_softcapping). */
  softcap: z.number().positive().optional(),
  /** The scale of q·k, when not 1/sqrt(headDim) (Gemma's query_pre_attn_scalar^-1/2). */
  queryScale: z.number().positive().optional(),
  /**
   * attn_q emits, per head, the query and then a gate of the same width; the attention output is multiplied by
   * sigmoid(gate) before attn_output (Qwen3.5 / Qwen3-Next).
   */
  outputGate: z.boolean().optional(),
  /** v gets a per-head RMSNorm without weight (Gemma 4). */
  valueNorm: z.boolean().optional(),
  /** No attn_v: v is the attn_k projection taken before k's norm and RoPE (Gemma 4's attention_k_eq_v). */
  valueFromKey: z.boolean().optional(),
  /** No k/v of its own: the layer attends over the cache of this earlier layer (Gemma 4's shared KV layers). */
  kvSource: nonNegInt.optional(),
  rope: ropePlanSchema,
});

/**
 * Gated DeltaNet linear attention (Qwen3.5 / Qwen3-Next). Tensors: blk.N.ssm_in_qkv [2·K·dk + V·dv, hidden] (q, k, v
 * in that order), ssm_in_z [V·dv, hidden], ssm_in_b / ssm_in_a [V, hidden], ssm_conv1d [2·K·dk + V·dv, convKernel, 1],
 * ssm_a_log [V], ssm_dt_bias [V], ssm_norm [dv], ssm_out [hidden, V·dv]. Value head h reads key head h / (V/K).
 */
export const deltaNetPlanSchema = z.object({
  kind: z.literal('gated_deltanet'),
  numKHeads: positiveInt,
  numVHeads: positiveInt,
  headKDim: positiveInt,
  headVDim: positiveInt,
  convKernel: positiveInt.max(16),
});

export const gatedMlpPlanSchema = z.object({
  kind: z.literal('gated'),
  /** silu: SwiGLU; gelu_tanh: GELU by its tanh approximation (Gemma's GeGLU). */
  activation: z.enum(['silu', 'gelu_tanh']),
  intermediateSize: positiveInt,
});

/**
 * Mixture of experts: a router (blk.N.ffn_gate_inp [E, H]) scores every expert per token, the topK best run as
 * SwiGLU MLPs (stacked: blk.N.ffn_gate_exps / ffn_up_exps [E, I, H], ffn_down_exps [E, H, I]) and their outputs are
 * summed with the routing weights. Expert weights stay in the mapped file until a token is first routed to them.
 */
export const moePlanSchema = z.object({
  kind: z.literal('moe'),
  /**
   * silu: down(silu(gate) * up). gelu_tanh: down(gelu(gate) * up) (Gemma 4). swiglu_oai (gpt-oss): gate clamped above
   * at swiglu.limit, up clamped to [-limit, limit], down(gate * sigmoid(alpha * gate) * (up + 1)).
   */
  activation: z.enum(['silu', 'gelu_tanh', 'swiglu_oai']),
  swiglu: z.object({ alpha: z.number().positive(), limit: z.number().positive() }).optional(),
  numExperts: positiveInt,
  topK: positiveInt,
  /** Each expert's intermediate size. */
  expertIntermediateSize: positiveInt,
  /**
   * softmax over all experts, or an independent sigmoid per expert: the topK highest scores are the weights.
   * softmax_topk (gpt-oss): the topK highest logits, softmaxed among themselves.
   */
  scoring: z.enum(['softmax', 'sigmoid', 'softmax_topk']),
  /** A router bias (blk.N.ffn_gate_inp.bias [E]). */
  routerBias: z.boolean().optional(),
  /** Expert biases (blk.N.ffn_gate_exps.bias / ffn_up_exps.bias [E, I], ffn_down_exps.bias [E, H]). */
  expertBias: z.boolean().optional(),
  /** Rescale the topK weights to sum to 1 (config norm_topk_prob). */
  normTopK: z.boolean(),
  /**
   * An expert every token runs (blk.N.ffn_gate_shexp / ffn_up_shexp / ffn_down_shexp), added to the routed sum,
   * scaled by sigmoid(blk.N.ffn_gate_inp_shexp · x) when `gated` (Qwen2/Qwen3.5 MoE's shared_expert_gate [1, H]).
   */
  sharedExpert: z.object({ intermediateSize: positiveInt, gated: z.boolean() }).optional(),
  /** The router reads rmsnorm(x) (no weight) · blk.N.ffn_gate_inp.scale [H] / sqrt(H) (Gemma 4's router.scale). */
  routerNorm: z.boolean().optional(),
  /** Each chosen expert's weight is multiplied by blk.N.ffn_down_exps.scale [E] (Gemma 4's per_expert_scale). */
  expertScale: z.boolean().optional(),
}).refine((m) => (m.activation === 'swiglu_oai') === (m.swiglu !== undefined), {
  message: 'swiglu (alpha, limit) is required with activation swiglu_oai and only then',
  path: ['swiglu'],
});

export const mlpPlanSchema = z.discriminatedUnion('kind', [gatedMlpPlanSchema, moePlanSchema]);

export const layerPlanSchema = z.object({
  mixer: z.discriminatedUnion('kind', [attentionPlanSchema, deltaNetPlanSchema]),
  mlp: mlpPlanSchema,
  /**
   * Experts beside the dense mlp (Gemma 4's enable_moe_block; arch gemma4 only): the feed-forward becomes
   * post_ffw_norm_1(mlp(ffn_norm(x))) + post_ffw_norm_2(moe(pre_ffw_norm_2(x))), its router reading x.
   */
  moe: moePlanSchema.optional(),
});

/**
 * 'float': activations stay float32 and each weight group is dequantized in registers (the precise path, `--precise`);
 * 'int16': activations are rounded to int16 per block of 32; 'int8': to int8 per block of 32 (u8 x s8 dot products,
 * twice the multiply-adds per instruction). The default depends on the family: defaultActivations.
 */
export const activationModeSchema = z.enum(['float', 'int16', 'int8']);
export type ActivationMode = z.infer<typeof activationModeSchema>;
/** The path of a family without an entry in INT8_FAMILIES: int16 meets the fidelity rule for every family. */
export const DEFAULT_ACTIVATIONS: ActivationMode = 'int16';
/**
 * The model_types whose default is int8: those where int8 activations meet the fidelity rule (test/parity/fidelity.ts:
 * no worse than llama.cpp's Q8 activations against its float path) with a margin on all three measures. Elsewhere
 * int8 flips expert choices (qwen3_moe), compounds in the recurrent state (the DeltaNet hybrids) or misses the rule
 * narrowly (mistral, mistral3, smollm3, phi3), and the default stays int16.
 */
export const INT8_FAMILIES: ReadonlySet<string> = new Set(['qwen3', 'qwen2', 'llama', 'gemma3_text', 'gemma3']);
/** The activation path a model_type runs when none is asked for: the fastest that meets the fidelity rule for it. */
export function defaultActivations(modelType: string): ActivationMode {
  return INT8_FAMILIES.has(modelType) ? 'int8' : DEFAULT_ACTIVATIONS;
}

export const modelPlanSchema = z.object({
  /**
   * The addon's layer composition (native/src/models/*.cpp): decoder (pre-norm), gemma (sandwich norms), gemma4
   * (sandwich norms, per-layer inputs, layer_output_scale).
   */
  arch: z.enum(['decoder', 'gemma', 'gemma4']),
  hiddenSize: positiveInt,
  vocabSize: positiveInt,
  rmsNormEps: z.number().positive(),
  /** Multiplies the embedding rows (Gemma: sqrt(hiddenSize)). */
  embedScale: z.number().positive().optional(),
  /** Added to every RMSNorm weight at load (Gemma multiplies by 1 + w). */
  normOffset: z.number().optional(),
  /** Logits become finalSoftcap·tanh(logit / finalSoftcap) (Gemma 4's final_logit_softcapping). */
  finalSoftcap: z.number().positive().optional(),
  /**
   * Gemma 4's per-layer inputs of this width: tensors per_layer_token_embd [vocab, layers·P], per_layer_model_proj
   * [layers·P, hidden], per_layer_proj_norm [P], and per layer blk.N.inp_gate [P, hidden], proj [hidden, P], post_norm.
   */
  perLayerInputSize: positiveInt.optional(),
  layers: z.array(layerPlanSchema).min(1),
  tensors: z.record(z.string(), planTensorSchema),
  /** Compute threads (default: number of cores). */
  threads: positiveInt,
  /** Force a kernel set ('scalar' | 'avx2' | 'avx512'); default: the best for this CPU, or VMLX_KERNELS. */
  kernels: z.string().optional(),
  /** How the quantized matmuls read their input; see activationModeSchema. */
  activations: activationModeSchema.optional(),
}).refine((p) => p.arch === 'gemma4' || p.layers.every((l) => l.moe === undefined), {
  message: "layers[].moe (experts beside the dense mlp) needs arch 'gemma4'",
  path: ['layers'],
});


export type NativeDType = z.infer<typeof nativeDTypeSchema>;
export type NativeTensorRef = z.infer<typeof tensorRefSchema>;
export type NativeQuantRef = z.infer<typeof quantRefSchema>;
export type PlanTensor = z.infer<typeof planTensorSchema>;
export type RopeScaling = z.infer<typeof ropeScalingSchema>;
export type RopePlan = z.infer<typeof ropePlanSchema>;
export type AttentionPlan = z.infer<typeof attentionPlanSchema>;
export type DeltaNetPlan = z.infer<typeof deltaNetPlanSchema>;
export type MlpPlan = z.infer<typeof mlpPlanSchema>;
export type MoePlan = z.infer<typeof moePlanSchema>;
export type LayerPlan = z.infer<typeof layerPlanSchema>;
export type NativeModelPlan = z.infer<typeof modelPlanSchema>;

/** The layer's attention plan; throws for a layer whose token mixer is not attention. */
export function attentionOf(layer: LayerPlan): AttentionPlan {
  if (layer.mixer.kind !== 'attention') throw new TypeError(`the layer's mixer is ${layer.mixer.kind}, not attention`);
  return layer.mixer;
}
