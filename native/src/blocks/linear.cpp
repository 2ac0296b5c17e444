#include "blocks/linear.h"

#include <algorithm>

namespace vmlx {

Acts prepare_acts(Forward& f, const float* x, int cols) { return prepare_acts(f, x, cols, f.spec.activations); }

Acts prepare_acts(Forward& f, const float* x, int cols, ActMode mode) {
  Scratch& s = f.s;
  Acts a{};
  a.T = f.T;
  a.cols = cols;
  a.x = x;
  a.mode = mode;
  if (a.mode == ActMode::Float) return a;
  // The int8 codes take the first half of the int16 buffer (same qStride per row).
  if (a.mode == ActMode::Int8) a.q8 = reinterpret_cast<int8_t*>(s.aq.data());
  else a.q = s.aq.data();
  a.qStride = (cols + 63) / 64 * 64;
  a.blocks = (cols + kActBlock - 1) / kActBlock;
  a.qscale = s.aScale.data();
  for (int l = 0; l < 3; l++) a.gsum[l] = s.aSum[l].data();
  f.pool.parallel_for(f.T, [&](int t0, int t1) {
    for (int t = t0; t < t1; t++) f.k.quantize_row(a, t);
  });
  return a;
}

namespace {

// The matmuls of `outs` in one parallel region, the work split by 16-row tiles across all of them; `acts_of(i)` is
// the input of output i (one shared input, or one per output). The threads claim runs of tiles (guided): equal static
// halves left one core waiting whenever the two streams from memory ran at different speeds. Each tile's result is
// the same whichever thread computes it.
template <class ActsOf>
void linear_tiles(Forward& f, ActsOf acts_of, const LinearOut* outs, int n) {
  int total = 0;
  for (int i = 0; i < n; i++) total += outs[i].w->w.tiles;
  constexpr int kMinRun = 4;
  f.pool.parallel_for_guided(total, kMinRun, [&](int b, int e) {
    int base = 0;
    for (int i = 0; i < n; i++) {
      const PackedWeight& w = outs[i].w->w;
      const int lo = std::max(b, base), hi = std::min(e, base + w.tiles);
      if (lo < hi) f.k.matmul(w, acts_of(i), outs[i].y, w.rows, lo - base, hi - base);
      base += w.tiles;
    }
  });
}

}  // namespace

void linear(Forward& f, const Acts& a, const LinearOut* outs, int n) {
  linear_tiles(f, [&](int) -> const Acts& { return a; }, outs, n);
}

void linear_each(Forward& f, const Acts* acts, const LinearOut* outs, int n) {
  linear_tiles(f, [&](int i) -> const Acts& { return acts[i]; }, outs, n);
}

Acts acts_row(const Acts& a, int r) {
  Acts o = a;
  o.T = 1;
  o.x = a.x + static_cast<size_t>(r) * a.cols;
  if (a.mode == ActMode::Float) return o;
  if (a.mode == ActMode::Int8) o.q8 = a.q8 + static_cast<size_t>(r) * a.qStride;
  else o.q = a.q + static_cast<size_t>(r) * a.qStride;
  o.qscale = a.qscale + static_cast<size_t>(r) * a.blocks;
  // gsum[l] holds cols / (32 << l) sums per row (for the group sizes that divide cols).
  for (int l = 0; l < 3; l++) o.gsum[l] = a.gsum[l] + static_cast<size_t>(r) * (a.cols / (32 << l));
  return o;
}

void rmsnorm_rows(Forward& f, const float* in, const float* w, int n, float* out, int rows) {
  const float eps = static_cast<float>(f.spec.rmsNormEps);
  f.pool.parallel_for(rows, [&](int r0, int r1) {
    for (int r = r0; r < r1; r++) f.k.rmsnorm(in + static_cast<size_t>(r) * n, w, eps, n, out + static_cast<size_t>(r) * n);
  });
}

void add_rows(Forward& f, float* x, const float* y, int n) {
  const size_t total = static_cast<size_t>(f.T) * n;
  for (size_t i = 0; i < total; i++) x[i] += y[i];
}

}  // namespace vmlx
