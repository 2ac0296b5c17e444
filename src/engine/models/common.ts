// The pieces shared by the architecture definitions: the tensor table builder, and the plan of the plain pre-norm
// decoder (embedding, per layer: RMSNorm → GQA attention → RMSNorm → gated MLP, final norm, tied or untied output)
// that Llama, Qwen2, Qwen3 and Mistral are, each with its own flags.
import type { ModelConfig } from '../config.js';
import { MissingTensorError } from '../errors.js';
import type { LayerPlan, MlpPlan, NativeModelPlan, PlanTensor, RopePlan } from '../plan.js';
import type { WeightResolver } from '../weights.js';

export interface SpecInput {
  config: ModelConfig;
  weights: WeightResolver;
  threads: number;
  /** How errors name the weight files. */
  weightsLabel: string;
  /** config.json's path (named in errors about its fields). */
  configFile: string;
}

/** Engine tensor name → tensor, filled by an architecture as it names its tensors. */
export type TensorTable = Record<string, PlanTensor>;

/** The RoPE of a standard layer: NeoX rotate-half over the whole head, llama3 scaling when configured. */
export function ropePlan(c: ModelConfig): RopePlan {
  return { kind: 'neox', theta: c.ropeTheta, rotaryDims: c.headDim, ...(c.ropeScaling ? { scaling: c.ropeScaling } : {}) };
}

export interface DecoderOptions {
  qkNorm: boolean;
  qkvBias: boolean;
  /** Prefix of the text model's tensor names ('' or 'language_model.' for multimodal checkpoints). */
  prefix?: string;
  /**
   * A layer's feed-forward when it is not the dense gated MLP (`mlp.gate_proj/up_proj/down_proj`): adds its tensors
   * under `blk.N.` and returns its plan. `path` is the layer's HF path (`model.layers.N`). Absent: dense everywhere.
   */
  mlp?: (layer: number, path: string, block: string, tensors: TensorTable) => MlpPlan | undefined;
}

/**
 * Embeddings are tied when config.json says so (a stray lm_head is then ignored, as mlx-lm's sanitize drops it),
 * or, when it does not say, when the files hold no lm_head.
 */
export function addOutput(input: SpecInput, prefix: string, tensors: TensorTable): void {
  const { config: c, weights: w } = input;
  const hasHead = w.has(`${prefix}lm_head.weight`);
  const tied = c.tieWordEmbeddings ?? !hasHead;
  if (tied) return;
  if (!hasHead) throw new MissingTensorError(input.weightsLabel, `${prefix}lm_head.weight`);
  tensors['output'] = w.linear(`${prefix}lm_head`, c.vocabSize, c.hiddenSize);
}

/** The dense SwiGLU MLP of a layer (`<path>.mlp.gate_proj/up_proj/down_proj`). */
export function denseMlp(input: SpecInput, path: string, block: string, tensors: TensorTable): MlpPlan {
  const { config: c, weights: w } = input;
  const H = c.hiddenSize;
  tensors[`${block}ffn_gate`] = w.linear(`${path}.mlp.gate_proj`, c.intermediateSize, H);
  tensors[`${block}ffn_up`] = w.linear(`${path}.mlp.up_proj`, c.intermediateSize, H);
  tensors[`${block}ffn_down`] = w.linear(`${path}.mlp.down_proj`, H, c.intermediateSize);
  return { kind: 'gated', activation: 'silu', intermediateSize: c.intermediateSize };
}

/** The plan of a pre-norm decoder in HF naming (model.layers.N.self_attn.q_proj, ...). */
export function decoderPlan(input: SpecInput, opts: DecoderOptions): NativeModelPlan {
  const { config: c, weights: w } = input;
  const pre = opts.prefix ?? '';
  const qOut = c.numHeads * c.headDim;
  const kvOut = c.numKvHeads * c.headDim;
  const H = c.hiddenSize;
  const tensors: TensorTable = {
    token_embd: w.linear(`${pre}model.embed_tokens`, c.vocabSize, H),
    output_norm: w.tensor(`${pre}model.norm.weight`, [H]),
  };
  const layers: LayerPlan[] = [];
  const rope = ropePlan(c);
  for (let i = 0; i < c.numLayers; i++) {
    const p = `${pre}model.layers.${i}`;
    const b = `blk.${i}.`;
    tensors[`${b}attn_norm`] = w.tensor(`${p}.input_layernorm.weight`, [H]);
    tensors[`${b}attn_q`] = w.linear(`${p}.self_attn.q_proj`, qOut, H);
    tensors[`${b}attn_k`] = w.linear(`${p}.self_attn.k_proj`, kvOut, H);
    tensors[`${b}attn_v`] = w.linear(`${p}.self_attn.v_proj`, kvOut, H);
    tensors[`${b}attn_output`] = w.linear(`${p}.self_attn.o_proj`, H, qOut);
    if (opts.qkvBias) {
      tensors[`${b}attn_q.bias`] = w.tensor(`${p}.self_attn.q_proj.bias`, [qOut]);
      tensors[`${b}attn_k.bias`] = w.tensor(`${p}.self_attn.k_proj.bias`, [kvOut]);
      tensors[`${b}attn_v.bias`] = w.tensor(`${p}.self_attn.v_proj.bias`, [kvOut]);
    }
    if (opts.qkNorm) {
      tensors[`${b}attn_q_norm`] = w.tensor(`${p}.self_attn.q_norm.weight`, [c.headDim]);
      tensors[`${b}attn_k_norm`] = w.tensor(`${p}.self_attn.k_norm.weight`, [c.headDim]);
    }
    tensors[`${b}ffn_norm`] = w.tensor(`${p}.post_attention_layernorm.weight`, [H]);
    const mlp = opts.mlp?.(i, p, b, tensors) ?? denseMlp(input, p, b, tensors);
    layers.push({
      mixer: {
        kind: 'attention',
        numHeads: c.numHeads,
        numKvHeads: c.numKvHeads,
        headDim: c.headDim,
        qkNorm: opts.qkNorm,
        qkvBias: opts.qkvBias,
        rope,
      },
      mlp,
    });
  }
  addOutput(input, pre, tensors);
  return { arch: 'decoder', hiddenSize: H, vocabSize: c.vocabSize, rmsNormEps: c.rmsNormEps, layers, tensors, threads: input.threads };
}
