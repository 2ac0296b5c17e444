// The model description TypeScript hands over (NativeModelPlan in src/engine/plan.ts), as C++ values:
// a per-layer plan (what each layer computes) and one generic tensor table (where its weights are).
#pragma once
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kernels/kernels.h"

namespace vmlx {

enum class DType { F32, F16, BF16, U32, U8 };

struct TensorRef {
  std::string name, file;  // name: the tensor's name in the file (for error messages)
  uint64_t offset = 0, byteLength = 0;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
};

// A float tensor, or a quantized one (codes + per-group scales, and biases for affine). `mode` and `bits` pick the
// row of the quant traits table (quant.h). rows/cols are the logical shape, filled when an architecture asks for it.
struct WeightRef {
  TensorRef weight;
  bool quantized = false;
  std::string mode;  // "affine" | "mxfp4"
  TensorRef scales, biases;
  bool hasBiases = false;
  int bits = 0, groupSize = 0;
  int rows = 0, cols = 0;
};

// Engine tensor name (GGUF-style: token_embd, output_norm, output, blk.N.attn_q, ...) → tensor.
using TensorTable = std::map<std::string, WeightRef>;

enum class RopeKind { None, Neox };
// How the inverse frequencies are scaled: llama3 (Llama 3.1+), yarn (gpt-oss; llama.cpp's corrected-dims ramp),
// longrope (Phi-3/4 "su": one divisor per frequency, chosen short or long by the TypeScript side), linear (every
// frequency divided by `factor`: Gemma 3's global layers), proportional (Gemma 4's global layers: the first
// `rotatedPairs` pairs keep their frequency, the others do not rotate).
enum class RopeScaling { None, Llama3, Yarn, Longrope, Linear, Proportional };
struct RopePlan {
  RopeKind kind = RopeKind::None;
  double theta = 10000;
  int rotaryDims = 0;  // leading dims of each head that rotate (== headDim unless partial rotary)
  RopeScaling scaling = RopeScaling::None;
  double factor = 1, lowFreqFactor = 1, highFreqFactor = 4, originalMax = 8192;  // llama3 (factor, originalMax: yarn)
  double betaFast = 32, betaSlow = 1;                                           // yarn
  std::vector<double> freqFactors;                                              // longrope: rotaryDims/2 divisors
  int rotatedPairs = 0;                                                         // proportional
  double attentionFactor = 1;  // multiplies cos and sin (yarn's and longrope's magnitude correction)
  bool operator==(const RopePlan& o) const {
    return kind == o.kind && theta == o.theta && rotaryDims == o.rotaryDims && scaling == o.scaling &&
           factor == o.factor && lowFreqFactor == o.lowFreqFactor && highFreqFactor == o.highFreqFactor &&
           originalMax == o.originalMax && betaFast == o.betaFast && betaSlow == o.betaSlow &&
           freqFactors == o.freqFactors && rotatedPairs == o.rotatedPairs && attentionFactor == o.attentionFactor;
  }
};

enum class MixerKind { Attention, GatedDeltaNet };
struct AttentionPlan {
  int numHeads = 0, numKvHeads = 0, headDim = 0;
  bool qkNorm = false;      // per-head RMSNorm of q and k over head_dim, before RoPE (Qwen3)
  bool qkvBias = false;     // Linear biases on q, k, v (Qwen2)
  bool outputBias = false;  // Linear bias on the output projection (gpt-oss)
  bool sinks = false;       // a learned per-head logit in the softmax denominator (gpt-oss): blk.N.attn_sinks
  int slidingWindow = 0;    // > 0: a query sees only the last slidingWindow positions (itself included)
  double softcap = 0;       // > 0: scores become softcap * tanh(score / softcap)
  double queryScale = 0;    // the scale of q.k; 0: 1/sqrt(headDim)
  // attn_q also emits a per-head output gate: per head [query | gate]; out = attn * sigmoid(gate) (Qwen3.5/Next)
  bool outputGate = false;
  bool valueNorm = false;     // v gets an RMSNorm without weight (Gemma 4)
  bool valueFromKey = false;  // no attn_v: v is the k projection before k's norm and RoPE (Gemma 4's k_eq_v)
  int kvSource = -1;          // >= 0: no k/v of its own; attends over that earlier layer's cache (Gemma 4)
  RopePlan rope;
};

// Gated DeltaNet linear attention (Qwen3.5 / Qwen3-Next): value heads share key heads in groups of
// numVHeads / numKHeads (value head h reads key head h / group); convKernel is the depthwise causal conv width.
struct DeltaNetPlan {
  int numKHeads = 0, numVHeads = 0, headKDim = 0, headVDim = 0, convKernel = 0;
};

enum class MlpKind { Gated, Moe };
// GeluTanh: GELU, tanh approximation (Gemma). SwigluOai (gpt-oss experts): clamped gate and up, gate*sigmoid(a*gate)*(up+1).
enum class Activation { Silu, GeluTanh, SwigluOai };
enum class RouterScoring { Softmax, Sigmoid, SoftmaxTopK };
// Gated: intermediateSize. Moe: the expert fields (plan.ts moePlanSchema); sharedIntermediateSize 0 = no shared expert.
struct MlpPlan {
  MlpKind kind = MlpKind::Gated;
  Activation activation = Activation::Silu;
  int intermediateSize = 0;
  int numExperts = 0, topK = 0, expertIntermediateSize = 0;
  RouterScoring scoring = RouterScoring::Softmax;
  bool normTopK = false;
  bool routerBias = false, expertBias = false;
  double swigluAlpha = 0, swigluLimit = 0;
  int sharedIntermediateSize = 0;
  bool sharedGated = false;
  // Gemma 4's router: it reads rmsnorm(x) (no weight) * ffn_gate_inp.scale / sqrt(hidden) of the un-normed residual.
  bool routerNorm = false;
  // Gemma 4's per_expert_scale: ffn_down_exps.scale [E] multiplies each expert's routing weight.
  bool expertScale = false;
  // The widest intermediate activation one token needs (scratch sizing).
  int widest() const { return kind == MlpKind::Gated ? intermediateSize : std::max(expertIntermediateSize, sharedIntermediateSize); }
};

struct LayerPlan {
  MixerKind mixer = MixerKind::Attention;
  AttentionPlan attention;  // mixer == Attention
  DeltaNetPlan deltaNet;    // mixer == GatedDeltaNet
  MlpPlan mlp;
  // Gemma 4's enable_moe_block: a mixture of experts beside the dense mlp (models/gemma4.cpp); kind Moe when hasMoe.
  bool hasMoe = false;
  MlpPlan moe;
};

struct ModelSpec {
  std::string arch;  // the native layer composition (models/*.cpp), e.g. "decoder"
  int hiddenSize = 0, vocabSize = 0;
  double rmsNormEps = 1e-6;
  double embedScale = 1;  // the embedding rows are multiplied by this (Gemma: sqrt(hiddenSize))
  double normOffset = 0;  // added to every RMSNorm weight at load (Gemma stores w and multiplies by 1 + w)
  double finalSoftcap = 0;   // > 0: logits become finalSoftcap * tanh(logit / finalSoftcap) (Gemma 4)
  int perLayerInputSize = 0;  // > 0: Gemma 4's per-layer inputs of this width (models/gemma4.cpp)
  std::vector<LayerPlan> layers;
  TensorTable tensors;
  int threads = 1;
  std::string kernels;  // empty: the best set for this CPU (or VMLX_KERNELS)
  ActMode activations = ActMode::Int16;  // how the quantized matmuls read their input (kernels.h)
};

}  // namespace vmlx
