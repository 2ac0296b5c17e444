#include "cache.h"

#include <cstring>
#include <new>

namespace vmlx {

namespace {

std::unique_ptr<uint16_t[], CFree> zeroed_rows(size_t n) {
  std::unique_ptr<uint16_t[], CFree> p(static_cast<uint16_t*>(std::calloc(n, sizeof(uint16_t))));
  if (!p) throw std::bad_alloc();
  return p;
}

}  // namespace

FullKvCache::FullKvCache(int kvHeads, int headDim, int capacity)
    : dim_(headDim), capacity_(capacity),
      k_(zeroed_rows(static_cast<size_t>(kvHeads) * capacity * headDim)),
      v_(zeroed_rows(static_cast<size_t>(kvHeads) * capacity * headDim)) {}

void FullKvCache::store(int head, int pos, const float* k, const float* v, void (*to_f16)(const float*, uint16_t*, int)) {
  to_f16(k, k_.get() + offset(head, pos), dim_);
  to_f16(v, v_.get() + offset(head, pos), dim_);
}

RingKvCache::RingKvCache(int kvHeads, int headDim, int window, int slots)
    : dim_(headDim), window_(window), slots_(slots),
      k_(zeroed_rows(static_cast<size_t>(kvHeads) * 2 * slots * headDim)),
      v_(zeroed_rows(static_cast<size_t>(kvHeads) * 2 * slots * headDim)) {}

void RingKvCache::store(int head, int pos, const float* k, const float* v, void (*to_f16)(const float*, uint16_t*, int)) {
  const size_t lo = offset(head, pos % slots_), hi = offset(head, pos % slots_ + slots_);
  const size_t bytes = static_cast<size_t>(dim_) * sizeof(uint16_t);
  to_f16(k, k_.get() + lo, dim_);
  to_f16(v, v_.get() + lo, dim_);
  std::memcpy(k_.get() + hi, k_.get() + lo, bytes);
  std::memcpy(v_.get() + hi, v_.get() + lo, bytes);
}

}  // namespace vmlx
