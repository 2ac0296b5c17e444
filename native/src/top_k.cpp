#include "top_k.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace vmlx {

namespace {

constexpr int kRun = 64;

// Whether some value of v[0, kRun) is above `floor` (NaN never is).
bool run_beats(const float* v, float floor) {
#if defined(__SSE2__)
  // maxps(a, b) is a > b ? a : b per lane, so a NaN in v leaves the running maximum as it was.
  __m128 m0 = _mm_set1_ps(-INFINITY), m1 = m0, m2 = m0, m3 = m0;
  for (int j = 0; j < kRun; j += 16) {
    m0 = _mm_max_ps(_mm_loadu_ps(v + j), m0);
    m1 = _mm_max_ps(_mm_loadu_ps(v + j + 4), m1);
    m2 = _mm_max_ps(_mm_loadu_ps(v + j + 8), m2);
    m3 = _mm_max_ps(_mm_loadu_ps(v + j + 12), m3);
  }
  const __m128 m = _mm_max_ps(_mm_max_ps(m0, m1), _mm_max_ps(m2, m3));
  return _mm_movemask_ps(_mm_cmpgt_ps(m, _mm_set1_ps(floor))) != 0;
#else
  for (int j = 0; j < kRun; j++)
    if (v[j] > floor) return true;
  return false;
#endif
}

}  // namespace

void top_k_unordered(const float* v, int n, int k, int32_t* out) {
  // (value, index) pairs ordered so the heap's front is the worst kept: the lower value, then the later index (ties
  // keep the earlier token, as a stable sort would).
  std::vector<std::pair<float, int32_t>> heap;
  heap.reserve(k);
  const auto worse = [](const std::pair<float, int32_t>& a, const std::pair<float, int32_t>& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  for (int i = 0; i < k; i++) heap.emplace_back(std::isnan(v[i]) ? -INFINITY : v[i], i);  // NaN ranks last
  std::make_heap(heap.begin(), heap.end(), worse);
  float floor = heap.front().first;
  const auto offer = [&](int i) {
    if (!(v[i] > floor)) return;  // NaN never enters
    std::pop_heap(heap.begin(), heap.end(), worse);
    heap.back() = {v[i], i};
    std::push_heap(heap.begin(), heap.end(), worse);
    floor = heap.front().first;
  };
  // Runs of 64 whose maximum does not beat the floor (nearly all of a vocabulary) are skipped after a vector max.
  int i = k;
  for (; i + kRun <= n; i += kRun)
    if (run_beats(v + i, floor))
      for (int j = i; j < i + kRun; j++) offer(j);
  for (; i < n; i++) offer(i);
  for (int j = 0; j < k; j++) out[j] = heap[j].second;
}

namespace {

// Large k (a flat distribution's top-p nucleus): one select and sort of packed keys, O(n + k log k), where the heap
// would be O(n log k). Key = the value's bits mapped to an unsigned order, inverted (largest first), then the index
// (ties to the lower one). NaN counts as -inf and -0 as +0, as in the comparison below.
std::vector<int32_t> top_indices_by_keys(const float* v, int n, int k) {
  std::vector<uint64_t> keys(n);
  for (int i = 0; i < n; i++) {
    const float f = std::isnan(v[i]) ? -INFINITY : v[i] + 0.f;
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
    keys[i] = (static_cast<uint64_t>(~u) << 32) | static_cast<uint32_t>(i);
  }
  if (k < n) std::nth_element(keys.begin(), keys.begin() + k, keys.end());
  std::sort(keys.begin(), keys.begin() + k);
  std::vector<int32_t> idx(k);
  for (int i = 0; i < k; i++) idx[i] = static_cast<int32_t>(keys[i] & 0xffffffffu);
  return idx;
}

}  // namespace

std::vector<int32_t> top_indices(const float* v, int n, int k) {
  k = std::min(k, n);
  if (k <= 0) return {};
  if (static_cast<int64_t>(k) * 16 >= n && n > 4096) return top_indices_by_keys(v, n, k);
  std::vector<int32_t> idx(k);
  top_k_unordered(v, n, k, idx.data());
  // NaN ranks last, so the order is a strict weak one whatever the row holds.
  const auto key = [v](int32_t i) { return std::isnan(v[i]) ? -INFINITY : v[i]; };
  std::sort(idx.begin(), idx.end(), [&](int32_t a, int32_t b) { return key(a) > key(b) || (key(a) == key(b) && a < b); });
  return idx;
}

int32_t argmax_first(const float* v, int n) {
  // Only a strictly larger value moves the maximum, so `at` is its first index.
  float mx = -INFINITY;
  int32_t at = 0;
  const auto offer = [&](int j) {
    if (v[j] > mx) mx = v[j], at = j;
  };
  int i = 0;
  for (; i + kRun <= n; i += kRun)
    if (run_beats(v + i, mx))
      for (int j = i; j < i + kRun; j++) offer(j);
  for (; i < n; i++) offer(i);
  return at;
}

}  // namespace vmlx
