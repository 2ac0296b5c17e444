// Per-layer sequence state behind one interface. A sequence (one conversation) owns one LayerState per layer, made
// by that layer's token mixer: attention layers keep keys/values, a future linear-attention layer its recurrent and
// conv state. Attention reads its cache only through KvCache, so a paged pool shared by many sequences can
// implement the same interface later (a span per block instead of one per head).
#pragma once
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <vector>

namespace vmlx {

class LayerState {
 public:
  virtual ~LayerState() = default;
  // Whether the sequence can continue at position `pos` (reusing a cached prefix) after positions [0, end) were
  // stored. A full cache always can; a ring only while the window before `pos` has not been overwritten.
  virtual bool can_resume(int pos, int end) const {
    (void)pos, (void)end;
    return true;
  }
  // true: the state serves any prefix of the tokens it has seen (a KV cache addresses positions, so a shorter
  // prefix is reused by writing over what follows it). false: it folds every token into one value (a recurrent
  // state) and serves only the whole sequence so far; going back needs a snapshot.
  virtual bool positional() const { return true; }
  // Back to an empty sequence (non-positional states zero themselves; a paged cache returns its blocks).
  virtual void clear() {}
  // Called once before a forward pass writes positions [pos0, pos0 + T), on the model's thread: a paged cache gets
  // (or copies, when shared) the blocks those positions land in. Throws OutOfCacheMemory when the pool is full.
  virtual void prepare(int pos0, int T) { (void)pos0, (void)T; }
  // A copy of this state, and putting such a copy back (non-positional states; nullptr / no-op for the others).
  virtual std::unique_ptr<LayerState> snapshot() const { return nullptr; }
  virtual void restore(const LayerState&) {}
};

// Cached keys and values of `count` consecutive positions of one KV head: f16 rows of `dim` at `stride` elements,
// row 0 holding position `first`. A paged pool returns one span per block (attention reads it through
// block_rows instead); a ring (sliding window) keeps its window contiguous (see RingKvCache).
struct KvSpan {
  const uint16_t* k;
  const uint16_t* v;
  size_t stride;
  int first;
  int count;
};

class KvCache : public LayerState {
 public:
  // Stores the key and value of position `pos` of KV head `head` (headDim floats each, converted to f16 by `to_f16`).
  virtual void store(int head, int pos, const float* k, const float* v, void (*to_f16)(const float*, uint16_t*, int)) = 0;
  // The stored rows of positions [from, to] of `head`, or of the first part of that range that is consecutive in
  // memory (count < to - from + 1: ask again from first + count). Row 0 holds `from`. The caller asks only for
  // ranges the cache keeps (a ring: at most its capacity, ending at the last stored position).
  virtual KvSpan span(int head, int from, int to) const = 0;
  // A paged cache keeps positions in blocks of 2^block_shift(); -1: every range is one span.
  virtual int block_shift() const { return -1; }
  // Paged: the first key and value row of `head` in each of the blocks b0..b1 into k[b] and v[b] (the arrays are
  // indexed by block number); returns the distance between consecutive rows of a block, in elements.
  virtual size_t block_rows(int head, int b0, int b1, const uint16_t** k, const uint16_t** v) const {
    (void)head, (void)b0, (void)b1, (void)k, (void)v;
    return 0;
  }
};

struct CFree {
  void operator()(void* p) const { std::free(p); }
};

// Asks for transparent huge pages on the whole 2 MiB pages inside [p, p + bytes) (the paged KV pool: a decode step
// reads every sequence's keys and values, and on 4 KiB pages each block's slice of one head costs a TLB miss).
// Only for memory used from its start onward, as the pool hands out its blocks; a hint: nothing changes where the
// kernel does not grant it.
void advise_huge_pages(void* p, size_t bytes);

// Every position from 0: [kvHead][capacity][headDim] f16, calloc'd so pages become resident only as positions are
// written, however large the capacity.
class FullKvCache : public KvCache {
 public:
  FullKvCache(int kvHeads, int headDim, int capacity);
  void store(int head, int pos, const float* k, const float* v, void (*to_f16)(const float*, uint16_t*, int)) override;
  KvSpan span(int head, int from, int to) const override {
    return {k_.get() + offset(head, from), v_.get() + offset(head, from), static_cast<size_t>(dim_), from, to - from + 1};
  }

 private:
  size_t offset(int head, int pos) const { return (static_cast<size_t>(head) * capacity_ + pos) * dim_; }
  int dim_, capacity_;
  std::unique_ptr<uint16_t[], CFree> k_, v_;
};

// The last `slots` positions only (a sliding window plus one prefill chunk), as a ring. Each row is stored twice,
// at slot pos % slots and at slot pos % slots + slots, so any range of up to `slots` consecutive positions is one
// contiguous span even where the ring wraps: attention keeps a single span per head and the kernels stay unchanged.
// Memory is [kvHead][2 * slots][headDim] f16, independent of the sequence length.
class RingKvCache : public KvCache {
 public:
  RingKvCache(int kvHeads, int headDim, int window, int slots);
  bool can_resume(int pos, int end) const override {
    const int oldestNeeded = pos - window_ + 1 > 0 ? pos - window_ + 1 : 0;
    return end - 1 - oldestNeeded < slots_;  // the newest stored position has not overwritten the oldest needed
  }
  void store(int head, int pos, const float* k, const float* v, void (*to_f16)(const float*, uint16_t*, int)) override;
  KvSpan span(int head, int from, int to) const override {
    const size_t o = offset(head, from % slots_);
    return {k_.get() + o, v_.get() + o, static_cast<size_t>(dim_), from, to - from + 1};
  }
  int slots() const { return slots_; }

 private:
  size_t offset(int head, int slot) const { return (static_cast<size_t>(head) * 2 * slots_ + slot) * dim_; }
  int dim_, window_, slots_;
  std::unique_ptr<uint16_t[], CFree> k_, v_;
};

// A Gated DeltaNet layer's state: the last kernel-1 inputs of its causal conv ([kernel-1][channels], oldest first)
// and the recurrent matrix of each value head ([vHead][headVDim][headKDim], f32). Its size does not grow with the
// sequence, and it is a plain value: copying the object snapshots the layer at this position (what a prefix cache
// stores at a block boundary), and assigning a copy back restores it.
struct DeltaNetState : public LayerState {
  DeltaNetState(int convRows, int channels, int vHeads, int headVDim, int headKDim)
      : conv(static_cast<size_t>(convRows) * channels, 0.f),
        recurrent(static_cast<size_t>(vHeads) * headVDim * headKDim, 0.f) {}
  std::vector<float> conv;
  std::vector<float> recurrent;

  bool positional() const override { return false; }
  void clear() override {
    std::fill(conv.begin(), conv.end(), 0.f);
    std::fill(recurrent.begin(), recurrent.end(), 0.f);
  }
  std::unique_ptr<LayerState> snapshot() const override { return std::make_unique<DeltaNetState>(*this); }
  void restore(const LayerState& from) override {
    const auto& o = static_cast<const DeltaNetState&>(from);
    conv = o.conv;
    recurrent = o.recurrent;
  }
};

// One sequence: its id (for a future pool shared by sequences), its capacity and its layers' states.
struct SequenceState {
  int id = 0;
  int maxContext = 0;
  std::vector<std::unique_ptr<LayerState>> layers;

  // Whether every layer's state serves any prefix of its tokens (no recurrent layer).
  bool positional() const {
    return std::all_of(layers.begin(), layers.end(), [](const auto& l) { return !l || l->positional(); });
  }
  void clear() {
    for (auto& l : layers)
      if (l) l->clear();
  }
  void prepare(int pos0, int T) {
    for (auto& l : layers)
      if (l) l->prepare(pos0, T);
  }
};

// The non-positional layers' states of a sequence after its first `tokens` tokens (a checkpoint to go back to).
struct SequenceSnapshot {
  int tokens = -1;  // -1: none
  std::vector<std::unique_ptr<LayerState>> layers;

  void take(const SequenceState& s, int at) {
    layers.clear();
    for (const auto& l : s.layers) layers.push_back(l ? l->snapshot() : nullptr);
    tokens = at;
  }
  void restore_into(SequenceState& s) const {
    for (size_t i = 0; i < layers.size(); i++)
      if (layers[i]) s.layers[i]->restore(*layers[i]);
  }
};

}  // namespace vmlx
