// Selecting the largest of a row of logits: the k largest (the int8 path's rescoring, the sampler's top-k and
// top_logprobs) and the argmax (greedy decoding). Each skips runs of 64 values whose vector maximum cannot matter.
#pragma once
#include <cstdint>
#include <vector>

namespace vmlx {

// The k largest of v[0, n) (1 <= k <= n), in no particular order (ties: the lower index); a NaN never enters once
// the first k values are in. One pass that keeps a min-heap of the best so far.
void top_k_unordered(const float* v, int n, int k, int32_t* out);

// Indices of the k largest values, largest first (ties: lower index first).
std::vector<int32_t> top_indices(const float* v, int n, int k);

// The first index of the largest value, NaN ignored (0 when every value is NaN).
int32_t argmax_first(const float* v, int n);

}  // namespace vmlx
