// A loaded model: the embedding, one Layer object per layer of the plan (built by the architecture from shared
// blocks), the output projection, the thread pool and scratch buffers.
#pragma once
#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cache.h"
#include "kv_pool.h"
#include "kernels/kernels.h"
#include "lazy_weights.h"
#include "mapped_file.h"
#include "spec.h"
#include "threadpool.h"
#include "weights.h"

namespace vmlx {

// One RoPE configuration used by some layers, and its cos/sin rows for the tokens of the current forward pass.
struct RopeTable {
  RopePlan plan;
  std::vector<double> invFreq;  // rotaryDims/2
  std::vector<float> cos, sin;  // [maxTokens][rotaryDims/2]
};

// What evaluate can ask of the MoE routers (the parity tests' check of a routing near-tie): per position and layer,
// the gap between the k-th and (k+1)-th best router logits (which expert runs last and which does not run; NaN in
// layers without a router), and optionally one call taken the other way: at flipLayer and flipPos the (k+1)-th
// expert runs instead of the k-th.
struct RouterProbe {
  int layers = 0;
  std::vector<float> gaps;  // [positions][layers]
  int flipLayer = -1, flipPos = -1;
};

// Scratch for one forward pass of up to maxTokens tokens (grown up to the prefill chunk), sized for the widest layer.
// A token mixer runs before its layer's feed-forward has started, so it may keep per-pass buffers of its own in gate
// and up, and one that is not attention also in q, k, v and attn (see ScratchView): a buffer per layer cost ~17 MB
// per DeltaNet layer of Qwen3.5-0.8B for a 256-token chunk, one per model in vectors of its own still ~21 MB.
struct Scratch {
  int maxTokens = 0;
  std::vector<float> x, h, q, k, v, attn, gate, up, scores;
  // Mixture of experts (empty without MoE layers): router scores [T][E], tokens gathered per expert and their
  // outputs [T][hidden], the weighted sum [T][hidden].
  std::vector<float> route, moeIn, moeOut, moeSum;
  std::vector<int16_t> aq;
  std::vector<float> aScale, aSum[3];
  std::vector<RopeTable> ropes;
  // Gemma 4's per-layer inputs [T][layers][perLayerInputSize], written by its prologue before the layers run.
  std::vector<float> perLayer;
  std::vector<int> rowPos;  // [maxTokens] the position of each row in its sequence
  std::vector<int> rowSeg;  // [maxTokens] the segment of each row
  RouterProbe* routerProbe = nullptr;  // set by Session::evaluate when asked for (rows are then positions)
};

// One of Scratch's vectors used by a block as a per-pass buffer of its own (see Scratch). resize only ever grows the
// vector, so the block that sized it for the pass finds it no smaller than it left it.
class ScratchView {
 public:
  explicit ScratchView(std::vector<float>& v) : v_(&v) {}
  void resize(size_t n) const {
    if (v_->size() < n) v_->resize(n);
  }
  float* data() const { return v_->data(); }
  float& operator[](size_t i) const { return (*v_)[i]; }

 private:
  std::vector<float>* v_;
};

// One sequence's part of a batched forward pass: T consecutive rows from row0 of the pass, holding its tokens at
// positions pos0.. of the sequence.
struct Segment {
  SequenceState* seq;
  int row0, T, pos0;
};

// What a block sees of one forward pass: the rows of several sequences stacked (T in all; the residual stream is
// s.x). Per-token work (norms, matmuls, MLPs) runs over all T rows at once, so every weight is read once for the
// whole batch; token mixers run per segment, on that sequence's state of layer `layer`.
struct Forward {
  const ModelSpec& spec;
  const KernelSet& k;
  ThreadPool& pool;
  Scratch& s;
  const Segment* segs;
  int nsegs;
  int T;
  int layer;
  // The same pass over its first n rows (a block's sub-matmul over gathered rows: MoE experts).
  Forward rows(int n) const {
    Forward g = *this;
    g.T = n;
    return g;
  }
  LayerState* state(int seg) const { return segs[seg].seq->layers[layer].get(); }
  int max_context() const {
    int m = 0;
    for (int i = 0; i < nsegs; i++) m = std::max(m, segs[i].seq->maxContext);
    return m;
  }
};

// One sequence's input to Model::forward_batch: T tokens at positions pos0.., and whether the logits of its last
// token are wanted.
struct SegmentInput {
  SequenceState* seq;
  const int32_t* tokens;
  int T, pos0;
  bool logits;
};

// Resolves the plan's tensor table for the architecture's blocks, packing weights as they are asked for and
// counting the bytes one forward pass reads. Every tensor of the table must be used (a misnamed one is an error).
class Loader {
 public:
  Loader(const ModelSpec& spec, FileSet& files, ThreadPool& pool, Scratch& scratch);
  // The model's per-pass scratch, for blocks to keep a reference to the shared buffers they use.
  Scratch& scratch() { return scratch_; }
  bool has(const std::string& name) const { return spec_.tensors.count(name) != 0; }
  // A Linear weight [rows, cols] = [out, in], float or quantized. counted = false: not read whole per token.
  OwnedWeight matrix(const std::string& name, int rows, int cols, bool counted = true);
  // A float vector of exactly n elements (Linear bias, sink logits).
  std::vector<float> vector(const std::string& name, int64_t n);
  // A float tensor of exactly this shape (not quantized), flattened row-major.
  std::vector<float> floats(const std::string& name, const std::vector<int64_t>& shape);
  // A small Linear weight [rows, cols] as dequantized floats, row-major (MoE routers).
  std::vector<float> dense(const std::string& name, int rows, int cols);
  // A stacked expert tensor [experts, rows, cols]: one lazily packed slot per expert in lazy(). Not counted.
  std::vector<int> experts(const std::string& name, int experts, int rows, int cols);
  // The model's store of weights packed on first use (shares the weight arena).
  const std::shared_ptr<LazyWeightStore>& lazy();
  std::shared_ptr<LazyWeightStore> lazy_if_used() const { return lazy_; }
  // An RMSNorm weight of n elements, with the plan's normOffset added (Gemma's 1 + w).
  std::vector<float> norm(const std::string& name, int64_t n);
  void add_bytes(size_t n) { bytes_ += n; }
  size_t bytes() const { return bytes_; }
  // Throws EngineError naming the first tensor no block asked for.
  void check_all_used(const std::string& arch) const;

 private:
  const WeightRef& get(const std::string& name);
  const ModelSpec& spec_;
  FileSet& files_;
  ThreadPool& pool_;
  Scratch& scratch_;
  std::shared_ptr<WeightArena> arena_;
  std::shared_ptr<LazyWeightStore> lazy_;
  std::vector<std::string> used_;
  size_t bytes_ = 0;
};

// One layer of a model: reads and updates the residual stream f.s.x for the T tokens of a forward pass.
class Layer {
 public:
  virtual ~Layer() = default;
  virtual void forward(Forward& f) const = 0;
  // This layer's state for a new sequence of up to maxContext tokens (nullptr: the layer keeps none).
  virtual std::unique_ptr<LayerState> make_state(int maxContext) const = 0;
  // Its state when sequences share a paged KV pool; a layer that does not override it keeps its own cache (and the
  // session then does not use the pool, see Session).
  virtual std::unique_ptr<LayerState> make_paged_state(KvPool& pool, int maxContext) const { (void)pool; return make_state(maxContext); }
};

// Work an architecture does once per forward pass, after the embedding lookup and before the layers (Gemma 4 derives
// its per-layer inputs from the tokens and their embeddings here).
class Prologue {
 public:
  virtual ~Prologue() = default;
  virtual void forward(Forward& f, const int32_t* tokens) const = 0;
};

// An architecture composes shared blocks into a layer (one small file each in models/), optionally with a prologue.
struct Architecture {
  const char* name;
  std::unique_ptr<Layer> (*layer)(Loader& ld, const ModelSpec& spec, int index);
  std::unique_ptr<Prologue> (*prologue)(Loader& ld, const ModelSpec& spec) = nullptr;
};

const Architecture* find_architecture(const std::string& name);
const Architecture& arch_decoder();
const Architecture& arch_gemma();
const Architecture& arch_gemma4();

class Model {
 public:
  static constexpr int kChunk = 256;  // prefill chunk (tokens per forward pass)

  Model(const ModelSpec& spec, const KernelSet& kernels, std::function<void(double)> progress);

  // Runs the model over tokens[0..T) at positions pos0.. of the sequence (T <= kChunk). Writes the logits of the
  // last token (allLogits = false) or of every token (allLogits = true; logits holds T*vocab) when logits is non-null.
  void forward(SequenceState& seq, const int32_t* tokens, int T, int pos0, float* logits, bool allLogits);
  // One pass over several sequences (at most kChunk tokens in all), each at its own position with its own state.
  // logits gets vocab floats per segment that asks for them, in segment order. forward() is its one-segment case.
  void forward_batch(const SegmentInput* segs, int n, float* logits);

  SequenceState make_state(int maxContext) const;
  int max_step_tokens() const { return kChunk; }
  // A sequence whose attention layers take their blocks from `pool`.
  SequenceState make_paged_state(KvPool& pool, int maxContext) const;
  // Per layer: kvHeads * headDim of an attention layer (a row of the paged pool), 0 for the others.
  std::vector<int> kv_row_elems() const;
  // Bytes of one checkpoint of the recurrent layers' states (0 without recurrent layers).
  size_t recurrent_state_bytes() const;

  const ModelSpec& spec() const { return spec_; }
  const KernelSet& kernels() const { return *kernels_; }
  ThreadPool& pool() { return *pool_; }
  size_t weight_bytes() const { return weightBytes_; }
  // Weights packed on first use (MoE experts); nullptr when the model has none.
  const LazyWeightStore* lazy_weights() const { return lazy_.get(); }
  // Evaluate's router probe for the passes that follow (nullptr: none).
  void set_router_probe(RouterProbe* probe) { s_.routerProbe = probe; }
  int num_layers() const { return static_cast<int>(layers_.size()); }
  int vocab() const { return spec_.vocabSize; }

 private:
  ModelSpec spec_;
  const KernelSet* kernels_;
  const Architecture* arch_;
  std::unique_ptr<ThreadPool> pool_;
  OwnedWeight embed_, lmHead_;
  bool hasLmHead_ = false;
  std::vector<float> finalNorm_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::unique_ptr<Prologue> prologue_;
  void run(const SegmentInput* in, int n, const std::vector<int>& logitRows, float* logits);
  // Sizes the scratch for passes of at least T rows (see reserve_rows in model.cpp).
  void reserve_rows(int T);
  // Per-row widths of the scratch buffers: the widest layer's.
  struct ScratchWidths {
    size_t hidden = 0, qd = 0, kd = 0, inter = 0, experts = 0, wide = 0;
    size_t minRows = 16;  // rows any pass may use: at least 16 and the largest MoE topK
  } scratchWidths_;
  Scratch s_;
  std::vector<Segment> segs_;
  std::vector<int32_t> rowTokens_;  // the pass's tokens by row (for the prologue)
  std::vector<int32_t> rescored_;   // the int8 path's rescored tokens by row (head_rescore.h)
  size_t weightBytes_ = 0;
  std::shared_ptr<LazyWeightStore> lazy_;
};

}  // namespace vmlx
