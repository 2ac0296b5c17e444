// What a generated test model looks like: architecture, shape, dtype, quantization, and the tensors that follow from them.
// Shapes mirror the real checkpoints (notes/engine.md §2.2) so speed measured on random weights is representative.
import { gptOssDims, gptOssLayerDefs, gptOssQuantOverrides } from './gpt-oss-spec.js';
import { gemma4Dims, gemma4QuantOverrides, gemma4TensorDefs, type Gemma4Dims } from './gemma4-spec.js';
import { hybridLayerDefs, qwen3_5Dims, qwen3NextDims } from './hybrid-spec.js';
import { realTextDims } from './real-shapes.js';

export type TestArch = 'qwen3' | 'qwen2' | 'llama' | 'mistral' | 'mistral3' | 'smollm3' | 'qwen3_moe' | 'gemma3_text' | 'gemma3' | 'phi3' | 'qwen3_5' | 'qwen3_5_moe' | 'qwen3_next' | 'gpt_oss' | 'gemma4';
export type TestShape = 'tiny' | 'qwen3-0.6b' | 'llama-3.2-1b' | 'qwen3-30b-a3b' | 'qwen3-30b-a3b-12l' | 'gemma3-1b' | 'phi-4-mini' | 'qwen3.5-0.8b' | 'gpt-oss-20b' | 'gpt-oss-20b-6l' | 'gemma4-e2b-10l'
  | 'gemma4-moe-tiny' | 'gemma4-26b-a4b-2l' | 'qwen3-30b-a3b-2l' | 'qwen3.5-35b-a3b-4l' | 'gpt-oss-20b-2l' | 'mistral-small-3-2l' | 'phi-4-mini-2l' | 'smollm3-3b-4l' | 'gemma3-1b-6l' | 'gemma3-4b-6l'
  | 'qwen3-next-80b-a3b-2l';
export type TestDType = 'f32' | 'bf16';
/** 'q4_0-f32': F32 holding exactly the values of the q4_0 twin (llama.cpp's float path on its own 4-bit weights). */
export type GgufType = 'f32' | 'q4_0' | 'q8_0' | 'mxfp4' | 'q4_0-f32';

export const TEST_ARCHS: readonly TestArch[] = ['qwen3', 'qwen2', 'llama', 'mistral', 'mistral3', 'smollm3', 'qwen3_moe', 'gemma3_text', 'gemma3', 'phi3', 'qwen3_5', 'qwen3_5_moe', 'qwen3_next', 'gpt_oss', 'gemma4'];
export const TEST_SHAPES: readonly TestShape[] = [
  'tiny', 'qwen3-0.6b', 'llama-3.2-1b', 'qwen3-30b-a3b', 'qwen3-30b-a3b-12l', 'gemma3-1b', 'phi-4-mini', 'qwen3.5-0.8b', 'gpt-oss-20b', 'gpt-oss-20b-6l', 'gemma4-e2b-10l',
  'gemma4-moe-tiny', 'gemma4-26b-a4b-2l', 'qwen3-30b-a3b-2l', 'qwen3.5-35b-a3b-4l', 'gpt-oss-20b-2l', 'mistral-small-3-2l', 'phi-4-mini-2l', 'smollm3-3b-4l', 'gemma3-1b-6l', 'gemma3-4b-6l',
  'qwen3-next-80b-a3b-2l',
];

export type TestQuantMode = 'affine' | 'mxfp4';
export const TEST_QUANT_MODES: readonly TestQuantMode[] = ['affine', 'mxfp4'];

export interface QuantSpec {
  bits: number;
  groupSize: number;
  /** MLX quantization mode (default affine). mxfp4: bits 4, group 32, E8M0 scales, no biases. */
  mode?: TestQuantMode;
}

/** The linear-attention side of a Qwen3.5-style hybrid (Gated DeltaNet layers between full-attention layers). */
export interface HybridDims {
  numKHeads: number;
  numVHeads: number;
  headKDim: number;
  headVDim: number;
  convKernel: number;
  /** Every n-th layer is full attention (the others Gated DeltaNet). */
  fullAttentionInterval: number;
  /** Leading fraction of each attention head that RoPE rotates. */
  partialRotaryFactor: number;
  /** Qwen3-Next: in_proj_qkvz / in_proj_ba fused per key head (Qwen3.5: in_proj_qkv, in_proj_z, in_proj_b, in_proj_a). */
  fusedInProj?: boolean;
}

export interface ModelDims {
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
  tied: boolean;
  rmsNormEps: number;
  ropeTheta: number;
  /** llama3 rope scaling, when the architecture uses it. */
  ropeScaling: { factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositionEmbeddings: number } | null;
  maxPositionEmbeddings: number;
  /** Qwen2 q/k/v Linear bias. */
  qkvBias: boolean;
  /** Qwen3 per-head q/k RMSNorm. */
  qkNorm: boolean;
  /** Prefix of the text model's tensor names (mistral3: 'language_model.'). */
  weightPrefix: string;
  /** A (tiny) vision tower and projector beside the text model, as multimodal checkpoints ship them. */
  visionTower: boolean;
  /** Qwen3.5 hybrids: the Gated DeltaNet dims (absent for plain decoders). */
  hybrid?: HybridDims;
  /** Mixture-of-experts MLP in every layer (qwen3_moe; gemma4: beside the dense MLP), or null for the dense MLP. */
  moe: MoeDims | null;
  /** Gemma 3: local/global layers, sandwich (1 + w) norms, GeLU, query_pre_attn_scalar. */
  gemma: GemmaDims | null;
  /** Phi-3: fused qkv_proj / gate_up_proj, partial rotary, longrope. */
  phi: PhiDims | null;
  /** gpt-oss: sinks, alternating sliding window, YaRN, clamped SwiGLU experts with biases (with `moe`). */
  gptOss?: GptOssDims;
  /** Gemma 4 (gemma4-spec.ts): per-type head dims, shared KV layers, per-layer inputs. */
  gemma4?: Gemma4Dims;
}

export interface GptOssDims {
  slidingWindow: number;
  swigluLimit: number;
  yarn: { factor: number; betaFast: number; betaSlow: number; originalMaxPositionEmbeddings: number };
}

export interface MoeDims {
  numExperts: number;
  topK: number;
  expertIntermediateSize: number;
  normTopK: boolean;
  /** A shared expert of this size, scaled by sigmoid(shared_expert_gate · x) (qwen3_5_moe). */
  sharedExpertIntermediateSize?: number;
}

export interface PhiDims {
  partialRotaryFactor: number;
  originalMaxPositionEmbeddings: number;
  shortFactor: number[];
  longFactor: number[];
}

/** Phi-3's longrope divisors for `pairs` rotation pairs: short ones near 1, long ones growing to ~`top`. */
function longropeFactors(pairs: number, top: number): number[] {
  return Array.from({ length: pairs }, (_, i) => Math.round(100 * (1 + (top - 1) * (i / (pairs - 1)) ** 2)) / 100);
}

export interface GemmaDims {
  slidingWindow: number;
  /** Every sliding_window_pattern-th layer is global. */
  slidingWindowPattern: number;
  ropeLocalBase: number;
  /** Linear RoPE scaling of the global layers (Gemma 3 4B and larger), or null. */
  linearRopeFactor: number | null;
  queryPreAttnScalar: number;
}

export function isGemma3(arch: TestArch): boolean {
  return arch === 'gemma3_text' || arch === 'gemma3';
}

export interface TestModelOptions {
  arch: TestArch;
  shape: TestShape;
  dtype: TestDType;
  /** Absent = not quantized. */
  quant?: QuantSpec;
  seed: number;
}

/** A weight tensor of the model in HF naming, with its role (which decides quantization and init scale). */
export interface TensorDef {
  name: string; // HF name without the .weight/.bias suffix for linears; full name for vectors
  /**
   * vision: a multimodal checkpoint's vision-side tensor (float, never quantized, not in the GGUF text model).
   * conv: a depthwise conv kernel [channels, kernel] (float, never quantized), stored as storedShape.
   * experts: stacked expert Linears [experts, out, in] (MLX SwitchLinear), quantized like [experts*out, in].
   */
  kind: 'linear' | 'embedding' | 'norm' | 'bias' | 'vision' | 'conv' | 'experts';
  shape: number[]; // logical shape: [out, in] for linear/embedding, [experts, out, in] for experts, [n] for vectors
  /** The shape in the safetensors file when it differs from the logical one (MLX conv1d: [channels, kernel, 1]). */
  storedShape?: number[];
  /** Standard deviation of the random init. */
  std: number;
  /** Mean of the random init (default: 1 for norms, 0 otherwise). */
  mean?: number;
}

const QWEN_VOCAB = 151936;
// The padded vocabulary of the multimodal checkpoints (the tokenizer package includes the image token, id 262144).
const GEMMA3_VOCAB = 262208;
const LLAMA_VOCAB = 128256;

export function modelDims(arch: TestArch, shape: TestShape): ModelDims {
  if (arch === 'qwen3_5' || arch === 'qwen3_5_moe') return qwen3_5Dims(shape, arch === 'qwen3_5_moe');
  if (arch === 'qwen3_next') return qwen3NextDims(shape);
  if (arch === 'gpt_oss') return gptOssDims(shape);
  if (arch === 'gemma4') return gemma4Dims(shape);
  const multimodal = arch === 'mistral3' || arch === 'gemma3';
  const gemma = isGemma3(arch) ? gemmaDims(shape) : null;
  const text = realTextDims(arch, shape) ?? textDims(arch, shape);
  const phi = arch === 'phi3' ? phiDims(text.headDim, shape) : null;
  return { weightPrefix: multimodal ? 'language_model.' : '', visionTower: multimodal, moe: moeDims(arch, shape), gemma, phi, ...text };
}

function moeDims(arch: TestArch, shape: TestShape): MoeDims | null {
  if (arch !== 'qwen3_moe') return null;
  // Qwen3-30B-A3B: 128 experts of 768, 8 per token. Tiny: 8 experts of 64 (a multiple of the group size, so the
  // down projection is quantized too), 2 per token.
  if (shape === 'tiny') return { numExperts: 8, topK: 2, expertIntermediateSize: 64, normTopK: true };
  return { numExperts: 128, topK: 8, expertIntermediateSize: 768, normTopK: true };
}

function phiDims(headDim: number, shape: TestShape): PhiDims {
  const pairs = (headDim * 0.75) / 2;
  // Tiny: a 64-token original context, so the 512-token test context uses the long factors (and llama.cpp does too).
  const original = shape === 'tiny' ? 64 : 4096;
  return { partialRotaryFactor: 0.75, originalMaxPositionEmbeddings: original, shortFactor: longropeFactors(pairs, 1.5), longFactor: longropeFactors(pairs, 40) };
}

function gemmaDims(shape: TestShape): GemmaDims {
  // Tiny: a 32-token window so a 256-token sequence slides, and the 4B+ linear scaling on the global layer.
  if (shape === 'tiny') return { slidingWindow: 32, slidingWindowPattern: 6, ropeLocalBase: 10_000, linearRopeFactor: 8, queryPreAttnScalar: 32 };
  // Gemma 3 4B: a 1024-token window and linear scaling (factor 8) of the global layers' RoPE.
  if (shape === 'gemma3-4b-6l') return { slidingWindow: 1024, slidingWindowPattern: 6, ropeLocalBase: 10_000, linearRopeFactor: 8, queryPreAttnScalar: 256 };
  return { slidingWindow: 512, slidingWindowPattern: 6, ropeLocalBase: 10_000, linearRopeFactor: null, queryPreAttnScalar: 256 };
}

function textDims(arch: Exclude<TestArch, 'qwen3_5' | 'qwen3_5_moe' | 'qwen3_next' | 'gpt_oss' | 'gemma4'>, shape: TestShape): Omit<ModelDims, 'weightPrefix' | 'visionTower' | 'moe' | 'gemma' | 'phi'> {
  if (shape === 'qwen3.5-0.8b') throw new RangeError(`shape qwen3.5-0.8b needs --arch qwen3_5`);
  if (shape === 'qwen3.5-35b-a3b-4l') throw new RangeError(`shape ${shape} needs --arch qwen3_5_moe`);
  if (shape === 'qwen3-next-80b-a3b-2l') throw new RangeError(`shape ${shape} needs --arch qwen3_next`);
  if (shape === 'gpt-oss-20b' || shape === 'gpt-oss-20b-6l' || shape === 'gpt-oss-20b-2l') throw new RangeError(`shape ${shape} needs --arch gpt_oss`);
  if (shape === 'gemma4-e2b-10l' || shape === 'gemma4-moe-tiny' || shape === 'gemma4-26b-a4b-2l') throw new RangeError(`shape ${shape} needs --arch gemma4`);
  if (shape === 'qwen3-30b-a3b' || shape === 'qwen3-30b-a3b-12l') {
    // The real width; the -12l variant keeps 12 of the 48 layers (a 4-bit file of ~4.6 GB instead of ~17 GB).
    if (arch !== 'qwen3_moe') throw new RangeError(`shape ${shape} needs --arch qwen3_moe`);
    return {
      hiddenSize: 2048, intermediateSize: 6144, numLayers: shape === 'qwen3-30b-a3b' ? 48 : 12, numHeads: 32, numKvHeads: 4,
      headDim: 128, vocabSize: QWEN_VOCAB, tied: false, rmsNormEps: 1e-6, ropeTheta: 1_000_000, ropeScaling: null,
      maxPositionEmbeddings: 40960, qkvBias: false, qkNorm: true,
    };
  }
  if (shape === 'phi-4-mini') {
    if (arch !== 'phi3') throw new RangeError(`shape phi-4-mini needs --arch phi3`);
    // Phi-4-mini's width; its o200k vocabulary has no tokenizer package, so Llama 3's stands in (as for Mistral).
    return {
      hiddenSize: 3072, intermediateSize: 8192, numLayers: 32, numHeads: 24, numKvHeads: 8, headDim: 128,
      vocabSize: LLAMA_VOCAB, tied: true, rmsNormEps: 1e-5, ropeTheta: 10_000, ropeScaling: null,
      maxPositionEmbeddings: 131072, qkvBias: false, qkNorm: false,
    };
  }
  if (shape === 'gemma3-1b') {
    if (!isGemma3(arch)) throw new RangeError(`shape gemma3-1b needs --arch gemma3_text or gemma3`);
    return {
      hiddenSize: 1152, intermediateSize: 6912, numLayers: 26, numHeads: 4, numKvHeads: 1, headDim: 256,
      vocabSize: GEMMA3_VOCAB, tied: true, rmsNormEps: 1e-6, ropeTheta: 1_000_000, ropeScaling: null,
      maxPositionEmbeddings: 32768, qkvBias: false, qkNorm: true,
    };
  }
  if (shape === 'qwen3-0.6b') {
    if (arch !== 'qwen3' && arch !== 'qwen2') throw new RangeError(`shape qwen3-0.6b needs --arch qwen3 or qwen2`);
    return {
      hiddenSize: 1024, intermediateSize: 3072, numLayers: 28, numHeads: 16, numKvHeads: 8, headDim: 128,
      vocabSize: QWEN_VOCAB, tied: true, rmsNormEps: 1e-6, ropeTheta: 1_000_000, ropeScaling: null,
      maxPositionEmbeddings: 40960, qkvBias: arch === 'qwen2', qkNorm: arch === 'qwen3',
    };
  }
  if (shape === 'llama-3.2-1b') {
    if (arch !== 'llama') throw new RangeError(`shape llama-3.2-1b needs --arch llama`);
    return {
      hiddenSize: 2048, intermediateSize: 8192, numLayers: 16, numHeads: 32, numKvHeads: 8, headDim: 64,
      vocabSize: LLAMA_VOCAB, tied: true, rmsNormEps: 1e-5, ropeTheta: 500_000,
      ropeScaling: { factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 },
      maxPositionEmbeddings: 131072, qkvBias: false, qkNorm: false,
    };
  }
  // tiny: the real vocabulary (so token ids match the real tokenizer), a small body.
  switch (arch) {
    case 'qwen3_moe':
      // Untied like Qwen3-30B-A3B (its lm_head gets the 8-bit override); the experts are in moeDims.
      return {
        hiddenSize: 64, intermediateSize: 192, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 32,
        vocabSize: QWEN_VOCAB, tied: false, rmsNormEps: 1e-6, ropeTheta: 1_000_000, ropeScaling: null,
        maxPositionEmbeddings: 40960, qkvBias: false, qkNorm: true,
      };
    case 'phi3':
      // head_dim = hidden/heads (Phi-3 configs give no head_dim) = 16: 12 rotary dims (partial_rotary_factor 0.75,
      // as Phi-4-mini's 96 of 128); the Llama 3 vocabulary.
      return {
        hiddenSize: 64, intermediateSize: 128, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 16,
        vocabSize: LLAMA_VOCAB, tied: true, rmsNormEps: 1e-5, ropeTheta: 10_000, ropeScaling: null,
        maxPositionEmbeddings: 4096, qkvBias: false, qkNorm: false,
      };
    case 'gemma3_text':
    case 'gemma3':
      // Six layers: five local and one global; head_dim 32 != hidden/heads (16), as 256 vs 1152/4.
      return {
        hiddenSize: 64, intermediateSize: 128, numLayers: 6, numHeads: 4, numKvHeads: 2, headDim: 32,
        vocabSize: GEMMA3_VOCAB, tied: true, rmsNormEps: 1e-6, ropeTheta: 1_000_000, ropeScaling: null,
        maxPositionEmbeddings: 32768, qkvBias: false, qkNorm: true,
      };
    case 'qwen3':
      // head_dim 32 != hidden/heads (16): exercises the explicit head_dim path like the real Qwen3.
      return {
        hiddenSize: 64, intermediateSize: 192, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 32,
        vocabSize: QWEN_VOCAB, tied: true, rmsNormEps: 1e-6, ropeTheta: 1_000_000, ropeScaling: null,
        maxPositionEmbeddings: 40960, qkvBias: false, qkNorm: true,
      };
    case 'qwen2':
      // Untied: exercises a separate lm_head (and its per-layer quantization override).
      return {
        hiddenSize: 64, intermediateSize: 128, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 16,
        vocabSize: QWEN_VOCAB, tied: false, rmsNormEps: 1e-6, ropeTheta: 1_000_000, ropeScaling: null,
        maxPositionEmbeddings: 32768, qkvBias: true, qkNorm: false,
      };
    case 'llama':
      // A small original context makes the llama3 scaling change most frequencies within a few hundred positions,
      // so a wrong scaling rule shows up in the parity test.
      return {
        hiddenSize: 64, intermediateSize: 128, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 16,
        vocabSize: LLAMA_VOCAB, tied: true, rmsNormEps: 1e-5, ropeTheta: 10_000,
        ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 256 },
        maxPositionEmbeddings: 131072, qkvBias: false, qkNorm: false,
      };
    case 'mistral':
    case 'mistral3':
      // Mistral Small 3.x in miniature: explicit head_dim (32) wider than hidden/heads (16), as 128 vs 5120/32;
      // rope_theta 1e9; untied. No Mistral tokenizer package exists, so the Llama 3 vocabulary stands in.
      return {
        hiddenSize: 64, intermediateSize: 128, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 32,
        vocabSize: LLAMA_VOCAB, tied: false, rmsNormEps: 1e-5, ropeTheta: 1_000_000_000, ropeScaling: null,
        maxPositionEmbeddings: 131072, qkvBias: false, qkNorm: false,
      };
    case 'smollm3':
      // Four layers so that the fourth is a NoPE layer (every 4th, as llama.cpp hard-codes for smollm3); tied.
      return {
        hiddenSize: 64, intermediateSize: 128, numLayers: 4, numHeads: 4, numKvHeads: 2, headDim: 16,
        vocabSize: LLAMA_VOCAB, tied: true, rmsNormEps: 1e-6, ropeTheta: 5_000_000, ropeScaling: null,
        maxPositionEmbeddings: 65536, qkvBias: false, qkNorm: false,
      };
  }
}

/** The speed benchmarks' shapes: drawn with the checkpoints' 0.02 init (values do not change their speed). */
const BENCH_INIT_SHAPES: ReadonlySet<TestShape> = new Set<TestShape>([
  'qwen3-0.6b', 'llama-3.2-1b', 'qwen3-30b-a3b', 'qwen3-30b-a3b-12l', 'gemma3-1b', 'phi-4-mini', 'gpt-oss-20b', 'gpt-oss-20b-6l',
]);

/**
 * Whether a shape's weights are drawn for parity checks: unit-variance Linears (std 1/sqrt(fan-in)), embeddings
 * with std 4/sqrt(hidden) so logits spread by a few nats, and a zero-mean final norm, so greedy continuations vary
 * and neighbouring log-probabilities are no near-ties. A 0.02 init at real widths gives near-uniform next-token
 * distributions that repeat the current token (the residual is mostly its own embedding).
 */
export function spreadInit(shape: TestShape): boolean {
  return !BENCH_INIT_SHAPES.has(shape);
}

/** All tensors in HF naming. Init scales keep activations sane while leaving the greedy continuation varied. */
export function tensorDefs(dims: ModelDims, shape: TestShape): TensorDef[] {
  const { hiddenSize: h, intermediateSize: ff, numHeads, numKvHeads, headDim } = dims;
  const spread = spreadInit(shape);
  if (dims.gemma4) return gemma4TensorDefs(dims, dims.gemma4, spread);
  // A larger embedding scale spreads the logits (std ≈ 4) so continuations vary (0.5 at the tiny models' width 64);
  // the bench shapes use ~0.02.
  const embStd = spread ? 4 / Math.sqrt(h) : 0.02;
  const lin = (fanIn: number) => (spread ? 1 / Math.sqrt(fanIn) : 0.02);
  const pre = dims.weightPrefix;
  // Gemma stores w and multiplies by 1 + w: its norm weights are drawn around 0.
  const normMean = dims.gemma ? 0 : undefined;
  const defs: TensorDef[] = [{ name: `${pre}model.embed_tokens`, kind: 'embedding', shape: [dims.vocabSize, h], std: embStd }];
  for (let i = 0; i < dims.numLayers; i++) {
    const p = `${pre}model.layers.${i}`;
    if (dims.hybrid) {
      defs.push(...hybridLayerDefs(dims, dims.hybrid, p, i, lin));
      continue;
    }
    if (dims.gptOss) {
      defs.push(...gptOssLayerDefs(dims, p, spread, lin));
      continue;
    }
    defs.push({ name: `${p}.input_layernorm.weight`, kind: 'norm', shape: [h], std: 0.1, mean: normMean });
    if (dims.phi) {
      // Phi-3's fused projections: [q; k; v] rows and [gate; up] rows.
      defs.push({ name: `${p}.self_attn.qkv_proj`, kind: 'linear', shape: [(numHeads + 2 * numKvHeads) * headDim, h], std: lin(h) });
      defs.push({ name: `${p}.self_attn.o_proj`, kind: 'linear', shape: [h, numHeads * headDim], std: lin(numHeads * headDim) });
      defs.push({ name: `${p}.post_attention_layernorm.weight`, kind: 'norm', shape: [h], std: 0.1 });
      defs.push({ name: `${p}.mlp.gate_up_proj`, kind: 'linear', shape: [2 * ff, h], std: lin(h) });
      defs.push({ name: `${p}.mlp.down_proj`, kind: 'linear', shape: [h, ff], std: lin(ff) });
      continue;
    }
    defs.push({ name: `${p}.self_attn.q_proj`, kind: 'linear', shape: [numHeads * headDim, h], std: lin(h) });
    defs.push({ name: `${p}.self_attn.k_proj`, kind: 'linear', shape: [numKvHeads * headDim, h], std: lin(h) });
    defs.push({ name: `${p}.self_attn.v_proj`, kind: 'linear', shape: [numKvHeads * headDim, h], std: lin(h) });
    if (dims.qkvBias) {
      defs.push({ name: `${p}.self_attn.q_proj.bias`, kind: 'bias', shape: [numHeads * headDim], std: 0.1 });
      defs.push({ name: `${p}.self_attn.k_proj.bias`, kind: 'bias', shape: [numKvHeads * headDim], std: 0.1 });
      defs.push({ name: `${p}.self_attn.v_proj.bias`, kind: 'bias', shape: [numKvHeads * headDim], std: 0.1 });
    }
    if (dims.qkNorm) {
      defs.push({ name: `${p}.self_attn.q_norm.weight`, kind: 'norm', shape: [headDim], std: 0.1, mean: normMean });
      defs.push({ name: `${p}.self_attn.k_norm.weight`, kind: 'norm', shape: [headDim], std: 0.1, mean: normMean });
    }
    defs.push({ name: `${p}.self_attn.o_proj`, kind: 'linear', shape: [h, numHeads * headDim], std: lin(numHeads * headDim) });
    defs.push({ name: `${p}.post_attention_layernorm.weight`, kind: 'norm', shape: [h], std: 0.1, mean: normMean });
    if (dims.gemma) {
      defs.push({ name: `${p}.pre_feedforward_layernorm.weight`, kind: 'norm', shape: [h], std: 0.1, mean: 0 });
      defs.push({ name: `${p}.post_feedforward_layernorm.weight`, kind: 'norm', shape: [h], std: 0.1, mean: 0 });
    }
    if (dims.moe) {
      const { numExperts: e, expertIntermediateSize: fe } = dims.moe;
      // A router spread wide enough that tokens pick different experts, like a trained router.
      defs.push({ name: `${p}.mlp.gate`, kind: 'linear', shape: [e, h], std: spread ? 2 / Math.sqrt(h) : 0.02 });
      defs.push({ name: `${p}.mlp.switch_mlp.gate_proj`, kind: 'experts', shape: [e, fe, h], std: lin(h) });
      defs.push({ name: `${p}.mlp.switch_mlp.up_proj`, kind: 'experts', shape: [e, fe, h], std: lin(h) });
      defs.push({ name: `${p}.mlp.switch_mlp.down_proj`, kind: 'experts', shape: [e, h, fe], std: lin(fe) });
    } else {
      defs.push({ name: `${p}.mlp.gate_proj`, kind: 'linear', shape: [ff, h], std: lin(h) });
      defs.push({ name: `${p}.mlp.up_proj`, kind: 'linear', shape: [ff, h], std: lin(h) });
      defs.push({ name: `${p}.mlp.down_proj`, kind: 'linear', shape: [h, ff], std: lin(ff) });
    }
  }
  // Tied models: with a final norm near 1 the logit of the current token (its own embedding is in the residual)
  // wins every step and greedy decoding repeats one token. A zero-mean final norm removes that self-correlation.
  const norm = `${pre}model.norm.weight`;
  // (Gemma's 1 + w: a stored mean of -1.)
  const offset = dims.gemma ? -1 : 0;
  defs.push(spread ? { name: norm, kind: 'norm', shape: [h], mean: offset, std: 1 } : { name: norm, kind: 'norm', shape: [h], std: 0.1, mean: 1 + offset });
  if (!dims.tied) defs.push({ name: `${pre}lm_head`, kind: 'linear', shape: [dims.vocabSize, h], std: embStd });
  // A token vision tower (SigLIP's names for Gemma 3, Pixtral's for Mistral 3): the engine must leave it alone.
  if (dims.visionTower && dims.gemma) {
    defs.push({ name: 'vision_tower.vision_model.embeddings.patch_embedding.weight', kind: 'vision', shape: [32, 48], std: 0.02 });
    defs.push({ name: 'vision_tower.vision_model.post_layernorm.weight', kind: 'vision', shape: [32], std: 0.1, mean: 1 });
    defs.push({ name: 'multi_modal_projector.mm_input_projection_weight', kind: 'vision', shape: [32, h], std: 0.02 });
  } else if (dims.visionTower) {
    defs.push({ name: 'vision_tower.patch_conv.weight', kind: 'vision', shape: [32, 48], std: 0.02 });
    defs.push({ name: 'vision_tower.ln_pre.weight', kind: 'vision', shape: [32], std: 0.1, mean: 1 });
    defs.push({ name: 'multi_modal_projector.linear_1.weight', kind: 'vision', shape: [h, 32], std: 0.02 });
  }
  return defs;
}

/**
 * Per-layer quantization overrides written into config.quantization (mlx-lm's module-path keys).
 * 4-bit tiny models put one MLP projection at 8 bits (and an untied lm_head too), so loaders must honour overrides.
 */
export function quantOverrides(dims: ModelDims, shape: TestShape, quant: QuantSpec): Record<string, QuantSpec> {
  if (dims.gptOss) return gptOssQuantOverrides(tensorDefs(dims, shape), quant);
  if (dims.gemma4 && dims.moe) return gemma4QuantOverrides(dims, quant);
  if (dims.moe) {
    // mlx-lm's recipe for MoE checkpoints: every router (mlp.gate) at 8 bits, whatever the global width.
    if (quant.bits === 8) return {};
    const out: Record<string, QuantSpec> = {};
    for (let i = 0; i < dims.numLayers; i++) {
      out[`${dims.weightPrefix}model.layers.${i}.mlp.gate`] = eightBit(quant);
      if (dims.moe.sharedExpertIntermediateSize) out[`${dims.weightPrefix}model.layers.${i}.mlp.shared_expert_gate`] = eightBit(quant);
    }
    if (shape === 'tiny' && !dims.tied) out[`${dims.weightPrefix}lm_head`] = eightBit(quant);
    return out;
  }
  if (shape !== 'tiny' || quant.bits === 8) return {};
  const pre = dims.weightPrefix;
  const out: Record<string, QuantSpec> = { [`${pre}model.layers.0.mlp.down_proj`]: eightBit(quant) };
  if (!dims.tied) out[`${pre}lm_head`] = eightBit(quant);
  return out;
}

/** An 8-bit affine override beside the global quantization (group 64 beside mxfp4, whose groups are 32). */
function eightBit(quant: QuantSpec): QuantSpec {
  return quant.mode === 'mxfp4' ? { bits: 8, groupSize: 64, mode: 'affine' } : { bits: 8, groupSize: quant.groupSize };
}

export function isQuantizable(def: TensorDef, quant: QuantSpec | undefined): boolean {
  if (!quant) return false;
  if (def.kind !== 'linear' && def.kind !== 'embedding' && def.kind !== 'experts') return false;
  // mlx-lm skips layers whose input dimension is not a multiple of the group size.
  return def.shape[def.shape.length - 1] % quant.groupSize === 0;
}

export function validateQuant(quant: QuantSpec): void {
  if (quant.mode === 'mxfp4') {
    if (quant.bits !== 4) throw new RangeError(`--quant-mode mxfp4 needs --bits 4 (got ${quant.bits})`);
    if (quant.groupSize !== 32) throw new RangeError(`--quant-mode mxfp4 needs --group-size 32 (got ${quant.groupSize})`);
    return;
  }
  if (![2, 3, 4, 5, 6, 8].includes(quant.bits)) throw new RangeError(`--bits must be 2, 3, 4, 5, 6 or 8 (got ${quant.bits})`);
  if (![32, 64, 128].includes(quant.groupSize)) throw new RangeError(`--group-size must be 32, 64 or 128 (got ${quant.groupSize})`);
}
