// A loaded model: packed weights, the architecture's layer function, the thread pool and scratch buffers.
#pragma once
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "spec.h"
#include "threadpool.h"
#include "weights.h"

namespace vmlx {

struct Layer {
  std::vector<float> inputNorm, postNorm, qBias, kBias, vBias, qNorm, kNorm;
  OwnedWeight q, k, v, o, gate, up, down;
};

struct Forward;
class Model;

// What differs between architectures (one small file each in models/).
struct Architecture {
  const char* name;
  // Throws EngineError when the spec lacks something this architecture needs.
  void (*validate)(const ModelSpec& spec);
  // RoPE inverse frequencies, headDim/2 of them.
  std::vector<double> (*rope_inv_freq)(const ModelSpec& spec);
  // One decoder layer over the tokens in `f` (residual stream f.x updated in place).
  void (*layer)(Forward& f, const Layer& layer, int index);
};

const Architecture* find_architecture(const std::string& name);
const Architecture& arch_qwen3();
const Architecture& arch_qwen2();
const Architecture& arch_llama();

// Per-session key/value cache: [layer][kvHead][position][headDim] float16. calloc'd, so pages become resident only
// as positions are written, however large maxContext is.
struct CFree {
  void operator()(void* p) const { std::free(p); }
};
struct KvCache {
  int maxContext = 0;
  std::unique_ptr<uint16_t[], CFree> k, v;
};

// Scratch for one forward pass of up to maxTokens tokens (the prefill chunk), allocated once per model.
struct Scratch {
  int maxTokens = 0;
  std::vector<float> x, h, q, k, v, attn, gate, up, scores, cosTab, sinTab;
  std::vector<int16_t> aq;
  std::vector<float> aScale, aSum[3];
};

class Model {
 public:
  static constexpr int kChunk = 256;  // prefill chunk (tokens per forward pass)

  Model(const ModelSpec& spec, const KernelSet& kernels, std::function<void(double)> progress);

  // Runs the model over tokens[0..T) at positions pos0.. of the cache (T <= kChunk). Writes the logits of the last
  // token (allLogits = false) or of every token (allLogits = true; logits holds T*vocab) when logits is non-null.
  void forward(KvCache& kv, const int32_t* tokens, int T, int pos0, float* logits, bool allLogits);

  KvCache make_cache(int maxContext) const;

  const ModelSpec& spec() const { return spec_; }
  const KernelSet& kernels() const { return *kernels_; }
  ThreadPool& pool() { return *pool_; }
  size_t weight_bytes() const { return weightBytes_; }
  int vocab() const { return spec_.vocabSize; }

 private:
  friend struct Forward;
  ModelSpec spec_;
  const KernelSet* kernels_;
  const Architecture* arch_;
  std::unique_ptr<ThreadPool> pool_;
  OwnedWeight embed_, lmHead_;
  std::vector<float> finalNorm_;
  std::vector<Layer> layers_;
  std::vector<double> invFreq_;
  Scratch s_;
  size_t weightBytes_ = 0;
};

}  // namespace vmlx
