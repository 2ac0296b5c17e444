// The int8 path's output projection, rescored where the distribution lives: the vocabulary's logits come from the
// int8 kernel (twice the multiply-adds per instruction of int16: a decode step of 8 sequences spent a fifth of its
// time in the int16 output projection), then each row's most likely tokens are recomputed with float activations
// on the same weights, so the tokens that carry the probability mass are scored as precisely as the float path.
#pragma once
#include <cstdint>
#include <vector>

#include "kernels/kernels.h"

namespace vmlx {

class ThreadPool;

// Tokens per row rescored: the head of the distribution (sampling, top_logprobs and greedy choices live there);
// the rest keeps its int8 logit, whose rounding is what llama.cpp's Q8 activations give every logit.
constexpr int kRescoredLogits = 64;

// Rows [0, rows) of `logits` ([rows, vocab], from the int8 kernel on `hidden` [rows, H]): each row's
// kRescoredLogits largest become the float dot product of `hidden`'s row with the weight row. `picked` is scratch.
void rescore_top_logits(const PackedWeight& w, const float* hidden, int H, float* logits, int rows, int vocab,
                        ThreadPool& pool, std::vector<int32_t>& picked);

}  // namespace vmlx
