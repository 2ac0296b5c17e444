// The model description TypeScript hands over (NativeModelSpec in src/engine/native-types.ts), as C++ values.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace vmlx {

enum class DType { F32, F16, BF16, U32 };

struct TensorRef {
  std::string name, file;
  uint64_t offset = 0, byteLength = 0;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
};

struct WeightRef {
  TensorRef weight;
  bool quantized = false;
  TensorRef scales, biases;
  int bits = 0, groupSize = 0;
  int rows = 0, cols = 0;
};

struct LayerRef {
  TensorRef inputNorm, postAttentionNorm;
  WeightRef q, k, v, o, gate, up, down;
  bool hasQkvBias = false, hasQkNorm = false;
  TensorRef qBias, kBias, vBias, qNorm, kNorm;
};

struct RopeScaling {
  bool llama3 = false;
  double factor = 1, lowFreqFactor = 1, highFreqFactor = 4, originalMax = 8192;
};

struct ModelSpec {
  std::string arch;
  int hiddenSize = 0, intermediateSize = 0, numLayers = 0, numHeads = 0, numKvHeads = 0, headDim = 0, vocabSize = 0;
  double rmsNormEps = 1e-6, ropeTheta = 10000;
  RopeScaling ropeScaling;
  WeightRef embed;
  TensorRef finalNorm;
  bool hasLmHead = false;
  WeightRef lmHead;
  std::vector<LayerRef> layers;
  int threads = 1;
  std::string kernels;  // empty: the best set for this CPU (or VMLX_KERNELS)
};

}  // namespace vmlx
