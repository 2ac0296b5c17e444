// The paged KV pool: one arena of fixed-size blocks per model under a memory budget, shared by every sequence, with
// a reference count per block (sequences and the prefix cache hold references; a block shared by several is copied
// before anyone writes into it). PagedKvCache is an attention layer's view of one sequence: a table of block ids.
// Everything here runs on the model's worker thread (no locking).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "cache.h"
#include "errors.h"

namespace vmlx {

// An allocation the pool cannot satisfy even after evicting every unreferenced cached block. A scheduler preempts
// a sequence on it; without one, the request fails with this message.
class OutOfCacheMemory : public EngineError {
 public:
  explicit OutOfCacheMemory(const std::string& msg) : EngineError(msg) {}
};

class KvPool {
 public:
  // 32 positions: a head's keys are an 8 KiB run per block. With 16 (4 KiB runs) 8-sequence decode was 4-6% slower,
  // with 64 about 3% faster than 32, at twice the unshared tail per sequence and a coarser prefix-cache match.
  static constexpr int kBlockShift = 5;
  static constexpr int kBlockTokens = 1 << kBlockShift;  // positions per block

  // `rowElems`: the widest attention layer's kvHeads * headDim (a block holds kBlockTokens keys and values of it).
  KvPool(int rowElems, size_t budgetBytes);
  static size_t block_bytes_for(int rowElems) { return static_cast<size_t>(rowElems) * kBlockTokens * 2 * sizeof(uint16_t); }

  int capacity() const { return static_cast<int>(refs_.size()); }
  int free_count() const { return static_cast<int>(free_.size()); }
  size_t block_bytes() const { return blockBytes_; }
  uint16_t* data(int block) { return arena_.get() + static_cast<size_t>(block) * (blockBytes_ / sizeof(uint16_t)); }
  const uint16_t* data(int block) const { return arena_.get() + static_cast<size_t>(block) * (blockBytes_ / sizeof(uint16_t)); }

  // A block with one reference, evicting cached blocks (through the evictor) when none is free; -1 when impossible.
  int alloc();
  void retain(int block) { refs_[block]++, totalRefs_++; }
  // References held by anyone (sequences and the prefix cache).
  long total_refs() const { return totalRefs_; }
  void release(int block);
  int refs(int block) const { return refs_[block]; }
  // Frees one cached block that only the cache references; false when there is none.
  void set_evictor(std::function<bool()> evictOne) { evict_ = std::move(evictOne); }
  // Throws OutOfCacheMemory with the budget in the message.
  [[noreturn]] void fail(int neededBlocks);
  double failures() const { return failures_; }

 private:
  size_t blockBytes_;
  std::unique_ptr<uint16_t[], CFree> arena_;
  std::vector<int> refs_;
  std::vector<int> free_;
  std::function<bool()> evict_;
  double failures_ = 0;
  long totalRefs_ = 0;
};

// One attention layer of one sequence in the pool: block b holds positions [32b, 32b + 32), laid out
// [K: kvHead][pos][headDim] then [V: kvHead][pos][headDim]. A sliding-window layer (window > 0) drops the blocks
// that fall entirely out of the window of the next positions it computes.
class PagedKvCache : public KvCache {
 public:
  PagedKvCache(KvPool& pool, int kvHeads, int headDim, int window);
  ~PagedKvCache() override { clear(); }

  void clear() override;
  void prepare(int pos0, int T) override;
  void store(int head, int pos, const float* k, const float* v, void (*to_f16)(const float*, uint16_t*, int)) override;
  KvSpan span(int head, int from, int to) const override;
  int block_shift() const override { return KvPool::kBlockShift; }
  size_t block_rows(int head, int b0, int b1, const uint16_t** k, const uint16_t** v) const override;

  // Block `b` of the sequence (-1: none held), and sharing a cached block as block `b` (one more reference).
  int block(int b) const { return b < static_cast<int>(table_.size()) ? table_[b] : -1; }
  void share(int b, int blockId);
  int window() const { return window_; }

 private:
  const uint16_t* row(int b, bool value, int head, int off) const;
  KvPool& pool_;
  int kvHeads_, dim_, window_;
  std::vector<int> table_;
};

}  // namespace vmlx
