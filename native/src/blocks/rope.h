// Rotary position embeddings: the inverse frequencies of a RopePlan (default, llama3, YaRN or longrope), the per-token
// cos/sin rows, and the NeoX (rotate-half) rotation of the first rotaryDims dims of each head.
#pragma once
#include <vector>

#include "model.h"

namespace vmlx {

std::vector<double> rope_inv_freq(const RopePlan& plan);
// cos/sin rows t0..t1 of table `r` (token t at position pos0 + t).
void rope_fill(RopeTable& r, int t0, int t1, int pos0);
// The table for `plan` in the scratch (registered when the model was built).
const RopeTable& rope_table(const Scratch& s, const RopePlan& plan);
// Rotates `heads` heads of hd dims of one token with the cos/sin row of that token.
void rope_apply(float* x, int heads, int hd, int rotaryDims, const float* cs, const float* sn);

}  // namespace vmlx
