// The pieces every supported decoder-only architecture shares (embedding, pre-norm blocks with GQA attention and a
// SwiGLU MLP, final norm, tied or untied output); each architecture file adds only what differs.
import type { ModelConfig } from '../config.js';
import { MissingTensorError } from '../errors.js';
import type { NativeLayerWeights, NativeModelSpec } from '../native-types.js';
import type { WeightResolver } from '../weights.js';

export interface SpecInput {
  config: ModelConfig;
  weights: WeightResolver;
  threads: number;
  /** How errors name the weight files. */
  weightsLabel: string;
}

type CommonLayer = Omit<NativeLayerWeights, 'qBias' | 'kBias' | 'vBias' | 'qNorm' | 'kNorm'>;

/** Layer `i`'s norms, attention projections and MLP, by their HF module paths. */
export function commonLayer(w: WeightResolver, c: ModelConfig, i: number): CommonLayer {
  const p = `model.layers.${i}`;
  const qOut = c.numHeads * c.headDim;
  const kvOut = c.numKvHeads * c.headDim;
  return {
    inputNorm: w.tensor(`${p}.input_layernorm.weight`, [c.hiddenSize]),
    postAttentionNorm: w.tensor(`${p}.post_attention_layernorm.weight`, [c.hiddenSize]),
    q: w.linear(`${p}.self_attn.q_proj`, qOut, c.hiddenSize),
    k: w.linear(`${p}.self_attn.k_proj`, kvOut, c.hiddenSize),
    v: w.linear(`${p}.self_attn.v_proj`, kvOut, c.hiddenSize),
    o: w.linear(`${p}.self_attn.o_proj`, c.hiddenSize, qOut),
    gate: w.linear(`${p}.mlp.gate_proj`, c.intermediateSize, c.hiddenSize),
    up: w.linear(`${p}.mlp.up_proj`, c.intermediateSize, c.hiddenSize),
    down: w.linear(`${p}.mlp.down_proj`, c.hiddenSize, c.intermediateSize),
  };
}

/**
 * Embeddings are tied when config.json says so (a stray lm_head is then ignored, as mlx-lm's sanitize drops it),
 * or, when it does not say, when the files hold no lm_head.
 */
function outputProjection(input: SpecInput): NativeModelSpec['lmHead'] {
  const { config: c, weights: w } = input;
  const hasHead = w.has('lm_head.weight');
  const tied = c.tieWordEmbeddings ?? !hasHead;
  if (tied) return undefined;
  if (!hasHead) throw new MissingTensorError(input.weightsLabel, 'lm_head.weight');
  return w.linear('lm_head', c.vocabSize, c.hiddenSize);
}

export function buildSpec(
  input: SpecInput,
  arch: NativeModelSpec['arch'],
  layer: (i: number) => NativeLayerWeights,
): NativeModelSpec {
  const { config: c, weights: w } = input;
  const embed = w.linear('model.embed_tokens', c.vocabSize, c.hiddenSize);
  const layers: NativeLayerWeights[] = [];
  for (let i = 0; i < c.numLayers; i++) layers.push(layer(i));
  const spec: NativeModelSpec = {
    arch,
    hiddenSize: c.hiddenSize,
    intermediateSize: c.intermediateSize,
    numLayers: c.numLayers,
    numHeads: c.numHeads,
    numKvHeads: c.numKvHeads,
    headDim: c.headDim,
    vocabSize: c.vocabSize,
    rmsNormEps: c.rmsNormEps,
    ropeTheta: c.ropeTheta,
    ropeScaling: c.ropeScaling,
    embed,
    finalNorm: w.tensor('model.norm.weight', [c.hiddenSize]),
    layers,
    threads: input.threads,
  };
  const lmHead = outputProjection(input);
  if (lmHead) spec.lmHead = lmHead;
  return spec;
}
