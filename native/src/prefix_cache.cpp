#include "prefix_cache.h"

#include <algorithm>
#include <cstring>

namespace vmlx {

namespace {

inline uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  h *= 0xff51afd7ed558ccdull;
  return h ^ (h >> 33);
}

int widest(const std::vector<int>& rows) {
  int w = 0;
  for (int r : rows) w = std::max(w, r);
  return w;
}

}  // namespace

PrefixCache::PrefixCache(size_t budgetBytes, const std::vector<int>& layerRowElems, size_t snapshotBytes) {
  // A recurrent model spends up to a quarter of the budget on checkpoints (each is the whole recurrent state: MBs).
  if (snapshotBytes > 0) maxSnapshots_ = std::max<size_t>(1, budgetBytes / 4 / snapshotBytes);
  const size_t kvBytes = budgetBytes - std::min(budgetBytes / 4, maxSnapshots_ * snapshotBytes);
  pool_ = std::make_unique<KvPool>(std::max(1, widest(layerRowElems)), kvBytes);
  pool_->set_evictor([this] { return evict_one(); });
  publish();
}

void PrefixCache::clear() {
  while (!lru_.empty()) erase(entries_.find(lru_.front()));
  publish();
}

uint64_t PrefixCache::chain_key(uint64_t parent, const int32_t* tokens) {
  uint64_t h = mix(kRoot, parent);
  for (int i = 0; i < B; i++) h = mix(h, static_cast<uint32_t>(tokens[i]));
  return h;
}

const PrefixCache::Entry* PrefixCache::find(uint64_t key, const int32_t* tokens) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || std::memcmp(it->second.tokens.data(), tokens, sizeof(Tokens)) != 0) return nullptr;
  return &it->second;
}

const PrefixCache::Entry* PrefixCache::best_child(uint64_t parent, const int32_t* tokens, int n, int* matched) const {
  const Entry* best = nullptr;
  *matched = 0;
  auto range = children_.equal_range(parent);
  for (auto c = range.first; c != range.second; ++c) {
    auto it = entries_.find(c->second);
    if (it == entries_.end()) continue;
    int m = 0;
    while (m < n && m < B && it->second.tokens[m] == tokens[m]) m++;
    if (m > *matched) *matched = m, best = &it->second;
  }
  return best;
}

bool PrefixCache::insert(uint64_t key, uint64_t parent, const int32_t* tokens, const std::vector<int>& blocks) {
  if (entries_.count(key)) return false;
  Entry& e = entries_[key];
  e.key = key;
  e.parent = parent;
  std::memcpy(e.tokens.data(), tokens, sizeof(Tokens));
  e.blocks = blocks;
  for (int b : blocks)
    if (b >= 0) pool_->retain(b), cacheRefs_++;
  e.lru = lru_.insert(lru_.end(), key);
  children_.emplace(parent, key);
  return true;
}

void PrefixCache::attach_snapshot(uint64_t key, std::unique_ptr<SequenceSnapshot> snapshot) {
  auto it = entries_.find(key);
  if (it == entries_.end() || maxSnapshots_ == 0) return;
  if (!it->second.snapshot) snapshotOrder_.push_back(key);
  it->second.snapshot = std::move(snapshot);
  while (snapshotOrder_.size() > maxSnapshots_) {
    auto old = entries_.find(snapshotOrder_.front());
    snapshotOrder_.pop_front();
    if (old != entries_.end()) old->second.snapshot.reset();
  }
}

void PrefixCache::touch(const std::vector<const Entry*>& chain) {
  for (auto e = chain.rbegin(); e != chain.rend(); ++e) {
    Entry& m = entries_.at((*e)->key);
    lru_.splice(lru_.end(), lru_, m.lru);
  }
}

void PrefixCache::erase(std::unordered_map<uint64_t, Entry>::iterator it) {
  Entry& e = it->second;
  for (int b : e.blocks)
    if (b >= 0) pool_->release(b), cacheRefs_--;
  if (e.snapshot) snapshotOrder_.remove(e.key);
  auto range = children_.equal_range(e.parent);
  for (auto c = range.first; c != range.second; ++c)
    if (c->second == e.key) {
      children_.erase(c);
      break;
    }
  lru_.erase(e.lru);
  entries_.erase(it);
}

bool PrefixCache::evict_one() {
  for (uint64_t key : lru_) {
    auto it = entries_.find(key);
    const bool frees = std::any_of(it->second.blocks.begin(), it->second.blocks.end(), [&](int b) { return b >= 0 && pool_->refs(b) == 1; });
    if (!frees) continue;
    erase(it);
    evictions_++;
    return true;
  }
  return false;
}

void PrefixCache::count_lookup(int promptTokens, int cachedTokens) {
  lookups_++;
  if (cachedTokens > 0) hits_++;
  promptTokens_ += promptTokens;
  cachedTokens_ += cachedTokens;
}

CacheFigures PrefixCache::figures() const {
  std::lock_guard<std::mutex> lk(figuresMu_);
  return published_;
}

void PrefixCache::publish() {
  CacheFigures f;
  f.blocks = pool_->capacity();
  f.freeBlocks = pool_->free_count();
  f.cachedBlocks = static_cast<int>(entries_.size());
  f.snapshots = static_cast<int>(snapshotOrder_.size());
  f.sequenceRefs = pool_->total_refs() - cacheRefs_;
  f.lookups = lookups_, f.hits = hits_, f.promptTokens = promptTokens_, f.cachedTokens = cachedTokens_;
  f.evictions = evictions_, f.outOfMemory = pool_->failures();
  f.blockBytes = pool_->block_bytes();
  std::lock_guard<std::mutex> lk(figuresMu_);
  published_ = f;
}

}  // namespace vmlx
