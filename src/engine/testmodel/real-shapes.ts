// The real-shape variants with fewer layers, for the real-shape suite (test/realshape): each keeps its checkpoint's
// widths (hidden size, heads, head_dim, vocabulary rows, experts, RoPE settings, layer pattern) and enough layers to
// hold every kind of layer the family has, so its 4-bit file stays under ~2 GB and its F32 GGUF twin fits the disk.
// Vocabularies without a tokenizer package keep their real row count; the stand-in tokenizer's ids fill the first
// rows and llama.cpp's twin pads the rest with unused tokens.
import type { ModelDims, TestArch, TestShape } from './spec.js';

type TextDims = Omit<ModelDims, 'weightPrefix' | 'visionTower' | 'moe' | 'gemma' | 'phi'>;

/** Mistral Small 3.1 / 3.2 and Devstral Small (the text model of mistral3): 40 layers of 5120 in the checkpoints. */
const MISTRAL_SMALL: TextDims = {
  hiddenSize: 5120, intermediateSize: 32768, numLayers: 2, numHeads: 32, numKvHeads: 8, headDim: 128,
  vocabSize: 131072, tied: false, rmsNormEps: 1e-5, ropeTheta: 1_000_000_000, ropeScaling: null,
  maxPositionEmbeddings: 131072, qkvBias: false, qkNorm: false,
};

/**
 * Gemma 4 26B-A4B (its text_config) with 2 of its 30 layers: a sliding layer (head_dim 256, 8 KV heads, 1024-token
 * window) and a full one (head_dim 512, 2 KV heads, v from k_proj, proportional RoPE over a quarter of the pairs).
 * Every layer has a dense GeGLU MLP of 2112 and 128 experts of 704 beside it, 8 per token; no per-layer inputs, no
 * shared KV layers. The checkpoint has 262144 vocabulary rows; the stand-in Gemma tokenizer package's 262208 are used
 * (as gemma4-e2b-10l does). ~1.1 GB at 4 bits.
 */
export const GEMMA4_26B_A4B_2L: ModelDims = {
  hiddenSize: 2816, intermediateSize: 2112, numLayers: 2, numHeads: 16, numKvHeads: 8, headDim: 256,
  vocabSize: 262208, tied: true, rmsNormEps: 1e-6, ropeTheta: 1_000_000, ropeScaling: null,
  maxPositionEmbeddings: 262144, qkvBias: false, qkNorm: true, weightPrefix: 'language_model.', visionTower: true,
  moe: { numExperts: 128, topK: 8, expertIntermediateSize: 704, normTopK: true }, gemma: null, phi: null,
  gemma4: {
    layerTypes: ['sliding_attention', 'full_attention'], slidingWindow: 1024, globalHeadDim: 512, numGlobalKvHeads: 2,
    kEqV: true, kvSharedLayers: 0, perLayerInputSize: 0, slidingTheta: 10_000, fullPartialRotary: 0.25, finalSoftcap: 30,
  },
};

/** Which architectures each shortened real shape belongs to. */
export const REAL_SHAPE_ARCHS: Partial<Record<TestShape, readonly TestArch[]>> = {
  'qwen3-30b-a3b-2l': ['qwen3_moe'],
  'mistral-small-3-2l': ['mistral', 'mistral3'],
  'phi-4-mini-2l': ['phi3'],
  'smollm3-3b-4l': ['smollm3'],
  'gemma3-1b-6l': ['gemma3_text'],
  'gemma3-4b-6l': ['gemma3'],
};

/** The text dims of a shortened real shape of a plain decoder (others: undefined). */
export function realTextDims(arch: TestArch, shape: TestShape): TextDims | undefined {
  const archs = REAL_SHAPE_ARCHS[shape];
  if (!archs) return undefined;
  if (!archs.includes(arch)) throw new RangeError(`shape ${shape} needs --arch ${archs.join(' or ')}`);
  switch (shape) {
    case 'qwen3-30b-a3b-2l':
      // Qwen3-30B-A3B with 2 of its 48 layers (every layer is the same sparse one): ~1 GB at 4 bits.
      return {
        hiddenSize: 2048, intermediateSize: 6144, numLayers: 2, numHeads: 32, numKvHeads: 4, headDim: 128,
        vocabSize: 151936, tied: false, rmsNormEps: 1e-6, ropeTheta: 1_000_000, ropeScaling: null,
        maxPositionEmbeddings: 40960, qkvBias: false, qkNorm: true,
      };
    case 'mistral-small-3-2l':
      return MISTRAL_SMALL;
    case 'phi-4-mini-2l':
      // Phi-4-mini with 2 of its 32 layers and its o200k vocabulary's 200064 rows.
      return {
        hiddenSize: 3072, intermediateSize: 8192, numLayers: 2, numHeads: 24, numKvHeads: 8, headDim: 128,
        vocabSize: 200064, tied: true, rmsNormEps: 1e-5, ropeTheta: 10_000, ropeScaling: null,
        maxPositionEmbeddings: 131072, qkvBias: false, qkNorm: false,
      };
    case 'smollm3-3b-4l':
      // SmolLM3-3B with 4 of its 36 layers: three RoPE layers and the NoPE fourth.
      return {
        hiddenSize: 2048, intermediateSize: 11008, numLayers: 4, numHeads: 16, numKvHeads: 4, headDim: 128,
        vocabSize: 128256, tied: true, rmsNormEps: 1e-6, ropeTheta: 5_000_000, ropeScaling: null,
        maxPositionEmbeddings: 65536, qkvBias: false, qkNorm: false,
      };
    case 'gemma3-1b-6l':
      // Gemma 3 1B with 6 of its 26 layers: five local, then the global one.
      return {
        hiddenSize: 1152, intermediateSize: 6912, numLayers: 6, numHeads: 4, numKvHeads: 1, headDim: 256,
        vocabSize: 262208, tied: true, rmsNormEps: 1e-6, ropeTheta: 1_000_000, ropeScaling: null,
        maxPositionEmbeddings: 32768, qkvBias: false, qkNorm: true,
      };
    case 'gemma3-4b-6l':
      // Gemma 3 4B's text model with 6 of its 34 layers (five local, one global).
      return {
        hiddenSize: 2560, intermediateSize: 10240, numLayers: 6, numHeads: 8, numKvHeads: 4, headDim: 256,
        vocabSize: 262208, tied: true, rmsNormEps: 1e-6, ropeTheta: 1_000_000, ropeScaling: null,
        maxPositionEmbeddings: 131072, qkvBias: false, qkNorm: true,
      };
    default:
      return undefined;
  }
}
