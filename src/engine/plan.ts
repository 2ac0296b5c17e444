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

export const ropePlanSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({
    kind: z.literal('neox'),
    theta: z.number().positive(),
    /** Leading dims of each head that rotate (head_dim unless the family uses partial rotary). */
    rotaryDims: positiveInt,
    scaling: z
      .object({
        type: z.literal('llama3'),
        factor: z.number().positive(),
        lowFreqFactor: z.number().positive(),
        highFreqFactor: z.number().positive(),
        originalMaxPositionEmbeddings: positiveInt,
      })
      .optional(),
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
  /**
   * attn_q emits, per head, the query and then a gate of the same width; the attention output is multiplied by
   * sigmoid(gate) before attn_output (Qwen3.5 / Qwen3-Next).
   */
  outputGate: z.boolean().optional(),
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
  convKernel: positiveInt,
});

export const gatedMlpPlanSchema = z.object({
  kind: z.literal('gated'),
  activation: z.literal('silu'),
  intermediateSize: positiveInt,
});

/**
 * Mixture of experts: a router (blk.N.ffn_gate_inp [E, H]) scores every expert per token, the topK best run as
 * SwiGLU MLPs (stacked: blk.N.ffn_gate_exps / ffn_up_exps [E, I, H], ffn_down_exps [E, H, I]) and their outputs are
 * summed with the routing weights. Expert weights stay in the mapped file until a token is first routed to them.
 */
export const moePlanSchema = z.object({
  kind: z.literal('moe'),
  activation: z.literal('silu'),
  numExperts: positiveInt,
  topK: positiveInt,
  /** Each expert's intermediate size. */
  expertIntermediateSize: positiveInt,
  /** softmax over all experts, or an independent sigmoid per expert; both select the topK highest. */
  scoring: z.enum(['softmax', 'sigmoid']),
  /** Rescale the topK weights to sum to 1 (config norm_topk_prob). */
  normTopK: z.boolean(),
  /**
   * An expert every token runs (blk.N.ffn_gate_shexp / ffn_up_shexp / ffn_down_shexp), added to the routed sum,
   * scaled by sigmoid(blk.N.ffn_gate_inp_shexp · x) when `gated` (Qwen2/Qwen3.5 MoE's shared_expert_gate [1, H]).
   */
  sharedExpert: z.object({ intermediateSize: positiveInt, gated: z.boolean() }).optional(),
});

export const mlpPlanSchema = z.discriminatedUnion('kind', [gatedMlpPlanSchema, moePlanSchema]);

export const layerPlanSchema = z.object({
  mixer: z.discriminatedUnion('kind', [attentionPlanSchema, deltaNetPlanSchema]),
  mlp: mlpPlanSchema,
});

export const modelPlanSchema = z.object({
  /** The addon's layer composition (native/src/models/*.cpp). */
  arch: z.literal('decoder'),
  hiddenSize: positiveInt,
  vocabSize: positiveInt,
  rmsNormEps: z.number().positive(),
  layers: z.array(layerPlanSchema).min(1),
  tensors: z.record(z.string(), planTensorSchema),
  /** Compute threads (default: number of cores). */
  threads: positiveInt,
  /** Force a kernel set ('scalar' | 'avx2' | 'avx512'); default: the best for this CPU, or VMLX_KERNELS. */
  kernels: z.string().optional(),
});

export type NativeDType = z.infer<typeof nativeDTypeSchema>;
export type NativeTensorRef = z.infer<typeof tensorRefSchema>;
export type NativeQuantRef = z.infer<typeof quantRefSchema>;
export type PlanTensor = z.infer<typeof planTensorSchema>;
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
