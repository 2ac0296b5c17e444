// Plain C++ reference kernels: float32 activations, float32 accumulation, no intrinsics; for int8 activations the
// exact integer sums the SIMD kernels compute. Every SIMD kernel is tested against these.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "half.h"
#include "kernels/kernels.h"

namespace vmlx {

namespace {

// Row t as codes of type Q with |code| <= kMax per kActBlock block (round to nearest even), zero padded to qStride.
template <class Q, int kMax>
void quantize_codes(const Acts& a, int t, Q* q) {
  const int cols = a.cols;
  const float* xr = a.x + static_cast<size_t>(t) * cols;
  for (int b = 0; b < a.blocks; b++) {
    const int k0 = b * kActBlock, k1 = std::min(cols, k0 + kActBlock);
    float mx = 0.f;
    for (int k = k0; k < k1; k++) mx = std::max(mx, std::fabs(xr[k]));
    const float d = mx / static_cast<float>(kMax);
    const float inv = d > 0.f ? 1.f / d : 0.f;
    for (int k = k0; k < k1; k++) q[k] = static_cast<Q>(std::max(-kMax, std::min(kMax, static_cast<int>(std::lrintf(xr[k] * inv)))));
    a.qscale[static_cast<size_t>(t) * a.blocks + b] = d;
  }
  for (int k = cols; k < a.qStride; k++) q[k] = 0;
}

}  // namespace

void quantize_row_portable(const Acts& a, int t) {
  const int cols = a.cols;
  int16_t* q = a.mode == ActMode::Int8 ? nullptr : a.q + static_cast<size_t>(t) * a.qStride;
  int8_t* q8 = a.mode == ActMode::Int8 ? a.q8 + static_cast<size_t>(t) * a.qStride : nullptr;
  if (q8) quantize_codes<int8_t, 127>(a, t, q8);
  else quantize_codes<int16_t, 32767>(a, t, q);
  // Group sums of the *quantized* activations: with w = s*q + b the kernels then compute exactly sum(w * xq*dx),
  // so the int16 rounding error is weighted by w, not by the much larger s*q (q is 0..15 or 0..255, never centred).
  for (int l = 0, gs = 32; l < 3; l++, gs *= 2) {
    if (cols % gs) continue;
    float* out = a.gsum[l] + static_cast<size_t>(t) * (cols / gs);
    for (int g = 0; g < cols / gs; g++) {
      float sum = 0.f;
      for (int b = g * gs / kActBlock; b < (g + 1) * gs / kActBlock; b++) {
        int32_t isum = 0;
        for (int k = b * kActBlock; k < (b + 1) * kActBlock; k++) isum += q8 ? q8[k] : q[k];
        sum += static_cast<float>(isum) * a.qscale[static_cast<size_t>(t) * a.blocks + b];
      }
      out[g] = sum;
    }
  }
}

namespace {

// Unpacks the codes of one tile and group into codes[16][gs] (see the layout in kernels.h).
void unpack_group(const PackedWeight& w, int tile, int g, float* codes) {
  const int gs = w.groupSize;
  const int per = w.kind == WeightKind::Q4 ? 4 : 2;  // elements per 32-byte chunk
  const uint8_t* code = w.codeTable ? w.codeTable : kIdentityCodes;  // Q4: what each nibble stands for
  const uint8_t* p = w.data + (static_cast<size_t>(tile) * w.groups + g) * static_cast<size_t>(gs / per) * 32;
  for (int c = 0; c < gs / per; c++, p += 32) {
    for (int i = 0; i < kTileRows; i++) {
      const uint8_t b0 = p[2 * i], b1 = p[2 * i + 1];
      float* row = codes + i * gs + c * per;
      if (per == 4) {
        row[0] = code[b0 & 15];
        row[1] = code[b1 & 15];
        row[2] = code[b0 >> 4];
        row[3] = code[b1 >> 4];
      } else {
        row[0] = b0;
        row[1] = b1;
      }
    }
  }
}

void matmul_quant(const PackedWeight& w, const Acts& a, float* y, int ldy, int tile0, int tile1) {
  const int gs = w.groupSize;
  float codes[kTileRows * 128];
  for (int tile = tile0; tile < tile1; tile++) {
    const int rows = w.rows - tile * kTileRows < kTileRows ? w.rows - tile * kTileRows : kTileRows;
    for (int t = 0; t < a.T; t++)
      for (int i = 0; i < rows; i++) y[static_cast<size_t>(t) * ldy + tile * kTileRows + i] = 0.f;
    for (int g = 0; g < w.groups; g++) {
      unpack_group(w, tile, g, codes);
      const size_t sb = (static_cast<size_t>(tile) * w.groups + g) * kTileRows;
      for (int t = 0; t < a.T; t++) {
        const float* x = a.x + static_cast<size_t>(t) * a.cols + g * gs;
        float xsum = 0.f;
        for (int k = 0; k < gs; k++) xsum += x[k];
        for (int i = 0; i < rows; i++) {
          float dot = 0.f;
          for (int k = 0; k < gs; k++) dot += codes[i * gs + k] * x[k];
          y[static_cast<size_t>(t) * ldy + tile * kTileRows + i] +=
              sb_value(w.scales, w.sbBf16, sb + i) * dot + bias_value(w, sb + i) * xsum;
        }
      }
    }
  }
}

// The integer reference of the int8-activation kernels: per row, group and activation block the exact integer
// sum(code * q8), scaled by the block's dx; then s * that + b * gsum per group (w = s * code + b).
void matmul_quant_int8(const PackedWeight& w, const Acts& a, float* y, int ldy, int tile0, int tile1) {
  const int gs = w.groupSize;
  const int level = gs == 32 ? 0 : (gs == 64 ? 1 : 2);
  const int gpr = a.cols / gs;
  float codes[kTileRows * 128];
  for (int tile = tile0; tile < tile1; tile++) {
    const int rows = w.rows - tile * kTileRows < kTileRows ? w.rows - tile * kTileRows : kTileRows;
    for (int t = 0; t < a.T; t++)
      for (int i = 0; i < rows; i++) y[static_cast<size_t>(t) * ldy + tile * kTileRows + i] = 0.f;
    for (int g = 0; g < w.groups; g++) {
      unpack_group(w, tile, g, codes);
      const size_t sb = (static_cast<size_t>(tile) * w.groups + g) * kTileRows;
      for (int t = 0; t < a.T; t++) {
        const int8_t* xq = a.q8 + static_cast<size_t>(t) * a.qStride + g * gs;
        const float* dx = a.qscale + static_cast<size_t>(t) * a.blocks + g * gs / kActBlock;
        for (int i = 0; i < rows; i++) {
          float dot = 0.f;
          for (int b = 0; b < gs / kActBlock; b++) {
            int32_t isum = 0;
            for (int k = b * kActBlock; k < (b + 1) * kActBlock; k++) isum += static_cast<int32_t>(codes[i * gs + k]) * xq[k];
            dot += static_cast<float>(isum) * dx[b];
          }
          y[static_cast<size_t>(t) * ldy + tile * kTileRows + i] +=
              sb_value(w.scales, w.sbBf16, sb + i) * dot +
              bias_value(w, sb + i) * a.gsum[level][static_cast<size_t>(t) * gpr + g];
        }
      }
    }
  }
}

float load_float(const PackedWeight& w, size_t idx) {
  switch (w.kind) {
    case WeightKind::F32: {
      float f;
      std::memcpy(&f, w.data + idx * 4, 4);
      return f;
    }
    case WeightKind::F16: {
      uint16_t h;
      std::memcpy(&h, w.data + idx * 2, 2);
      return vmlx_f16_to_f32(h);
    }
    default: {
      uint16_t h;
      std::memcpy(&h, w.data + idx * 2, 2);
      return vmlx_bf16_to_f32(h);
    }
  }
}

void matmul_float(const PackedWeight& w, const Acts& a, float* y, int ldy, int tile0, int tile1) {
  const int r1 = tile1 * kTileRows < w.rows ? tile1 * kTileRows : w.rows;
  for (int r = tile0 * kTileRows; r < r1; r++) {
    for (int t = 0; t < a.T; t++) {
      const float* x = a.x + static_cast<size_t>(t) * a.cols;
      float acc = 0.f;
      for (int k = 0; k < w.cols; k++) acc += load_float(w, static_cast<size_t>(r) * w.cols + k) * x[k];
      y[static_cast<size_t>(t) * ldy + r] = acc;
    }
  }
}

void matmul(const PackedWeight& w, const Acts& a, float* y, int ldy, int tile0, int tile1) {
  if ((w.kind == WeightKind::Q4 || w.kind == WeightKind::Q8) && a.mode == ActMode::Int8)
    matmul_quant_int8(w, a, y, ldy, tile0, tile1);
  else if (w.kind == WeightKind::Q4 || w.kind == WeightKind::Q8)
    matmul_quant(w, a, y, ldy, tile0, tile1);
  else
    matmul_float(w, a, y, ldy, tile0, tile1);
}

void silu_mul(float* g, const float* u, int n) {
  for (int i = 0; i < n; i++) g[i] = g[i] / (1.f + std::exp(-g[i])) * u[i];
}

void softcap(float* x, int n, float cap) {
  for (int i = 0; i < n; i++) x[i] = cap * std::tanh(x[i] / cap);
}

void gelu_tanh_mul(float* g, const float* u, int n) {
  constexpr float kSqrt2OverPi = 0.7978845608028654f;
  for (int i = 0; i < n; i++) {
    const float x = g[i];
    g[i] = 0.5f * x * (1.f + std::tanh(kSqrt2OverPi * (x + 0.044715f * x * x * x))) * u[i];
  }
}

// Scores [0, len) become softmax probabilities (soft-capped, with the sink in the denominator); returns 1 / sum.
float softmax_scores(float* scores, int len, float softcap, float sink) {
  if (softcap > 0.f)
    for (int j = 0; j < len; j++) scores[j] = softcap * std::tanh(scores[j] / softcap);
  float mx = sink;
  for (int j = 0; j < len; j++) mx = std::max(mx, scores[j]);
  float sum = std::exp(sink - mx);  // 0 without a sink
  for (int j = 0; j < len; j++) {
    scores[j] = std::exp(scores[j] - mx);
    sum += scores[j];
  }
  return 1.f / sum;
}

void rmsnorm(const float* x, const float* w, float eps, int n, float* out) {
  float ss = 0.f;
  for (int i = 0; i < n; i++) ss += x[i] * x[i];
  const float inv = 1.f / std::sqrt(ss / n + eps);
  for (int i = 0; i < n; i++) out[i] = x[i] * inv * w[i];
}

// One query row at a time, over its window [starts[r], lens[r]).
void attend_rows_portable(const AttendRows& a) {
  for (int r = 0; r < a.rows; r++) {
    const int st = a.starts[r], len = a.lens[r] - st;
    float* scores = a.scores;
    for (int j = 0; j < len; j++) {
      const uint16_t* kj = attend_key(a, st + j);
      float dot = 0.f;
      for (int d = 0; d < a.dim; d++) dot += a.q[r][d] * vmlx_f16_to_f32(kj[d]);
      scores[j] = dot * a.scale;
    }
    const float inv = softmax_scores(scores, len, a.softcap, a.sink[r] ? *a.sink[r] : -INFINITY);
    float* out = a.out[r];
    for (int d = 0; d < a.dim; d++) out[d] = 0.f;
    for (int j = 0; j < len; j++) {
      const uint16_t* vj = attend_value(a, st + j);
      const float p = scores[j] * inv;
      for (int d = 0; d < a.dim; d++) out[d] += p * vmlx_f16_to_f32(vj[d]);
    }
  }
}

double exp_scaled(const float* x, int n, float shift, float scale, float* out) {
  double total = 0;
  for (int i = 0; i < n; i++) {
    out[i] = x[i] == -INFINITY ? 0.f : std::exp((x[i] - shift) * scale);
    total += out[i];
  }
  return total;
}

void to_f16(const float* x, uint16_t* out, int n) {
  for (int i = 0; i < n; i++) out[i] = vmlx_f32_to_f16(x[i]);
}

uint64_t read_bytes(const uint8_t* p, size_t n) {
  uint64_t acc = 0;
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t v;
    std::memcpy(&v, p + i, 8);
    acc += v;
  }
  return acc;
}

// The scalar matmul works in float: 12 chains of float multiply-adds.
uint64_t dot_peak(uint64_t rounds, ActMode) {
  float a[12] = {};
  for (uint64_t i = 0; i < rounds; i++) {
    for (float& v : a) v = v * 0.999f + 1.f;
    asm volatile("" : : "r"(a) : "memory");
  }
  return rounds * 12;
}

void rmsnorm_gated(const float* x, const float* w, const float* z, float eps, int n, float* out) {
  float ss = 0.f;
  for (int i = 0; i < n; i++) ss += x[i] * x[i];
  const float inv = 1.f / std::sqrt(ss / n + eps);
  for (int i = 0; i < n; i++) out[i] = x[i] * inv * w[i] * (z[i] / (1.f + std::exp(-z[i])));
}

void l2_normalize(float* x, int n, float eps, float scale) {
  double ss = 0;
  for (int i = 0; i < n; i++) ss += static_cast<double>(x[i]) * x[i];
  const float f = static_cast<float>(scale / std::sqrt(ss + eps));
  for (int i = 0; i < n; i++) x[i] *= f;
}

void conv_silu(const ConvSpan& s) {
  const int past = s.K - 1;
  for (int t = 0; t < s.T; t++)
    for (int c = s.c0; c < s.c1; c++) {
      float acc = 0.f;
      for (int j = 0; j < s.K; j++) {
        const int i = t + j - past;
        const float in = i < 0 ? s.hist[static_cast<size_t>(past + i) * s.C + c] : s.x[static_cast<size_t>(i) * s.xStride + c];
        acc += s.w[static_cast<size_t>(j) * s.C + c] * in;
      }
      s.out[static_cast<size_t>(t) * s.outStride + c] = acc / (1.f + std::exp(-acc));
    }
}

// The recurrence as written: decay, then the delta update with the decayed state, then the read-out.
void delta_rule(const DeltaRuleSpan& s) {
  for (int t = 0; t < s.T; t++) {
    const float* q = s.q + static_cast<size_t>(t) * s.qkStride;
    const float* k = s.k + static_cast<size_t>(t) * s.qkStride;
    const float* v = s.v + static_cast<size_t>(t) * s.vStride;
    const float g = s.g[static_cast<size_t>(t) * s.gateStride], beta = s.beta[static_cast<size_t>(t) * s.gateStride];
    float* o = s.o + static_cast<size_t>(t) * s.oStride;
    for (int i = 0; i < s.dv; i++) {
      float* row = s.S + static_cast<size_t>(i) * s.dk;
      float kv = 0.f;
      for (int j = 0; j < s.dk; j++) {
        row[j] *= g;
        kv += row[j] * k[j];
      }
      const float d = (v[i] - kv) * beta;
      float acc = 0.f;
      for (int j = 0; j < s.dk; j++) {
        row[j] += d * k[j];
        acc += row[j] * q[j];
      }
      o[i] = acc;
    }
  }
}

const KernelSet kScalar = {"scalar", quantize_row_portable, matmul, read_bytes, dot_peak, rmsnorm, attend_rows_portable, silu_mul,
                           gelu_tanh_mul, softcap, to_f16, rmsnorm_gated, l2_normalize, conv_silu, delta_rule,
                           exp_scaled};
const KernelSet kGeneric = {"generic", quantize_row_portable, matmul, read_bytes, dot_peak, VMLX_ELEMENTWISE_ENTRIES(vec_scalar)};

}  // namespace

const KernelSet& kernels_scalar() { return kScalar; }
const KernelSet& kernels_generic() { return kGeneric; }

}  // namespace vmlx
