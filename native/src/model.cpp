#include "model.h"

#include <algorithm>
#include <cmath>
#include <new>

#include "errors.h"
#include "layers.h"

namespace vmlx {

const Architecture* find_architecture(const std::string& name) {
  if (name == "qwen3") return &arch_qwen3();
  if (name == "qwen2") return &arch_qwen2();
  if (name == "llama") return &arch_llama();
  return nullptr;
}

namespace {

void check_weight_shape(const WeightRef& w, int rows, int cols) {
  if (w.rows != rows || w.cols != cols)
    throw EngineError("tensor " + w.weight.name + ": logical shape [" + std::to_string(w.rows) + ", " +
                      std::to_string(w.cols) + "], expected [" + std::to_string(rows) + ", " + std::to_string(cols) + "]");
}

}  // namespace

Model::Model(const ModelSpec& spec, const KernelSet& kernels, std::function<void(double)> progress)
    : spec_(spec), kernels_(&kernels) {
  arch_ = find_architecture(spec.arch);
  if (!arch_) throw EngineError("unsupported architecture '" + spec.arch + "' (supported: qwen3, qwen2, llama)");
  const int H = spec.hiddenSize, I = spec.intermediateSize, hd = spec.headDim;
  if (H <= 0 || I <= 0 || spec.numLayers <= 0 || spec.numHeads <= 0 || spec.numKvHeads <= 0 || hd <= 0 || spec.vocabSize <= 0)
    throw EngineError("model config: sizes must be positive");
  if (hd % 2) throw EngineError("model config: head_dim " + std::to_string(hd) + " must be even for RoPE");
  if (spec.numHeads % spec.numKvHeads)
    throw EngineError("model config: num_attention_heads " + std::to_string(spec.numHeads) +
                      " is not a multiple of num_key_value_heads " + std::to_string(spec.numKvHeads));
  if (static_cast<int>(spec.layers.size()) != spec.numLayers)
    throw EngineError("model config: num_hidden_layers is " + std::to_string(spec.numLayers) + " but " +
                      std::to_string(spec.layers.size()) + " layers were given");
  arch_->validate(spec);
  pool_ = std::make_unique<ThreadPool>(std::max(1, spec.threads));
  FileSet files;
  // 64 MiB blocks: a few wasted tails at most, and every weight on huge pages.
  auto arena = std::make_shared<WeightArena>(size_t{64} << 20);
  const int qd = spec.numHeads * hd, kd = spec.numKvHeads * hd;
  const double steps = spec.numLayers + 2;
  check_weight_shape(spec.embed, spec.vocabSize, H);
  embed_ = pack_weight(spec.embed, files, *pool_, arena);
  progress(1 / steps);
  for (int i = 0; i < spec.numLayers; i++) {
    const LayerRef& r = spec.layers[i];
    Layer L;
    L.inputNorm = load_vector(r.inputNorm, files, H);
    L.postNorm = load_vector(r.postAttentionNorm, files, H);
    check_weight_shape(r.q, qd, H);
    check_weight_shape(r.k, kd, H);
    check_weight_shape(r.v, kd, H);
    check_weight_shape(r.o, H, qd);
    check_weight_shape(r.gate, I, H);
    check_weight_shape(r.up, I, H);
    check_weight_shape(r.down, H, I);
    L.q = pack_weight(r.q, files, *pool_, arena);
    L.k = pack_weight(r.k, files, *pool_, arena);
    L.v = pack_weight(r.v, files, *pool_, arena);
    L.o = pack_weight(r.o, files, *pool_, arena);
    L.gate = pack_weight(r.gate, files, *pool_, arena);
    L.up = pack_weight(r.up, files, *pool_, arena);
    L.down = pack_weight(r.down, files, *pool_, arena);
    if (r.hasQkvBias) {
      L.qBias = load_vector(r.qBias, files, qd);
      L.kBias = load_vector(r.kBias, files, kd);
      L.vBias = load_vector(r.vBias, files, kd);
    }
    if (r.hasQkNorm) {
      L.qNorm = load_vector(r.qNorm, files, hd);
      L.kNorm = load_vector(r.kNorm, files, hd);
    }
    weightBytes_ += L.q.bytes + L.k.bytes + L.v.bytes + L.o.bytes + L.gate.bytes + L.up.bytes + L.down.bytes +
                    4 * (2 * H + (r.hasQkvBias ? qd + 2 * kd : 0) + (r.hasQkNorm ? 2 * hd : 0));
    layers_.push_back(std::move(L));
    progress((i + 2) / steps);
  }
  finalNorm_ = load_vector(spec.finalNorm, files, H);
  if (spec.hasLmHead) {
    check_weight_shape(spec.lmHead, spec.vocabSize, H);
    lmHead_ = pack_weight(spec.lmHead, files, *pool_, arena);
    weightBytes_ += lmHead_.bytes;
  } else {
    weightBytes_ += embed_.bytes;  // tied: the embedding is read whole as the output projection
  }
  weightBytes_ += 4 * H;
  invFreq_ = arch_->rope_inv_freq(spec);

  // Scratch for one prefill chunk.
  Scratch& s = s_;
  const int T = kChunk;
  s.maxTokens = T;
  const size_t wide = static_cast<size_t>(std::max({H, I, qd}));
  s.x.resize(static_cast<size_t>(T) * H);
  s.h.resize(static_cast<size_t>(T) * H);
  s.q.resize(static_cast<size_t>(T) * qd);
  s.k.resize(static_cast<size_t>(T) * kd);
  s.v.resize(static_cast<size_t>(T) * kd);
  s.attn.resize(static_cast<size_t>(T) * qd);
  s.gate.resize(static_cast<size_t>(T) * I);
  s.up.resize(static_cast<size_t>(T) * I);
  s.cosTab.resize(static_cast<size_t>(T) * hd / 2);
  s.sinTab.resize(static_cast<size_t>(T) * hd / 2);
  s.aq.resize(static_cast<size_t>(T) * ((wide + 63) / 64 * 64));
  s.aScale.resize(static_cast<size_t>(T) * ((wide + kActBlock - 1) / kActBlock));
  for (int l = 0; l < 3; l++) s.aSum[l].resize(static_cast<size_t>(T) * (wide / 32 + 1));
  progress(1.0);
}

KvCache Model::make_cache(int maxContext) const {
  KvCache kv;
  kv.maxContext = maxContext;
  const size_t n = static_cast<size_t>(spec_.numLayers) * spec_.numKvHeads * maxContext * spec_.headDim;
  kv.k.reset(static_cast<uint16_t*>(std::calloc(n, sizeof(uint16_t))));
  kv.v.reset(static_cast<uint16_t*>(std::calloc(n, sizeof(uint16_t))));
  if (!kv.k || !kv.v) throw std::bad_alloc();
  return kv;
}

void Model::forward(KvCache& kv, const int32_t* tokens, int T, int pos0, float* logits, bool allLogits) {
  const int H = spec_.hiddenSize, half = spec_.headDim / 2;
  const size_t scoresNeeded = static_cast<size_t>(pool_->size()) * kMaxAttendRows * kv.maxContext;
  if (s_.scores.size() < scoresNeeded) s_.scores.resize(scoresNeeded);
  Forward f{spec_, *kernels_, *pool_, s_, kv, T, pos0};
  pool_->parallel_for(T, [&](int t0, int t1) {
    for (int t = t0; t < t1; t++) {
      weight_row(embed_.w, tokens[t], s_.x.data() + static_cast<size_t>(t) * H);
      for (int i = 0; i < half; i++) {
        const double angle = static_cast<double>(pos0 + t) * invFreq_[i];
        s_.cosTab[static_cast<size_t>(t) * half + i] = static_cast<float>(std::cos(angle));
        s_.sinTab[static_cast<size_t>(t) * half + i] = static_cast<float>(std::sin(angle));
      }
    }
  });
  for (int i = 0; i < spec_.numLayers; i++) arch_->layer(f, layers_[i], i);
  if (!logits) return;
  const int first = allLogits ? 0 : T - 1;
  const int rows = T - first;
  rmsnorm_rows(f, s_.x.data() + static_cast<size_t>(first) * H, finalNorm_.data(), H, s_.h.data(), rows);
  Forward fl{spec_, *kernels_, *pool_, s_, kv, rows, pos0 + first};
  Acts a = prepare_acts(fl, s_.h.data(), H);
  const LinearOut out[1] = {{spec_.hasLmHead ? &lmHead_ : &embed_, logits}};
  linear(fl, a, out, 1);
}

}  // namespace vmlx
