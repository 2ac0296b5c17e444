#include "head_rescore.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <utility>

#include "threadpool.h"
#include "weights.h"

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

// Eight partial sums in a fixed order: the same value whichever thread computes it.
float dot(const float* a, const float* b, int n) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; j++) s[j] += a[i + j] * b[i + j];
  for (; i < n; i++) s[i & 7] += a[i] * b[i];
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
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
  for (int i = 0; i < k; i++) heap.emplace_back(v[i], i);
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

void rescore_top_logits(const PackedWeight& w, const float* hidden, int H, float* logits, int rows, int vocab,
                        ThreadPool& pool, std::vector<int32_t>& picked) {
  const int k = std::min(kRescoredLogits, vocab);
  picked.resize(static_cast<size_t>(rows) * k);
  pool.parallel_for(rows, [&](int r0, int r1) {
    for (int r = r0; r < r1; r++) top_k_unordered(logits + static_cast<size_t>(r) * vocab, vocab, k, picked.data() + static_cast<size_t>(r) * k);
  });
  // Every (row, token) pair is its own item, so one row's rescoring also spreads over the threads.
  pool.parallel_for(rows * k, [&](int i0, int i1) {
    std::vector<float> row(H);
    for (int i = i0; i < i1; i++) {
      const int r = i / k, token = picked[i];
      weight_row(w, token, row.data());
      logits[static_cast<size_t>(r) * vocab + token] = dot(row.data(), hidden + static_cast<size_t>(r) * H, H);
    }
  });
}

}  // namespace vmlx
