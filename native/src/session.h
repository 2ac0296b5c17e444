// One conversation's state on a model: its per-layer caches and the tokens it holds. Generation and evaluation run on
// the model's worker thread (see host.h); nothing here touches JavaScript.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model.h"
#include "prefix_cache.h"
#include "sampler.h"

namespace vmlx {

struct GenerationStats {
  int promptTokens = 0, reusedTokens = 0, generatedTokens = 0;
  double prefillMs = 0, decodeMs = 0;
  std::string finishReason;
};

class Session {
 public:
  // With `cache`, the sequence takes its attention blocks from the model's shared pool and reuses any cached prefix
  // (of any earlier request); without it (or when a layer cannot be paged) it keeps its own full-context cache.
  Session(std::shared_ptr<Model> model, int maxContext, std::shared_ptr<PrefixCache> cache = nullptr);
  ~Session();

  // Prefill (reusing the longest common prefix of the cache) and decode. emit() is called for each token in order.
  // constrain (optional) runs on each step's logits before sampling (a grammar's token mask); false stops the job.
  using Constrain = std::function<bool(float* logits, int vocab)>;
  GenerationStats generate(const std::vector<int32_t>& prompt, const SamplingParams& params, const std::atomic<bool>& cancel,
                           const std::function<void(TokenEvent&&)>& emit, const Constrain& constrain = nullptr);
  // Teacher-forced top-k log-softmax at every position: ids/logprobs get tokens.size()*k entries. probe (optional):
  // its gaps get tokens.size()*layers router gaps, and its flip (if any) is applied (see RouterProbe).
  void evaluate(const std::vector<int32_t>& tokens, int k, std::vector<int32_t>& ids, std::vector<float>& logprobs,
                RouterProbe* probe = nullptr);

  int cached_tokens() const { return cached_.load(); }
  void reset();
  int max_context() const { return state_.maxContext; }
  bool paged() const { return cache_ != nullptr; }

  // For a SequenceRun (batch.h): checks `tokens` and keeps the longest reusable prefix of them (paged: maps it from
  // the prefix cache), returning its length;
  // the state that passes feed; the tokens a pass fed; a snapshot of recurrent layers at the current length; and
  // dropping the state for fresh memory (preemption gives the memory of a long sequence back).
  // `lookup` false: a preempted run attached again (the prefix cache's figures count each request's prompt once).
  // `hints`: prompt positions where other prompts are likely to share up to (the end of a system prompt); paged
  // recurrent layers take a checkpoint at the block boundary at or before each, besides the prompt's own.
  size_t attach(const std::vector<int32_t>& tokens, bool lookup = true, const std::vector<int32_t>& hints = {});
  SequenceState& state() { return state_; }
  void append(const int32_t* tokens, int n);
  bool recurrent() const { return !state_.positional(); }
  void take_snapshot() { snapshot_.take(state_, static_cast<int>(tokens_.size())); }
  // Paged recurrent layers: the next block boundary after `fed` where a checkpoint is taken (a pass must end there);
  // 0 when none is left.
  size_t next_checkpoint(size_t fed) const;
  // Unpaged: drops the state for fresh memory. Paged: registers the sequence's full blocks in the prefix cache and
  // returns every block it holds to the pool (a later attach maps them back while they stay cached).
  void release();

 private:
  void check_tokens(const std::vector<int32_t>& tokens) const;
  // Puts the sequence state at the longest reusable prefix of `prompt` (at most prompt.size()-1 tokens, so the last
  // one is recomputed for its logits) and returns its length. Recurrent layers can only continue from the end of
  // the cache or from the snapshot; otherwise the sequence restarts from 0.
  size_t reuse_prefix(const std::vector<int32_t>& prompt);
  void truncate(size_t n);

  // Paged mode (session_paged.cpp). map_prefix: shares the longest cached prefix of `prompt` (full blocks, then part
  // of one more where allowed) and returns its length; register_blocks: adds the sequence's newly full blocks to
  // the prefix cache; release_sequence: registers, then returns every block (the cache keeps the full ones).
  // Recurrent: `*matched` gets the cached blocks' length before trimming to a checkpoint (where this prompt leaves
  // the cached chain: a checkpoint there serves the next prompt that shares as much).
  size_t map_prefix(const std::vector<int32_t>& prompt, bool lookup = true, size_t* matched = nullptr);
  void register_blocks();
  void release_sequence();
  // The position where a recurrent checkpoint is taken for `prompt`: its last block boundary before its last token.
  static size_t checkpoint_at(size_t promptSize) { return (promptSize - 1) / PrefixCache::B * PrefixCache::B; }
  void checkpoint(size_t at);
  // Paged: whatever ends a request (done, cancelled, an error), its full blocks stay in the prefix cache and every
  // block it holds goes back to the pool.
  struct ReleaseAtEnd {
    Session& s;
    ~ReleaseAtEnd() {
      if (s.cache_) s.release_sequence();
    }
  };

  std::shared_ptr<Model> model_;
  SequenceState state_;
  std::vector<int32_t> tokens_;  // the tokens whose keys/values are in kv_
  std::atomic<int> cached_{0};
  std::vector<float> logits_;
  // Recurrent layers only: their state before the last token of the latest prompt (the point the next turn's
  // prompt, or the same prompt again, most often shares).
  SequenceSnapshot snapshot_;
  std::shared_ptr<PrefixCache> cache_;
  std::vector<PagedKvCache*> pagedLayers_;  // per layer (nullptr: not an attention layer)
  std::vector<uint64_t> keys_;              // chain keys of the sequence's full blocks so far
  // Recurrent layers: their state at the latest block boundary reached while decoding, given to the cache when the
  // request ends (so the conversation's next turn resumes after the answer, not only after the prompt).
  SequenceSnapshot decodeCheckpoint_;
  size_t checkpointAt_ = 0;  // paged recurrent: checkpoint_at(attached tokens)
  // Paged recurrent: every block boundary of the prompt where a checkpoint is taken, ascending, checkpointAt_ last.
  std::vector<size_t> checkpoints_;
};

}  // namespace vmlx
