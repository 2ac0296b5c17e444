// Per-layer sequence state behind one interface. A sequence (one conversation) owns one LayerState per layer, made
// by that layer's token mixer: attention layers keep keys/values, a future linear-attention layer its recurrent and
// conv state. Attention reads its cache only through KvCache, so a paged pool shared by many sequences can
// implement the same interface later (a span per block instead of one per head).
#pragma once
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

namespace vmlx {

class LayerState {
 public:
  virtual ~LayerState() = default;
};

// Cached keys and values of consecutive positions of one KV head: f16 rows of `dim` at `stride` elements, row 0
// holding position `first`.
struct KvSpan {
  const uint16_t* k;
  const uint16_t* v;
  size_t stride;
  int first;
};

class KvCache : public LayerState {
 public:
  // Where position `pos` of KV head `head` is stored (f16, headDim elements).
  virtual uint16_t* k_row(int head, int pos) = 0;
  virtual uint16_t* v_row(int head, int pos) = 0;
  // The stored positions of `head` that a query at position `pos` may attend to.
  virtual KvSpan span(int head, int pos) const = 0;
};

struct CFree {
  void operator()(void* p) const { std::free(p); }
};

// Every position from 0: [kvHead][capacity][headDim] f16, calloc'd so pages become resident only as positions are
// written, however large the capacity.
class FullKvCache : public KvCache {
 public:
  FullKvCache(int kvHeads, int headDim, int capacity);
  uint16_t* k_row(int head, int pos) override { return k_.get() + offset(head, pos); }
  uint16_t* v_row(int head, int pos) override { return v_.get() + offset(head, pos); }
  KvSpan span(int head, int) const override {
    return {k_.get() + offset(head, 0), v_.get() + offset(head, 0), static_cast<size_t>(dim_), 0};
  }

 private:
  size_t offset(int head, int pos) const { return (static_cast<size_t>(head) * capacity_ + pos) * dim_; }
  int dim_, capacity_;
  std::unique_ptr<uint16_t[], CFree> k_, v_;
};

// One sequence: its id (for a future pool shared by sequences), its capacity and its layers' states.
struct SequenceState {
  int id = 0;
  int maxContext = 0;
  std::vector<std::unique_ptr<LayerState>> layers;
};

}  // namespace vmlx
