#include "model.h"

#include <algorithm>
#include <cmath>
#include <new>

#include "blocks/linear.h"
#include "blocks/rope.h"
#include "errors.h"
#include "head_rescore.h"

namespace vmlx {

const Architecture* find_architecture(const std::string& name) {
  if (name == "decoder") return &arch_decoder();
  if (name == "gemma") return &arch_gemma();
  if (name == "gemma4") return &arch_gemma4();
  return nullptr;
}

Loader::Loader(const ModelSpec& spec, FileSet& files, ThreadPool& pool, Scratch& scratch)
    // 64 MiB blocks: a few wasted tails at most, and every weight on huge pages.
    : spec_(spec), files_(files), pool_(pool), scratch_(scratch), arena_(std::make_shared<WeightArena>(size_t{64} << 20)) {}

const WeightRef& Loader::get(const std::string& name) {
  auto it = spec_.tensors.find(name);
  if (it == spec_.tensors.end())
    throw EngineError("tensor table: '" + name + "' is missing (architecture " + spec_.arch + " needs it)");
  used_.push_back(name);
  return it->second;
}

OwnedWeight Loader::matrix(const std::string& name, int rows, int cols, bool counted) {
  WeightRef ref = get(name);
  ref.rows = rows;
  ref.cols = cols;
  OwnedWeight w = pack_weight(ref, files_, pool_, arena_);
  if (counted) bytes_ += w.bytes;
  return w;
}

std::vector<float> Loader::vector(const std::string& name, int64_t n) {
  const WeightRef& ref = get(name);
  if (ref.quantized) throw EngineError("tensor " + ref.weight.name + " (" + name + ") must not be quantized");
  bytes_ += 4 * static_cast<size_t>(n);
  return load_vector(ref.weight, files_, n);
}

std::vector<float> Loader::floats(const std::string& name, const std::vector<int64_t>& shape) {
  const WeightRef& ref = get(name);
  if (ref.quantized) throw EngineError("tensor " + ref.weight.name + " (" + name + ") must not be quantized");
  std::vector<float> v = load_floats(ref.weight, files_, shape);
  bytes_ += 4 * v.size();
  return v;
}

std::vector<float> Loader::dense(const std::string& name, int rows, int cols) {
  WeightRef ref = get(name);
  ref.rows = rows;
  ref.cols = cols;
  // Packed into memory of its own (freed on return), then read back row by row as floats.
  OwnedWeight w = pack_weight(ref, files_, pool_, nullptr);
  std::vector<float> out(static_cast<size_t>(rows) * cols);
  for (int r = 0; r < rows; r++) weight_row(w.w, r, out.data() + static_cast<size_t>(r) * cols);
  bytes_ += 4 * out.size();
  return out;
}

const std::shared_ptr<LazyWeightStore>& Loader::lazy() {
  if (!lazy_) lazy_ = std::make_shared<LazyWeightStore>(arena_);
  return lazy_;
}

std::vector<int> Loader::experts(const std::string& name, int n, int rows, int cols) {
  std::vector<int> slots;
  for (WeightRef& ref : split_experts(get(name), n, rows, cols, files_)) slots.push_back(lazy()->add(std::move(ref)));
  return slots;
}

std::vector<float> Loader::norm(const std::string& name, int64_t n) {
  std::vector<float> w = vector(name, n);
  if (spec_.normOffset != 0)
    for (float& v : w) v += static_cast<float>(spec_.normOffset);
  return w;
}

void Loader::check_all_used(const std::string& arch) const {
  for (const auto& [name, ref] : spec_.tensors)
    if (std::find(used_.begin(), used_.end(), name) == used_.end())
      throw EngineError("tensor table: '" + name + "' (" + ref.weight.name + ") is not used by architecture " + arch);
}

Model::Model(const ModelSpec& spec, const KernelSet& kernels, std::function<void(double)> progress)
    : spec_(spec), kernels_(&kernels) {
  arch_ = find_architecture(spec.arch);
  if (!arch_) throw EngineError("unsupported architecture '" + spec.arch + "' (supported: decoder, gemma, gemma4)");
  const int H = spec.hiddenSize;
  if (H <= 0 || spec.vocabSize <= 0 || spec.layers.empty()) throw EngineError("model config: sizes must be positive");
  pool_ = std::make_unique<ThreadPool>(std::max(1, spec.threads));
  FileSet files;
  Loader ld(spec_, files, *pool_, s_);
  const double steps = static_cast<double>(spec.layers.size()) + 2;
  // The lookup reads single rows; the embedding is read whole only when it doubles as the output projection.
  embed_ = ld.matrix("token_embd", spec.vocabSize, H, false);
  if (arch_->prologue) prologue_ = arch_->prologue(ld, spec_);
  progress(1 / steps);
  size_t wide = H, qdMax = 0, kdMax = 0, iMax = 0, eMax = 0, topKMax = 0;
  for (size_t i = 0; i < spec.layers.size(); i++) {
    const LayerPlan& p = spec.layers[i];
    const AttentionPlan& a = p.attention;
    if (p.mixer == MixerKind::GatedDeltaNet) wide = std::max(wide, static_cast<size_t>(p.deltaNet.numVHeads) * p.deltaNet.headVDim);
    qdMax = std::max(qdMax, static_cast<size_t>(a.numHeads) * a.headDim);
    kdMax = std::max(kdMax, static_cast<size_t>(a.numKvHeads) * a.headDim);
    iMax = std::max(iMax, static_cast<size_t>(p.mlp.widest()));
    if (p.mlp.kind == MlpKind::Moe) {
      eMax = std::max(eMax, static_cast<size_t>(p.mlp.numExperts));
      topKMax = std::max(topKMax, static_cast<size_t>(p.mlp.topK));
    }
    if (p.hasMoe) {
      iMax = std::max(iMax, static_cast<size_t>(p.moe.widest()));
      eMax = std::max(eMax, static_cast<size_t>(p.moe.numExperts));
      topKMax = std::max(topKMax, static_cast<size_t>(p.moe.topK));
    }
    if (a.rope.kind != RopeKind::None &&
        std::none_of(s_.ropes.begin(), s_.ropes.end(), [&](const RopeTable& r) { return r.plan == a.rope; }))
      s_.ropes.push_back({a.rope, rope_inv_freq(a.rope), {}, {}});
    layers_.push_back(arch_->layer(ld, spec_, static_cast<int>(i)));
    progress((i + 2) / steps);
  }
  finalNorm_ = ld.norm("output_norm", H);
  hasLmHead_ = ld.has("output");
  if (hasLmHead_) lmHead_ = ld.matrix("output", spec.vocabSize, H);
  else ld.add_bytes(embed_.bytes);  // tied: the embedding is read whole as the output projection
  ld.check_all_used(spec.arch);
  weightBytes_ = ld.bytes();
  lazy_ = ld.lazy_if_used();

  wide = std::max({wide, iMax, qdMax});
  scratchWidths_ = {static_cast<size_t>(H), qdMax, kdMax, iMax, eMax, wide, std::max<size_t>(16, topKMax)};
  progress(1.0);
}

void Model::reserve_rows(int T) {
  if (T <= s_.maxTokens) return;
  // Grown on demand, in powers of two up to a prefill chunk: a loaded model that has not run yet, or has only decoded
  // one sequence, keeps none of the ~16 MB a 256-token chunk needs (Qwen3-0.6B, Qwen3.5-0.8B). A row count of at
  // least 16 leaves kernels that step over rows in blocks their whole block, and a token's MoE decode puts its topK
  // experts' rows in gate, up and moeOut.
  int rows = 16;
  while (rows < T || static_cast<size_t>(rows) < scratchWidths_.minRows) rows *= 2;
  rows = std::max(std::min(rows, kChunk), T);
  const ScratchWidths& w = scratchWidths_;
  Scratch& s = s_;
  const size_t R = static_cast<size_t>(rows);
  // resize() never shrinks, so a block that grew a shared buffer (ScratchView) beyond its width keeps it.
  const auto grow = [R](auto& v, size_t width) {
    if (v.size() < R * width) v.resize(R * width);
  };
  grow(s.x, w.hidden);
  grow(s.h, w.hidden);
  grow(s.q, w.qd);
  grow(s.k, w.kd);
  grow(s.v, w.kd);
  grow(s.attn, w.qd);
  grow(s.gate, w.inter);
  grow(s.up, w.inter);
  if (w.experts) {
    grow(s.route, w.experts);
    grow(s.moeIn, w.hidden);
    grow(s.moeOut, w.hidden);
    grow(s.moeSum, w.hidden);
  }
  grow(s.rowPos, 1);
  grow(s.rowSeg, 1);
  for (RopeTable& r : s.ropes) {
    grow(r.cos, static_cast<size_t>(r.plan.rotaryDims / 2));
    grow(r.sin, static_cast<size_t>(r.plan.rotaryDims / 2));
  }
  grow(s.aq, (w.wide + 63) / 64 * 64);
  grow(s.aScale, (w.wide + kActBlock - 1) / kActBlock);
  for (int l = 0; l < 3; l++) grow(s.aSum[l], w.wide / 32 + 1);
  s.maxTokens = rows;
}

SequenceState Model::make_state(int maxContext) const {
  SequenceState st;
  st.maxContext = maxContext;
  for (const auto& layer : layers_) st.layers.push_back(layer->make_state(maxContext));
  return st;
}

SequenceState Model::make_paged_state(KvPool& pool, int maxContext) const {
  SequenceState st;
  st.maxContext = maxContext;
  for (const auto& layer : layers_) st.layers.push_back(layer->make_paged_state(pool, maxContext));
  return st;
}

std::vector<int> Model::kv_row_elems() const {
  std::vector<int> rows;
  for (const LayerPlan& p : spec_.layers)
    rows.push_back(p.mixer == MixerKind::Attention ? p.attention.numKvHeads * p.attention.headDim : 0);
  return rows;
}

size_t Model::recurrent_state_bytes() const {
  size_t bytes = 0;
  for (const LayerPlan& p : spec_.layers)
    if (p.mixer == MixerKind::GatedDeltaNet) {
      const DeltaNetPlan& d = p.deltaNet;
      const size_t channels = 2 * static_cast<size_t>(d.numKHeads) * d.headKDim + static_cast<size_t>(d.numVHeads) * d.headVDim;
      bytes += (static_cast<size_t>(d.convKernel - 1) * channels + static_cast<size_t>(d.numVHeads) * d.headVDim * d.headKDim) * sizeof(float);
    }
  return bytes;
}

void Model::forward(SequenceState& seq, const int32_t* tokens, int T, int pos0, float* logits, bool allLogits) {
  const SegmentInput in{&seq, tokens, T, pos0, logits != nullptr};
  std::vector<int> rows;
  if (logits) {
    for (int t = allLogits ? 0 : T - 1; t < T; t++) rows.push_back(t);
  }
  run(&in, 1, rows, logits);
}

void Model::forward_batch(const SegmentInput* segs, int n, float* logits) {
  std::vector<int> rows;
  int row = 0;
  for (int i = 0; i < n; i++) {
    row += segs[i].T;
    if (segs[i].logits) rows.push_back(row - 1);
  }
  run(segs, n, rows, logits);
}

void Model::run(const SegmentInput* in, int n, const std::vector<int>& logitRows, float* logits) {
  const int H = spec_.hiddenSize;
  segs_.clear();
  int T = 0, maxContext = 0;
  for (int i = 0; i < n; i++) {
    if (in[i].T < 1 || in[i].pos0 < 0 || in[i].pos0 + in[i].T > in[i].seq->maxContext)
      throw EngineError("forward: a segment of " + std::to_string(in[i].T) + " tokens at position " + std::to_string(in[i].pos0) +
                        " does not fit its sequence of " + std::to_string(in[i].seq->maxContext));
    segs_.push_back({in[i].seq, T, in[i].T, in[i].pos0});
    T += in[i].T;
    maxContext = std::max(maxContext, in[i].seq->maxContext);
  }
  if (T < 1 || T > kChunk) throw EngineError("forward: " + std::to_string(T) + " tokens in one pass (1.." + std::to_string(kChunk) + ")");
  reserve_rows(T);
  const size_t scoresNeeded = static_cast<size_t>(pool_->size()) * kMaxAttendRows * maxContext;
  if (s_.scores.size() < scoresNeeded) s_.scores.resize(scoresNeeded);
  // Paged caches get (or copy, when shared) the blocks every segment writes, all before the first write: an
  // OutOfCacheMemory thrown here leaves every sequence's state as it was.
  for (int i = 0; i < n; i++) in[i].seq->prepare(in[i].pos0, in[i].T);
  for (int i = 0; i < n; i++)
    for (int t = 0; t < segs_[i].T; t++) {
      s_.rowPos[segs_[i].row0 + t] = segs_[i].pos0 + t;
      s_.rowSeg[segs_[i].row0 + t] = i;
    }
  const float embedScale = static_cast<float>(spec_.embedScale);
  for (int i = 0; i < n; i++) {
    const Segment& g = segs_[i];
    const int32_t* tokens = in[i].tokens;
    pool_->parallel_for(g.T, [&](int t0, int t1) {
      for (int t = t0; t < t1; t++) {
        float* x = s_.x.data() + static_cast<size_t>(g.row0 + t) * H;
        weight_row(embed_.w, tokens[t], x);
        if (embedScale != 1.f)
          for (int j = 0; j < H; j++) x[j] *= embedScale;
      }
      for (RopeTable& r : s_.ropes) rope_fill(r, g.row0 + t0, g.row0 + t1, g.pos0 - g.row0);
    });
  }
  Forward f{spec_, *kernels_, *pool_, s_, segs_.data(), n, T, 0};
  if (prologue_) {
    rowTokens_.resize(T);
    for (int i = 0; i < n; i++) std::copy(in[i].tokens, in[i].tokens + in[i].T, rowTokens_.begin() + segs_[i].row0);
    prologue_->forward(f, rowTokens_.data());
  }
  for (size_t i = 0; i < layers_.size(); i++) {
    f.layer = static_cast<int>(i);
    layers_[i]->forward(f);
  }
  if (logitRows.empty()) return;
  // The final norm of the rows whose logits are wanted, gathered into consecutive rows of s.h.
  const int rows = static_cast<int>(logitRows.size());
  pool_->parallel_for(rows, [&](int r0, int r1) {
    const float eps = static_cast<float>(spec_.rmsNormEps);
    for (int r = r0; r < r1; r++)
      kernels_->rmsnorm(s_.x.data() + static_cast<size_t>(logitRows[r]) * H, finalNorm_.data(), eps, H,
                        s_.h.data() + static_cast<size_t>(r) * H);
  });
  Forward fl = f.rows(rows);
  const OwnedWeight& head = hasLmHead_ ? lmHead_ : embed_;
  Acts a = prepare_acts(fl, s_.h.data(), H, spec_.activations);
  const LinearOut out[1] = {{&head, logits}};
  linear(fl, a, out, 1);
  // The output projection sets the distribution directly: on the int8 path its most likely tokens are rescored.
  if (spec_.activations == ActMode::Int8)
    rescore_top_logits(head.w, s_.h.data(), H, logits, rows, spec_.vocabSize, *pool_, rescored_);
  if (spec_.finalSoftcap > 0) {
    // In chunks across the threads: decode has one row of a vocabulary of up to 262k logits.
    constexpr size_t kChunk = 16384;
    const size_t total = static_cast<size_t>(rows) * spec_.vocabSize;
    const float c = static_cast<float>(spec_.finalSoftcap);
    pool_->parallel_for(static_cast<int>((total + kChunk - 1) / kChunk), [&](int c0, int c1) {
      for (int i = c0; i < c1; i++) {
        const size_t at = static_cast<size_t>(i) * kChunk;
        kernels_->softcap(logits + at, static_cast<int>(total - at < kChunk ? total - at : kChunk), c);
      }
    });
  }
}

}  // namespace vmlx
