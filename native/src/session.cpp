#include "session.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "batch.h"
#include "errors.h"
#include "top_k.h"

namespace vmlx {

namespace {
double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

Session::Session(std::shared_ptr<Model> model, int maxContext, std::shared_ptr<PrefixCache> cache) : model_(std::move(model)) {
  if (cache) {
    state_ = model_->make_paged_state(cache->pool(), maxContext);
    // Paged only when every layer is: a paged attention cache, or a recurrent state the cache can checkpoint.
    bool pageable = true;
    for (auto& l : state_.layers) {
      auto* p = dynamic_cast<PagedKvCache*>(l.get());
      pagedLayers_.push_back(p);
      if (!p && l && l->positional()) pageable = false;
    }
    if (pageable) cache_ = std::move(cache);
    else pagedLayers_.clear();
  }
  if (!cache_) state_ = model_->make_state(maxContext);
  logits_.resize(model_->vocab());
}

Session::~Session() {
  if (cache_) release_sequence();
}

void Session::reset() {
  truncate(0);
  if (cache_) cache_->clear();
}

void Session::truncate(size_t n) {
  if (n == 0) {
    state_.clear();  // a paged cache returns its blocks
    keys_.clear();
  }
  tokens_.resize(std::min(tokens_.size(), n));
  if (snapshot_.tokens > static_cast<int>(tokens_.size())) snapshot_.tokens = -1;
  cached_ = static_cast<int>(tokens_.size());
}

size_t Session::reuse_prefix(const std::vector<int32_t>& prompt) {
  size_t common = 0;
  while (common < tokens_.size() && common < prompt.size() && tokens_[common] == prompt[common]) common++;
  if (common == prompt.size()) common--;
  // A layer that cannot continue at `pos` (a sliding window already overwritten there) makes the prompt recompute.
  const auto resumable = [&](size_t pos) {
    for (const auto& layer : state_.layers)
      if (pos > 0 && layer && !layer->can_resume(static_cast<int>(pos), static_cast<int>(tokens_.size()))) return false;
    return true;
  };
  if (state_.positional() || common == tokens_.size()) {
    if (!resumable(common)) common = 0;
    truncate(common);
    return common;
  }
  if (snapshot_.tokens >= 0 && static_cast<size_t>(snapshot_.tokens) <= common && resumable(static_cast<size_t>(snapshot_.tokens))) {
    const size_t at = static_cast<size_t>(snapshot_.tokens);
    snapshot_.restore_into(state_);
    truncate(at);
    return at;
  }
  truncate(0);
  return 0;
}

void Session::check_tokens(const std::vector<int32_t>& tokens) const {
  if (tokens.empty()) throw EngineError("prompt is empty");
  if (static_cast<int>(tokens.size()) > state_.maxContext)
    throw EngineError("prompt has " + std::to_string(tokens.size()) + " tokens, more than the session's context of " +
                      std::to_string(state_.maxContext));
  for (size_t i = 0; i < tokens.size(); i++)
    if (tokens[i] < 0 || tokens[i] >= model_->vocab())
      throw EngineError("token id " + std::to_string(tokens[i]) + " at position " + std::to_string(i) +
                        " is outside the vocabulary (size " + std::to_string(model_->vocab()) + ")");
}

size_t Session::attach(const std::vector<int32_t>& tokens, bool lookup, const std::vector<int32_t>& hints) {
  check_tokens(tokens);
  if (!cache_) return reuse_prefix(tokens);
  checkpointAt_ = recurrent() ? checkpoint_at(tokens.size()) : 0;
  size_t matched = 0;
  const size_t n = map_prefix(tokens, lookup, &matched);
  checkpoints_.clear();
  if (!recurrent()) return n;
  constexpr size_t B = PrefixCache::B;
  std::vector<size_t> at;
  for (int32_t h : hints)
    if (h > 0) at.push_back(static_cast<size_t>(h) / B * B);
  at.push_back(matched);
  for (size_t p : at)
    if (p > n && p < checkpointAt_) checkpoints_.push_back(p);
  if (checkpointAt_ > n) checkpoints_.push_back(checkpointAt_);
  std::sort(checkpoints_.begin(), checkpoints_.end());
  checkpoints_.erase(std::unique(checkpoints_.begin(), checkpoints_.end()), checkpoints_.end());
  return n;
}

size_t Session::next_checkpoint(size_t fed) const {
  for (size_t p : checkpoints_)
    if (p > fed) return p;
  return 0;
}

void Session::append(const int32_t* tokens, int n) {
  tokens_.insert(tokens_.end(), tokens, tokens + n);
  cached_ = static_cast<int>(tokens_.size());
  if (!cache_) return;
  register_blocks();
  if (!recurrent()) return;
  const size_t at = tokens_.size();
  if (at <= checkpointAt_) {
    if (std::binary_search(checkpoints_.begin(), checkpoints_.end(), at)) checkpoint(at);
  } else if (at % PrefixCache::B == 0) {
    decodeCheckpoint_.take(state_, static_cast<int>(at));
  }
}

void Session::release() {
  if (cache_) {
    release_sequence();
    return;
  }
  state_ = model_->make_state(state_.maxContext);
  tokens_.clear();
  snapshot_ = SequenceSnapshot{};
  cached_ = 0;
}

GenerationStats Session::generate(const std::vector<int32_t>& prompt, const SamplingParams& params,
                                  const std::atomic<bool>& cancel, const std::function<void(TokenEvent&&)>& emit,
                                  const Constrain& constrain) {
  GenerationStats st;
  st.promptTokens = static_cast<int>(prompt.size());
  const auto t0 = std::chrono::steady_clock::now();
  // Paged: whatever ends the request (done, cancelled, an error), its full blocks stay in the prefix cache.
  ReleaseAtEnd release{*this};
  auto t1 = t0;
  bool decoding = false;
  // The one-sequence case of a batch: the same run, one segment per pass.
  SequenceRun run(prompt, params, model_->vocab(), model_->kernels());
  st.reusedTokens = run.attach(*this);
  while (!run.finished()) {
    if (cancel.load()) {
      run.finish("cancelled");
      break;
    }
    const int n = run.want(Model::kChunk);
    SegmentInput seg = run.segment(n);
    model_->forward_batch(&seg, 1, seg.logits ? logits_.data() : nullptr);
    run.fed(n);
    if (!run.ready()) continue;
    if (!decoding) {
      decoding = true;
      st.prefillMs = ms_since(t0);
      t1 = std::chrono::steady_clock::now();
    }
    if (cancel.load() || (constrain && (!constrain(logits_.data(), model_->vocab()) || cancel.load()))) {
      run.finish("cancelled");
      break;
    }
    emit(run.sample(logits_.data()));
  }
  if (!decoding) st.prefillMs = ms_since(t0);
  else st.decodeMs = ms_since(t1);
  st.generatedTokens = run.generated();
  st.finishReason = run.finish_reason();
  return st;
}

void Session::evaluate(const std::vector<int32_t>& tokens, int k, std::vector<int32_t>& ids, std::vector<float>& logprobs,
                       RouterProbe* probe) {
  check_tokens(tokens);
  if (k < 1) throw EngineError("evaluate: topK must be at least 1");
  const int V = model_->vocab();
  k = std::min(k, V);
  truncate(0);
  ReleaseAtEnd release{*this};
  ids.assign(tokens.size() * k, 0);
  logprobs.assign(tokens.size() * k, 0.f);
  if (probe) {
    probe->layers = model_->num_layers();
    if (probe->flipLayer >= probe->layers || probe->flipPos >= static_cast<int>(tokens.size()))
      throw EngineError("evaluate: routerFlip at layer " + std::to_string(probe->flipLayer) + ", position " +
                        std::to_string(probe->flipPos) + " is outside the " + std::to_string(probe->layers) + " layers and " +
                        std::to_string(tokens.size()) + " tokens");
    probe->gaps.assign(tokens.size() * probe->layers, std::nanf(""));
  }
  // The model's scratch holds the probe for this call's passes only (every pass of the model runs on this thread).
  struct ProbeScope {
    Model& m;
    ~ProbeScope() { m.set_router_probe(nullptr); }
  } scope{*model_};
  model_->set_router_probe(probe);
  // Chunk so that the logits buffer stays below ~64 MB even for large vocabularies.
  const int chunk = std::max(1, std::min(Model::kChunk, static_cast<int>((16u << 20) / static_cast<unsigned>(V))));
  std::vector<float> logits(static_cast<size_t>(chunk) * V);
  for (size_t pos = 0; pos < tokens.size();) {
    const int n = static_cast<int>(std::min<size_t>(chunk, tokens.size() - pos));
    model_->forward(state_, tokens.data() + pos, n, static_cast<int>(pos), logits.data(), true);
    model_->pool().parallel_for(n, [&](int r0, int r1) {
      for (int r = r0; r < r1; r++) {
        const float* l = logits.data() + static_cast<size_t>(r) * V;
        const double lse = log_sum_exp(l, V);
        const std::vector<int32_t> top = top_indices(l, V, k);
        for (int j = 0; j < k; j++) {
          ids[(pos + r) * k + j] = top[j];
          logprobs[(pos + r) * k + j] = static_cast<float>(l[top[j]] - lse);
        }
      }
    });
    tokens_.insert(tokens_.end(), tokens.begin() + pos, tokens.begin() + pos + n);
    cached_ = static_cast<int>(tokens_.size());
    pos += n;
  }
  if (probe && probe->flipLayer >= 0 && std::isnan(probe->gaps[static_cast<size_t>(probe->flipPos) * probe->layers + probe->flipLayer]))
    throw EngineError("evaluate: routerFlip: layer " + std::to_string(probe->flipLayer) + " has no router with a (k+1)-th expert to take");
}

}  // namespace vmlx
