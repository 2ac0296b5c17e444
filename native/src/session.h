// One conversation's state on a model: its per-layer caches and the tokens it holds. Generation and evaluation run on
// the model's worker thread (see host.h); nothing here touches JavaScript.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model.h"
#include "sampler.h"

namespace vmlx {

struct GenerationStats {
  int promptTokens = 0, reusedTokens = 0, generatedTokens = 0;
  double prefillMs = 0, decodeMs = 0;
  std::string finishReason;
};

class Session {
 public:
  Session(std::shared_ptr<Model> model, int maxContext);

  // Prefill (reusing the longest common prefix of the cache) and decode. emit() is called for each token in order.
  // constrain (optional) runs on each step's logits before sampling (a grammar's token mask); false stops the job.
  using Constrain = std::function<bool(float* logits, int vocab)>;
  GenerationStats generate(const std::vector<int32_t>& prompt, const SamplingParams& params, const std::atomic<bool>& cancel,
                           const std::function<void(TokenEvent&&)>& emit, const Constrain& constrain = nullptr);
  // Teacher-forced top-k log-softmax at every position: ids/logprobs get tokens.size()*k entries.
  void evaluate(const std::vector<int32_t>& tokens, int k, std::vector<int32_t>& ids, std::vector<float>& logprobs);

  int cached_tokens() const { return cached_.load(); }
  void reset();
  int max_context() const { return state_.maxContext; }

  // For a SequenceRun (batch.h): checks `tokens` and keeps the longest reusable prefix of them, returning its length;
  // the state that passes feed; the tokens a pass fed; a snapshot of recurrent layers at the current length; and
  // dropping the state for fresh memory (preemption gives the memory of a long sequence back).
  size_t attach(const std::vector<int32_t>& tokens);
  SequenceState& state() { return state_; }
  void append(const int32_t* tokens, int n);
  bool recurrent() const { return !state_.positional(); }
  void take_snapshot() { snapshot_.take(state_, static_cast<int>(tokens_.size())); }
  void release();

 private:
  void check_tokens(const std::vector<int32_t>& tokens) const;
  // Puts the sequence state at the longest reusable prefix of `prompt` (at most prompt.size()-1 tokens, so the last
  // one is recomputed for its logits) and returns its length. Recurrent layers can only continue from the end of
  // the cache or from the snapshot; otherwise the sequence restarts from 0.
  size_t reuse_prefix(const std::vector<int32_t>& prompt);
  void truncate(size_t n);

  std::shared_ptr<Model> model_;
  SequenceState state_;
  std::vector<int32_t> tokens_;  // the tokens whose keys/values are in kv_
  std::atomic<int> cached_{0};
  std::vector<float> logits_;
  // Recurrent layers only: their state before the last token of the latest prompt (the point the next turn's
  // prompt, or the same prompt again, most often shares).
  SequenceSnapshot snapshot_;
};

}  // namespace vmlx
