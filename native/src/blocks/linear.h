// The primitives every block uses: activation quantization, matmuls over packed weights, row norms, residual adds.
// Each runs on the model's thread pool over the T tokens of one forward pass.
#pragma once
#include "model.h"

namespace vmlx {

// Fills `a` (backed by the scratch buffers) from x[T][cols], in the model's activation mode or in `mode`.
Acts prepare_acts(Forward& f, const float* x, int cols);
Acts prepare_acts(Forward& f, const float* x, int cols, ActMode mode);

struct LinearOut {
  const OwnedWeight* w;
  float* y;  // [T][w->rows]
};
// Runs several matmuls over the same input in one parallel region (work split by 16-row tiles).
void linear(Forward& f, const Acts& a, const LinearOut* outs, int n);

// One matmul per output, each over its own input (the experts of one token): outs[i] reads acts[i]. One parallel region.
void linear_each(Forward& f, const Acts* acts, const LinearOut* outs, int n);

// Row r of a prepared input, as an input of one row (no copy).
Acts acts_row(const Acts& a, int r);

// out[t] = rmsnorm(in[t]) * w for each of the `rows` rows of length n.
void rmsnorm_rows(Forward& f, const float* in, const float* w, int n, float* out, int rows);

// x[i] += y[i] for the T rows of n.
void add_rows(Forward& f, float* x, const float* y, int n);

}  // namespace vmlx
