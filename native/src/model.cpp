#include "model.h"

#include <algorithm>
#include <cmath>
#include <new>

#include "blocks/linear.h"
#include "blocks/rope.h"
#include "errors.h"

namespace vmlx {

const Architecture* find_architecture(const std::string& name) {
  if (name == "decoder") return &arch_decoder();
  if (name == "gemma") return &arch_gemma();
  return nullptr;
}

Loader::Loader(const ModelSpec& spec, FileSet& files, ThreadPool& pool)
    // 64 MiB blocks: a few wasted tails at most, and every weight on huge pages.
    : spec_(spec), files_(files), pool_(pool), arena_(std::make_shared<WeightArena>(size_t{64} << 20)) {}

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
  if (!arch_) throw EngineError("unsupported architecture '" + spec.arch + "' (supported: decoder, gemma)");
  const int H = spec.hiddenSize;
  if (H <= 0 || spec.vocabSize <= 0 || spec.layers.empty()) throw EngineError("model config: sizes must be positive");
  pool_ = std::make_unique<ThreadPool>(std::max(1, spec.threads));
  FileSet files;
  Loader ld(spec_, files, *pool_);
  const double steps = static_cast<double>(spec.layers.size()) + 2;
  // The lookup reads single rows; the embedding is read whole only when it doubles as the output projection.
  embed_ = ld.matrix("token_embd", spec.vocabSize, H, false);
  progress(1 / steps);
  size_t wide = H, qdMax = 0, kdMax = 0, iMax = 0, eMax = 0;
  for (size_t i = 0; i < spec.layers.size(); i++) {
    const LayerPlan& p = spec.layers[i];
    const AttentionPlan& a = p.attention;
    if (p.mixer == MixerKind::GatedDeltaNet) wide = std::max(wide, static_cast<size_t>(p.deltaNet.numVHeads) * p.deltaNet.headVDim);
    qdMax = std::max(qdMax, static_cast<size_t>(a.numHeads) * a.headDim);
    kdMax = std::max(kdMax, static_cast<size_t>(a.numKvHeads) * a.headDim);
    iMax = std::max(iMax, static_cast<size_t>(p.mlp.widest()));
    if (p.mlp.kind == MlpKind::Moe) eMax = std::max(eMax, static_cast<size_t>(p.mlp.numExperts));
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

  // Scratch for one prefill chunk.
  Scratch& s = s_;
  const size_t T = kChunk;
  s.maxTokens = kChunk;
  wide = std::max({wide, iMax, qdMax});
  s.x.resize(T * H);
  s.h.resize(T * H);
  s.q.resize(T * qdMax);
  s.k.resize(T * kdMax);
  s.v.resize(T * kdMax);
  s.attn.resize(T * qdMax);
  s.gate.resize(T * iMax);
  s.up.resize(T * iMax);
  if (eMax) {
    s.route.resize(T * eMax);
    s.moeIn.resize(T * H);
    s.moeOut.resize(T * H);
    s.moeSum.resize(T * H);
  }
  for (RopeTable& r : s.ropes) {
    r.cos.resize(T * r.plan.rotaryDims / 2);
    r.sin.resize(T * r.plan.rotaryDims / 2);
  }
  s.aq.resize(T * ((wide + 63) / 64 * 64));
  s.aScale.resize(T * ((wide + kActBlock - 1) / kActBlock));
  for (int l = 0; l < 3; l++) s.aSum[l].resize(T * (wide / 32 + 1));
  progress(1.0);
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
  const int H = spec_.hiddenSize;
  const size_t scoresNeeded = static_cast<size_t>(pool_->size()) * kMaxAttendRows * seq.maxContext;
  if (s_.scores.size() < scoresNeeded) s_.scores.resize(scoresNeeded);
  seq.prepare(pos0, T);  // a paged cache gets its blocks here (may throw OutOfCacheMemory before any write)
  Forward f{spec_, *kernels_, *pool_, s_, seq, T, pos0};
  pool_->parallel_for(T, [&](int t0, int t1) {
    const float embedScale = static_cast<float>(spec_.embedScale);
    for (int t = t0; t < t1; t++) {
      float* x = s_.x.data() + static_cast<size_t>(t) * H;
      weight_row(embed_.w, tokens[t], x);
      if (embedScale != 1.f)
        for (int i = 0; i < H; i++) x[i] *= embedScale;
    }
    for (RopeTable& r : s_.ropes) rope_fill(r, t0, t1, pos0);
  });
  for (size_t i = 0; i < layers_.size(); i++) layers_[i]->forward(f, seq.layers[i].get());
  if (!logits) return;
  const int first = allLogits ? 0 : T - 1;
  const int rows = T - first;
  rmsnorm_rows(f, s_.x.data() + static_cast<size_t>(first) * H, finalNorm_.data(), H, s_.h.data(), rows);
  Forward fl{spec_, *kernels_, *pool_, s_, seq, rows, pos0 + first};
  Acts a = prepare_acts(fl, s_.h.data(), H);
  const LinearOut out[1] = {{hasLmHead_ ? &lmHead_ : &embed_, logits}};
  linear(fl, a, out, 1);
}

}  // namespace vmlx
