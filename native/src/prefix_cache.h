// The prefix cache shared by every sequence of a model: full blocks of 32 tokens keyed by the chain of their
// contents (hash of the parent block's key and this block's tokens), each holding a reference to its block in every
// attention layer and, at some block boundaries, a checkpoint of the recurrent (DeltaNet) layers. A new prompt maps
// its longest cached prefix block by block (sharing, no copy). Entries are evicted least-recently-used when the pool
// needs blocks. Runs on the model's worker thread.
#pragma once
#include <array>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "cache.h"
#include "kv_pool.h"

namespace vmlx {

struct CacheFigures {
  int blocks = 0, freeBlocks = 0, cachedBlocks = 0, snapshots = 0;
  long sequenceRefs = 0;  // block references held by sequences (0 when no request runs)
  double lookups = 0, hits = 0, promptTokens = 0, cachedTokens = 0, evictions = 0, outOfMemory = 0;
  size_t blockBytes = 0;
};

class PrefixCache {
 public:
  static constexpr int B = KvPool::kBlockTokens;
  using Tokens = std::array<int32_t, B>;

  struct Entry {
    uint64_t key = 0, parent = 0;
    Tokens tokens{};
    std::vector<int> blocks;  // per layer; -1 for layers without a paged cache
    std::unique_ptr<SequenceSnapshot> snapshot;
    std::list<uint64_t>::iterator lru;
  };

  // `layerRowElems`: per layer, kvHeads * headDim of a paged attention layer, 0 for the others. `snapshotBytes`: size
  // of one recurrent checkpoint (0: the model has no recurrent layer).
  PrefixCache(size_t budgetBytes, const std::vector<int>& layerRowElems, size_t snapshotBytes);

  static constexpr uint64_t kRoot = 0x9e3779b97f4a7c15ull;
  static uint64_t chain_key(uint64_t parent, const int32_t* tokens);

  KvPool& pool() { return *pool_; }
  const Entry* find(uint64_t key, const int32_t* tokens) const;
  // A cached child of `parent` whose first tokens match `tokens[0..n)` the longest (at least 1); nullptr if none.
  const Entry* best_child(uint64_t parent, const int32_t* tokens, int n, int* matched) const;
  // Registers a full block (its blocks get one more reference each); false when the key is already cached.
  bool insert(uint64_t key, uint64_t parent, const int32_t* tokens, const std::vector<int>& blocks);
  // Keeps a recurrent checkpoint with the entry (dropping the least recently used checkpoint beyond the cap).
  void attach_snapshot(uint64_t key, std::unique_ptr<SequenceSnapshot> snapshot);
  // Marks a mapped chain as just used, leaf first, so that leaves are evicted before their parents.
  void touch(const std::vector<const Entry*>& chain);
  // Evicts the least recently used entry that frees at least one block.
  bool evict_one();

  // Drops every entry no sequence is using (a reset: the next prompts are prefilled from scratch).
  void clear();

  void count_lookup(int promptTokens, int cachedTokens);
  // Copies the figures for readers on other threads (the worker calls this after each change it makes).
  void publish();
  CacheFigures figures() const;
  size_t max_snapshots() const { return maxSnapshots_; }

 private:
  void erase(std::unordered_map<uint64_t, Entry>::iterator it);
  std::unique_ptr<KvPool> pool_;
  std::unordered_map<uint64_t, Entry> entries_;
  std::unordered_multimap<uint64_t, uint64_t> children_;
  std::list<uint64_t> lru_;  // front: least recently used
  std::list<uint64_t> snapshotOrder_;
  size_t maxSnapshots_ = 0;
  double lookups_ = 0, hits_ = 0, promptTokens_ = 0, cachedTokens_ = 0, evictions_ = 0;
  long cacheRefs_ = 0;  // block references the entries hold
  mutable std::mutex figuresMu_;
  CacheFigures published_;
};

}  // namespace vmlx
