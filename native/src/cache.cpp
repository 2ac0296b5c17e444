#include "cache.h"

#include <new>

namespace vmlx {

FullKvCache::FullKvCache(int kvHeads, int headDim, int capacity) : dim_(headDim), capacity_(capacity) {
  const size_t n = static_cast<size_t>(kvHeads) * capacity * headDim;
  k_.reset(static_cast<uint16_t*>(std::calloc(n, sizeof(uint16_t))));
  v_.reset(static_cast<uint16_t*>(std::calloc(n, sizeof(uint16_t))));
  if (!k_ || !v_) throw std::bad_alloc();
}

}  // namespace vmlx
