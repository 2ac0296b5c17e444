#include "batch.h"

#include <algorithm>
#include <cmath>

#include "errors.h"

namespace vmlx {

void mask_logits(float* logits, int vocab, const std::vector<uint32_t>& mask) {
  if (std::none_of(mask.begin(), mask.end(), [](uint32_t w) { return w != 0; })) return;
  const int words = static_cast<int>(mask.size());
  for (int i = 0; i < vocab; i++) {
    const int w = i >> 5;
    if (w >= words || !((mask[w] >> (i & 31)) & 1u)) logits[i] = -INFINITY;
  }
}

SequenceRun::SequenceRun(std::vector<int32_t> prompt, const SamplingParams& params, int vocab, const KernelSet& kernels,
                         std::vector<int32_t> checkpointHints)
    : checkpointHints_(std::move(checkpointHints)),
      tokens_(std::move(prompt)), promptTokens_(static_cast<int>(tokens_.size())), params_(params), sampler_(params, vocab, kernels) {
  tokens_.reserve(tokens_.size() + std::max(0, params.maxTokens));
  if (params.maxTokens <= 0) finish_ = "length";
}

int SequenceRun::attach(Session& session) {
  session_ = &session;
  fed_ = session.attach(tokens_, !attachedBefore_, checkpointHints_);
  attachedBefore_ = true;
  return static_cast<int>(fed_);
}

void SequenceRun::detach() {
  if (session_) session_->release();
  session_ = nullptr;
  fed_ = 0;
  held_.clear();
}

int SequenceRun::want(int budget) {
  if (!session_ || !finish_.empty() || budget < 1) return 0;
  size_t end = tokens_.size();
  const size_t lastPrompt = static_cast<size_t>(promptTokens_) - 1;
  if (session_->paged()) {
    // Paged recurrent layers: a pass ends at the checkpoint's block boundary (the checkpoint is taken there).
    if (session_->recurrent()) {
      const size_t next = session_->next_checkpoint(fed_);
      if (next > 0) end = next;
    }
  } else if (session_->recurrent() && fed_ <= lastPrompt) {
    if (fed_ < lastPrompt) end = lastPrompt;
    else session_->take_snapshot();
  }
  return static_cast<int>(std::min<size_t>(static_cast<size_t>(budget), end - fed_));
}

SegmentInput SequenceRun::segment(int n) const {
  return {&session_->state(), tokens_.data() + fed_, n, static_cast<int>(fed_), fed_ + n == tokens_.size()};
}

void SequenceRun::fed(int n) {
  session_->append(tokens_.data() + fed_, n);
  fed_ += static_cast<size_t>(n);
}

TokenEvent SequenceRun::sample(float* logits) {
  TokenEvent ev;
  const int32_t tok = sampler_.sample(logits, tokens_, ev);
  tokens_.push_back(tok);
  generated_++;
  if (std::find(params_.eosTokenIds.begin(), params_.eosTokenIds.end(), tok) != params_.eosTokenIds.end()) finish("eos");
  else if (generated_ >= params_.maxTokens || static_cast<int>(fed_) >= session_->max_context()) finish("length");
  return ev;
}

TokenEvent SequenceRun::sample_held(const std::vector<uint32_t>* mask) {
  std::vector<float> logits;
  logits.swap(held_);
  if (mask) mask_logits(logits.data(), static_cast<int>(logits.size()), *mask);
  return sample(logits.data());
}

Batch::Batch(std::shared_ptr<Model> model, int maxContext, int slots, std::shared_ptr<PrefixCache> cache)
    : model_(std::move(model)), cache_(std::move(cache)), maxContext_(maxContext) {
  // Slots are made on first use: a recurrent layer's state is allocated whole (about 1 MB per layer).
  slots_.resize(slots);
  owner_.assign(slots, -1);
}


void Batch::release_if_paged(SequenceRun& run) {
  if (run.session() && run.session()->paged()) run.detach();
}

SequenceRun& Batch::run_of(int id) {
  auto it = runs_.find(id);
  if (it == runs_.end()) throw EngineError("batch: no sequence " + std::to_string(id));
  return *it->second;
}

void Batch::reset() {
  for (size_t i = 0; i < slots_.size(); i++)
    if (owner_[i] < 0 && slots_[i]) slots_[i]->reset();
}

std::vector<Batch::Result> Batch::step(std::vector<Entry>& plan) {
  std::vector<Result> results(plan.size());
  const auto free_slot = [&](int id) {
    auto it = slotOf_.find(id);
    if (it == slotOf_.end()) return;
    owner_[it->second] = -1;
    slotOf_.erase(it);
  };
  for (size_t i = 0; i < plan.size(); i++) {
    Entry& e = plan[i];
    results[i].id = e.id;
    if (e.remove) {
      auto it = runs_.find(e.id);
      if (it != runs_.end()) release_if_paged(*it->second);
      free_slot(e.id);
      runs_.erase(e.id);
      continue;
    }
    if (e.start) {
      if (runs_.count(e.id)) throw EngineError("batch: sequence " + std::to_string(e.id) + " already exists");
      runs_[e.id] = std::move(e.start);
    }
    SequenceRun& run = run_of(e.id);
    if (e.preempt) {
      run.detach();
      free_slot(e.id);
    }
    if (e.slot >= 0) {
      if (e.slot >= slots() || (owner_[e.slot] >= 0 && owner_[e.slot] != e.id))
        throw EngineError("batch: slot " + std::to_string(e.slot) + " is not free for sequence " + std::to_string(e.id));
      free_slot(e.id);
      if (!slots_[e.slot]) slots_[e.slot] = std::make_unique<Session>(model_, maxContext_, cache_);
      owner_[e.slot] = e.id;
      slotOf_[e.id] = e.slot;
      results[i].reused = run.attach(*slots_[e.slot]);
    }
  }
  // The pass: every run with tokens to feed, within the engine's tokens per pass.
  std::vector<SegmentInput> segs;
  std::vector<size_t> entryOf;
  int budget = model_->max_step_tokens();
  for (size_t i = 0; i < plan.size(); i++) {
    const Entry& e = plan[i];
    if (e.remove || e.feed < 1) continue;
    SequenceRun& run = run_of(e.id);
    const int n = run.want(std::min(e.feed, budget));
    if (n < 1) continue;
    segs.push_back(run.segment(n));
    entryOf.push_back(i);
    budget -= n;
  }
  // Runs holding logits from an earlier pass sample now (their grammar has decided).
  for (size_t i = 0; i < plan.size(); i++) {
    const Entry& e = plan[i];
    if (e.remove || e.hold || e.feed > 0 || !runs_.count(e.id)) continue;
    SequenceRun& run = run_of(e.id);
    if (!run.holding() || run.finished()) continue;
    results[i].event = run.sample_held(e.hasMask ? &e.mask : nullptr);
    results[i].hasEvent = true;
    results[i].finish = run.finish_reason();
    if (run.finished()) release_if_paged(run);
  }
  if (segs.empty()) return results;
  const int vocab = model_->vocab();
  const size_t wanted = std::count_if(segs.begin(), segs.end(), [](const SegmentInput& s) { return s.logits; });
  logits_.resize(wanted * vocab);
  try {
    model_->forward_batch(segs.data(), static_cast<int>(segs.size()), logits_.data());
  } catch (const OutOfCacheMemory& oom) {
    // Nothing was written (the blocks are prepared first): every run of the pass keeps its state, and the scheduler
    // decides (preempt one and retry, or fail the one that runs alone).
    for (size_t j = 0; j < segs.size(); j++) results[entryOf[j]].cacheError = oom.what();
    return results;
  }
  size_t row = 0;
  struct Draw {
    SequenceRun* run;
    const Entry* entry;
    Result* result;
    float* logits;
  };
  std::vector<Draw> draws;
  for (size_t j = 0; j < segs.size(); j++) {
    Entry& e = plan[entryOf[j]];
    Result& r = results[entryOf[j]];
    SequenceRun& run = run_of(e.id);
    run.fed(segs[j].T);
    r.fed = segs[j].T;
    if (!segs[j].logits) continue;
    float* logits = logits_.data() + row++ * vocab;
    if (e.hold) {
      run.hold(logits, vocab);
      r.held = true;
      continue;
    }
    draws.push_back({&run, &e, &r, logits});
  }
  // Each run samples from its own logits with its own sampler, so the runs spread over the threads (a decode step
  // of 8 sequences scans 8 vocabularies) and each draws what it would alone.
  model_->pool().parallel_for(static_cast<int>(draws.size()), [&](int d0, int d1) {
    for (int d = d0; d < d1; d++) {
      const Draw& dr = draws[d];
      if (dr.entry->hasMask) mask_logits(dr.logits, vocab, dr.entry->mask);
      dr.result->event = dr.run->sample(dr.logits);
    }
  });
  for (const Draw& dr : draws) {
    dr.result->hasEvent = true;
    dr.result->finish = dr.run->finish_reason();
    if (dr.run->finished()) release_if_paged(*dr.run);
  }
  return results;
}

}  // namespace vmlx
