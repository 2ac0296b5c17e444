#include "session.h"

#include <algorithm>
#include <chrono>

#include "errors.h"

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

GenerationStats Session::generate(const std::vector<int32_t>& prompt, const SamplingParams& params,
                                  const std::atomic<bool>& cancel, const std::function<void(TokenEvent&&)>& emit,
                                  const Constrain& constrain) {
  check_tokens(prompt);
  GenerationStats st;
  st.promptTokens = static_cast<int>(prompt.size());
  const auto t0 = std::chrono::steady_clock::now();
  ReleaseAtEnd release{*this};
  // Reuse the cached prefix; at least the last prompt token is recomputed to get its logits.
  const size_t common = cache_ ? map_prefix(prompt) : reuse_prefix(prompt);
  st.reusedTokens = static_cast<int>(common);
  const bool recurrent = !state_.positional();
  // Paged recurrent layers: checkpoint at the prompt's last block boundary (what the next turn most often shares).
  const size_t checkpointAt = cache_ && recurrent ? checkpoint_at(prompt.size()) : 0;
  for (size_t pos = common; pos < prompt.size();) {
    if (cancel.load()) {
      st.finishReason = "cancelled";
      st.prefillMs = ms_since(t0);
      return st;
    }
    // Unpaged recurrent layers: the last prompt token runs on its own, after a snapshot of the state before it.
    size_t end = !cache_ && recurrent && pos + 1 < prompt.size() ? prompt.size() - 1 : prompt.size();
    if (!cache_ && recurrent && pos + 1 == prompt.size()) snapshot_.take(state_, static_cast<int>(pos));
    if (pos < checkpointAt) end = checkpointAt;
    const int n = static_cast<int>(std::min<size_t>(Model::kChunk, end - pos));
    const bool last = pos + n == prompt.size();
    model_->forward(state_, prompt.data() + pos, n, static_cast<int>(pos), last ? logits_.data() : nullptr, false);
    tokens_.insert(tokens_.end(), prompt.begin() + pos, prompt.begin() + pos + n);
    cached_ = static_cast<int>(tokens_.size());
    pos += n;
    if (cache_) register_blocks();
    if (cache_ && pos == checkpointAt && checkpointAt > 0) checkpoint(pos);
  }
  st.prefillMs = ms_since(t0);
  const auto t1 = std::chrono::steady_clock::now();
  Sampler sampler(params, model_->vocab());
  std::vector<int32_t> history(prompt);
  history.reserve(prompt.size() + params.maxTokens);
  for (;;) {
    if (st.generatedTokens >= params.maxTokens) {
      st.finishReason = "length";
      break;
    }
    if (cancel.load()) {
      st.finishReason = "cancelled";
      break;
    }
    if (constrain && (!constrain(logits_.data(), model_->vocab()) || cancel.load())) {
      st.finishReason = "cancelled";
      break;
    }
    TokenEvent ev;
    const int32_t tok = sampler.sample(logits_.data(), history, ev);
    st.generatedTokens++;
    history.push_back(tok);
    emit(std::move(ev));
    if (std::find(params.eosTokenIds.begin(), params.eosTokenIds.end(), tok) != params.eosTokenIds.end()) {
      st.finishReason = "eos";
      break;
    }
    if (st.generatedTokens >= params.maxTokens || static_cast<int>(tokens_.size()) >= state_.maxContext) {
      st.finishReason = "length";
      break;
    }
    if (cancel.load()) {
      st.finishReason = "cancelled";
      break;
    }
    model_->forward(state_, &tok, 1, static_cast<int>(tokens_.size()), logits_.data(), false);
    tokens_.push_back(tok);
    cached_ = static_cast<int>(tokens_.size());
    if (cache_ && tokens_.size() % PrefixCache::B == 0) {
      register_blocks();
      if (recurrent) decodeCheckpoint_.take(state_, static_cast<int>(tokens_.size()));
    }
  }
  st.decodeMs = ms_since(t1);
  return st;
}

void Session::evaluate(const std::vector<int32_t>& tokens, int k, std::vector<int32_t>& ids, std::vector<float>& logprobs) {
  check_tokens(tokens);
  if (k < 1) throw EngineError("evaluate: topK must be at least 1");
  const int V = model_->vocab();
  k = std::min(k, V);
  truncate(0);
  ReleaseAtEnd release{*this};
  ids.assign(tokens.size() * k, 0);
  logprobs.assign(tokens.size() * k, 0.f);
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
}

}  // namespace vmlx
