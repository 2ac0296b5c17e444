#include "head_rescore.h"

#include <algorithm>

#include "threadpool.h"
#include "top_k.h"
#include "weights.h"

namespace vmlx {

namespace {

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
