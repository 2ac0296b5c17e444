#include "kv_pool.h"

#include <cstring>
#include <new>
#include <string>

namespace vmlx {

KvPool::KvPool(int rowElems, size_t budgetBytes) : blockBytes_(block_bytes_for(rowElems)) {
  const size_t blocks = blockBytes_ ? budgetBytes / blockBytes_ : 0;
  if (blocks == 0)
    throw EngineError("KV cache memory of " + std::to_string(budgetBytes) + " bytes holds no block of " +
                      std::to_string(kBlockTokens) + " tokens (" + std::to_string(blockBytes_) + " bytes per layer); raise --kv-cache-memory");
  // calloc: pages become resident only as blocks are first written, however large the budget.
  arena_.reset(static_cast<uint16_t*>(std::calloc(blocks, blockBytes_)));
  if (!arena_) throw std::bad_alloc();
  advise_huge_pages(arena_.get(), blocks * blockBytes_);
  refs_.assign(blocks, 0);
  free_.reserve(blocks);
  for (size_t b = blocks; b-- > 0;) free_.push_back(static_cast<int>(b));  // block 0 first
}

int KvPool::alloc() {
  while (free_.empty())
    if (!evict_ || !evict_()) return -1;
  const int b = free_.back();
  free_.pop_back();
  refs_[b] = 1;
  totalRefs_++;
  return b;
}

void KvPool::release(int block) {
  totalRefs_--;
  if (--refs_[block] == 0) free_.push_back(block);
}

void KvPool::fail(int neededBlocks) {
  failures_++;
  throw OutOfCacheMemory("out of cache memory: the KV cache budget holds " + std::to_string(capacity()) + " blocks of " +
                         std::to_string(kBlockTokens) + " tokens (" + std::to_string(capacity() * blockBytes_ >> 20) +
                         " MiB) and " + std::to_string(neededBlocks) +
                         " more are needed; raise --kv-cache-memory or shorten the prompt");
}

PagedKvCache::PagedKvCache(KvPool& pool, int kvHeads, int headDim, int window)
    : pool_(pool), kvHeads_(kvHeads), dim_(headDim), window_(window) {}

void PagedKvCache::clear() {
  for (int b : table_)
    if (b >= 0) pool_.release(b);
  table_.clear();
}

void PagedKvCache::share(int b, int blockId) {
  if (static_cast<int>(table_.size()) <= b) table_.resize(b + 1, -1);
  if (table_[b] >= 0) pool_.release(table_[b]);
  pool_.retain(blockId);
  table_[b] = blockId;
}

void PagedKvCache::prepare(int pos0, int T) {
  constexpr int B = KvPool::kBlockTokens;
  if (window_ > 0) {
    // Positions before the first query's window are never read again.
    const int firstNeeded = pos0 - window_ + 1;
    for (int b = 0; b < static_cast<int>(table_.size()) && (b + 1) * B <= firstNeeded; b++)
      if (table_[b] >= 0) pool_.release(table_[b]), table_[b] = -1;
  }
  const int last = (pos0 + T - 1) / B;
  if (static_cast<int>(table_.size()) <= last) table_.resize(last + 1, -1);
  for (int b = pos0 / B; b <= last; b++) {
    const int held = table_[b];
    if (held >= 0 && pool_.refs(held) == 1) continue;
    const int fresh = pool_.alloc();
    if (fresh < 0) pool_.fail(last - b + 1);
    if (held >= 0) {
      // Copy-on-write: the block is shared (a cached prefix whose tail this sequence now overwrites).
      std::memcpy(pool_.data(fresh), pool_.data(held), pool_.block_bytes());
      pool_.release(held);
    }
    table_[b] = fresh;
  }
}

const uint16_t* PagedKvCache::row(int b, bool value, int head, int off) const {
  constexpr int B = KvPool::kBlockTokens;
  const size_t plane = static_cast<size_t>(kvHeads_) * B * dim_;
  return pool_.data(table_[b]) + (value ? plane : 0) + (static_cast<size_t>(head) * B + off) * dim_;
}

void PagedKvCache::store(int head, int pos, const float* k, const float* v, void (*to_f16)(const float*, uint16_t*, int)) {
  constexpr int B = KvPool::kBlockTokens;
  const int b = pos / B, off = pos % B;
  to_f16(k, const_cast<uint16_t*>(row(b, false, head, off)), dim_);
  to_f16(v, const_cast<uint16_t*>(row(b, true, head, off)), dim_);
}

size_t PagedKvCache::block_rows(int head, int b0, int b1, const uint16_t** k, const uint16_t** v) const {
  for (int b = b0; b <= b1; b++) {
    k[b] = row(b, false, head, 0);
    v[b] = row(b, true, head, 0);
  }
  return static_cast<size_t>(dim_);
}

KvSpan PagedKvCache::span(int head, int from, int to) const {
  constexpr int B = KvPool::kBlockTokens;
  const int b = from / B, off = from % B;
  const int count = std::min(to, b * B + B - 1) - from + 1;
  return {row(b, false, head, off), row(b, true, head, off), static_cast<size_t>(dim_), from, count};
}

}  // namespace vmlx
