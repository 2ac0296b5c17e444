// Generation requests that share forward passes. A SequenceRun is one request: its tokens (the prompt, then each
// sampled token), its sampler and stop rules, and the Session (a slot: one sequence state and its cached tokens)
// holding the first `fed` of those tokens. Session::generate runs one run alone; a Batch runs several per pass,
// each contributing a chunk of its prompt or its one new token, each at its own position.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "session.h"

namespace vmlx {

// Sets the logits of tokens outside the bitmask (bit i of word i/32 allows token i) to -inf. An all-zero or empty
// mask leaves them as they are (it would leave nothing to sample).
void mask_logits(float* logits, int vocab, const std::vector<uint32_t>& mask);

class SequenceRun {
 public:
  // `checkpointHints`: prompt positions other prompts are likely to share up to (see Session::attach).
  SequenceRun(std::vector<int32_t> prompt, const SamplingParams& params, int vocab, const KernelSet& kernels,
              std::vector<int32_t> checkpointHints = {});

  // Puts the run on `session`, reusing the longest prefix of the run's tokens that the session has cached; returns
  // how many tokens were reused. Throws EngineError for tokens outside the vocabulary or beyond the context.
  int attach(Session& session);
  // Preemption: frees the session's state; the run keeps its tokens and its sampler (with its random state) and
  // recomputes them when attached again, so its output is as if it had never been stopped.
  void detach();
  Session* session() const { return session_; }

  // Tokens the next pass feeds, at most `budget` (0: finished, detached, or nothing to feed). For recurrent layers the
  // last prompt token goes alone, after a snapshot of the state before it (what the next turn's prompt shares).
  int want(int budget);
  SegmentInput segment(int n) const;
  // After the pass: the session now holds n more tokens.
  void fed(int n);
  // Whether the last pass gave this run its next-token logits.
  bool ready() const { return session_ && fed_ == tokens_.size() && finish_.empty(); }
  // Samples the next token from `logits` (vocab floats, modified), appends it and applies the stop rules.
  TokenEvent sample(float* logits);
  // Keeps the logits of the last pass to sample later (a constrained run whose grammar has not decided the mask
  // yet: its token's pass overlaps the grammar's work), and whether it holds some.
  void hold(const float* logits, int vocab) { held_.assign(logits, logits + vocab); }
  bool holding() const { return !held_.empty(); }
  TokenEvent sample_held(const std::vector<uint32_t>* mask);

  void finish(const std::string& reason) {
    if (finish_.empty()) finish_ = reason;
  }
  bool finished() const { return !finish_.empty(); }
  const std::string& finish_reason() const { return finish_; }
  int generated() const { return generated_; }
  int prompt_tokens() const { return promptTokens_; }

 private:
  std::vector<int32_t> checkpointHints_;
  std::vector<int32_t> tokens_;
  int promptTokens_;
  SamplingParams params_;
  Sampler sampler_;
  Session* session_ = nullptr;
  size_t fed_ = 0;
  bool attachedBefore_ = false;  // a later attach is a recompute after preemption
  int generated_ = 0;
  std::string finish_;
  std::vector<float> held_;
};

// Runs on the model's worker thread. Slots are sessions of maxContext tokens each; a run occupies one slot while it
// is attached, and a slot keeps its cached tokens after its run ends (the next run on it reuses their prefix).
class Batch {
 public:
  // With `cache`, every slot's attention layers take their blocks from the model's paged pool: a run maps its
  // longest cached prefix when attached and gives its blocks back (its full ones stay cached) when it ends.
  Batch(std::shared_ptr<Model> model, int maxContext, int slots, std::shared_ptr<PrefixCache> cache = nullptr);

  // One entry of a step's plan, applied in order before the pass: end a run (remove), free its state (preempt),
  // start a run, attach a run to a slot, then feed up to `feed` of its tokens. `mask` (when hasMask) constrains the
  // token the run samples in this step. hold: keep the logits instead of sampling; a later entry without feed
  // samples from them.
  struct Entry {
    int id = 0;
    bool remove = false, preempt = false, hold = false;
    std::unique_ptr<SequenceRun> start;
    int slot = -1;
    int feed = 0;
    bool hasMask = false;
    std::vector<uint32_t> mask;
  };
  struct Result {
    int id = 0;
    int reused = -1;  // tokens reused when the entry attached the run
    int fed = 0;
    bool held = false;  // the pass's logits are kept (entry.hold)
    bool hasEvent = false;
    TokenEvent event;
    std::string finish;  // set once, when the run ends (eos, length)
    // The pass could not get the paged blocks it writes (out of cache memory): nothing was fed in this step.
    std::string cacheError;
  };
  // Applies the plan and runs one forward pass over every run with tokens to feed (at most max_step_tokens() in
  // all), then samples each run whose prompt or token is complete. Throws EngineError for an inconsistent plan.
  std::vector<Result> step(std::vector<Entry>& plan);
  void reset();
  int slots() const { return static_cast<int>(slots_.size()); }

 private:
  SequenceRun& run_of(int id);
  // A paged run that ended gives its blocks back at once (an unpaged slot keeps its state for the next run).
  static void release_if_paged(SequenceRun& run);
  std::shared_ptr<Model> model_;
  std::shared_ptr<PrefixCache> cache_;
  int maxContext_;
  std::vector<std::unique_ptr<Session>> slots_;
  std::vector<int> owner_;  // the run attached to each slot, or -1
  std::map<int, std::unique_ptr<SequenceRun>> runs_;
  std::map<int, int> slotOf_;
  std::vector<float> logits_;
};

}  // namespace vmlx
