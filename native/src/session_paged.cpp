// The paged half of Session: mapping a prompt's cached prefix from the shared prefix cache, registering the
// sequence's full blocks, recurrent checkpoints at block boundaries, and giving every block back at the end.
#include <algorithm>

#include "session.h"

namespace vmlx {

size_t Session::map_prefix(const std::vector<int32_t>& prompt, bool lookup, size_t* matched) {
  constexpr int B = PrefixCache::B;
  release_sequence();
  const bool recurrent = !state_.positional();
  const size_t limit = prompt.size() - 1;  // the last prompt token is always computed (its logits)
  std::vector<const PrefixCache::Entry*> chain;
  uint64_t parent = PrefixCache::kRoot;
  for (size_t b = 0; (b + 1) * B <= prompt.size(); b++) {
    const int32_t* t = prompt.data() + b * B;
    const PrefixCache::Entry* e = cache_->find(PrefixCache::chain_key(parent, t), t);
    if (!e) break;
    chain.push_back(e);
    parent = e->key;
  }
  size_t n = chain.size() * B;
  if (matched) *matched = std::min(n, limit) / B * B;
  if (recurrent) {
    // A recurrent state can only resume where a checkpoint was taken.
    while (!chain.empty() && (!chain.back()->snapshot || chain.size() * B > limit)) chain.pop_back();
    n = chain.size() * B;
  } else if (n > limit) {
    n = limit;  // the last block is shared partly: the first write into it copies it
  } else if (n < limit) {
    int matched = 0;
    const PrefixCache::Entry* e = cache_->best_child(parent, prompt.data() + n, static_cast<int>(limit - n), &matched);
    if (e) chain.push_back(e), n += matched;
  }
  for (size_t j = 0; j < chain.size(); j++) {
    if ((j + 1) * B <= n) keys_.push_back(chain[j]->key);
    for (size_t i = 0; i < pagedLayers_.size(); i++) {
      PagedKvCache* layer = pagedLayers_[i];
      if (!layer) continue;
      // A sliding window shares only the blocks the next query still sees.
      const int lastPos = static_cast<int>((j + 1) * B) - 1;
      if (layer->window() > 0 && lastPos < static_cast<int>(n) - layer->window() + 1) continue;
      layer->share(static_cast<int>(j), chain[j]->blocks[i]);
    }
  }
  if (recurrent && n > 0) chain.back()->snapshot->restore_into(state_);
  tokens_.assign(prompt.begin(), prompt.begin() + static_cast<long>(n));
  cached_ = static_cast<int>(n);
  cache_->touch(chain);
  if (lookup) cache_->count_lookup(static_cast<int>(prompt.size()), static_cast<int>(n));
  cache_->publish();
  return n;
}

void Session::register_blocks() {
  constexpr int B = PrefixCache::B;
  std::vector<int> blocks(pagedLayers_.size(), -1);
  while ((keys_.size() + 1) * B <= tokens_.size()) {
    const size_t b = keys_.size();
    const uint64_t parent = b ? keys_.back() : PrefixCache::kRoot;
    const int32_t* t = tokens_.data() + b * B;
    const uint64_t key = PrefixCache::chain_key(parent, t);
    bool complete = true;
    for (size_t i = 0; i < pagedLayers_.size(); i++) {
      blocks[i] = pagedLayers_[i] ? pagedLayers_[i]->block(static_cast<int>(b)) : -1;
      if (pagedLayers_[i] && blocks[i] < 0) complete = false;
    }
    // Incomplete: a sliding window already dropped the block (a prefix mapped past it); nothing to share there.
    if (complete) cache_->insert(key, parent, t, blocks);
    keys_.push_back(key);
  }
  cache_->publish();
}

void Session::checkpoint(size_t at) {
  if (keys_.size() * PrefixCache::B != at || at == 0) return;
  auto snap = std::make_unique<SequenceSnapshot>();
  snap->take(state_, static_cast<int>(at));
  cache_->attach_snapshot(keys_.back(), std::move(snap));
  cache_->publish();
}

void Session::release_sequence() {
  register_blocks();
  const int at = decodeCheckpoint_.tokens;
  if (at > 0 && static_cast<size_t>(at) <= keys_.size() * PrefixCache::B) {
    auto snap = std::make_unique<SequenceSnapshot>();
    snap->tokens = at;
    snap->layers = std::move(decodeCheckpoint_.layers);
    cache_->attach_snapshot(keys_[at / PrefixCache::B - 1], std::move(snap));
  }
  decodeCheckpoint_.layers.clear();
  decodeCheckpoint_.tokens = -1;
  cached_ = static_cast<int>(keys_.size()) * PrefixCache::B;
  state_.clear();
  tokens_.clear();
  keys_.clear();
  cache_->publish();
}

}  // namespace vmlx
