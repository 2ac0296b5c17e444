// AVX2 + FMA + F16C kernels (compiled with -mavx2 -mfma -mf16c; only called after a CPU check in dispatch.cpp).
// Same algorithm as the AVX-512 set, 8 rows per ymm: pmaddwd over int16 activations and zero-extended codes.
#include <immintrin.h>

#include <cmath>
#include <cstring>

#include "half.h"
#include "kernels/kernels.h"

namespace vmlx {
namespace {

inline int32_t load_pair(const int16_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// 8 scales or biases starting at index i, widened to float32 when stored as bfloat16.
inline __m256 load_sb(const void* base, bool bf16, size_t i) {
  if (!bf16) return _mm256_loadu_ps(static_cast<const float*>(base) + i);
  const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(base) + i));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

// Q4 with a code table (quant.h): each nibble, zero-extended to a 16-bit word, goes through the table (one byte
// shuffle; the word's zero high byte would pick entry 0, hence the mask).
inline __m256i table_words(__m256i words, __m256i table, __m256i lowByte) {
  return _mm256_and_si256(_mm256_shuffle_epi8(table, words), lowByte);
}

template <int NT, bool Q4, bool Table = false>
void tile_quant(const PackedWeight& w, const Acts& a, int t0, float* y, int ldy, int tile) {
  const int gs = w.groupSize;
  const int chunks = Q4 ? gs / 4 : gs / 2;
  const int level = gs == 32 ? 0 : (gs == 64 ? 1 : 2);
  const int gpr = a.cols / gs;
  const uint8_t* p = w.data + static_cast<size_t>(tile) * w.groups * chunks * 32;
  const size_t SB = static_cast<size_t>(tile) * w.groups * kTileRows;
  const __m256i nib = _mm256_set1_epi16(0x0f), lowByte = _mm256_set1_epi16(0xff);
  const __m256i table = Table ? _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w.codeTable)))
                              : _mm256_setzero_si256();
  __m256 facc[NT][2];
  const int16_t* xq[NT];
  for (int t = 0; t < NT; t++) {
    facc[t][0] = facc[t][1] = _mm256_setzero_ps();
    xq[t] = a.q + static_cast<size_t>(t0 + t) * a.qStride;
  }
  constexpr int kSubChunks = Q4 ? kActBlock / 4 : kActBlock / 2;
  for (int g = 0; g < w.groups; g++) {
    __m256 gacc[NT][2];
    for (int t = 0; t < NT; t++) gacc[t][0] = gacc[t][1] = _mm256_setzero_ps();
    const int k0 = g * gs;
    for (int sb = 0; sb < gs / kActBlock; sb++) {
      __m256i acc[NT][2];
      for (int t = 0; t < NT; t++) acc[t][0] = acc[t][1] = _mm256_setzero_si256();
      const int kb = k0 + sb * kActBlock;
      for (int c = 0; c < kSubChunks; c++, p += 32) {
        for (int h = 0; h < 2; h++) {
          const __m256i wv = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * h)));
          if (Q4) {
            __m256i lo = _mm256_and_si256(wv, nib);
            __m256i hi = _mm256_srli_epi16(wv, 4);
            if (Table) {
              lo = table_words(lo, table, lowByte);
              hi = table_words(hi, table, lowByte);
            }
            for (int t = 0; t < NT; t++) {
              const int16_t* x = xq[t] + kb + c * 4;
              acc[t][h] = _mm256_add_epi32(acc[t][h], _mm256_madd_epi16(lo, _mm256_set1_epi32(load_pair(x))));
              acc[t][h] = _mm256_add_epi32(acc[t][h], _mm256_madd_epi16(hi, _mm256_set1_epi32(load_pair(x + 2))));
            }
          } else {
            for (int t = 0; t < NT; t++) {
              const int16_t* x = xq[t] + kb + c * 2;
              acc[t][h] = _mm256_add_epi32(acc[t][h], _mm256_madd_epi16(wv, _mm256_set1_epi32(load_pair(x))));
            }
          }
        }
      }
      const int blk = kb / kActBlock;
      for (int t = 0; t < NT; t++) {
        const __m256 dx = _mm256_set1_ps(a.qscale[static_cast<size_t>(t0 + t) * a.blocks + blk]);
        for (int h = 0; h < 2; h++) gacc[t][h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[t][h]), dx, gacc[t][h]);
      }
    }
    for (int h = 0; h < 2; h++) {
      const __m256 sv = load_sb(w.scales, w.sbBf16, SB + g * kTileRows + 8 * h);
      const __m256 bv = Table ? _mm256_mul_ps(sv, _mm256_set1_ps(-static_cast<float>(w.codeZero)))
                              : load_sb(w.biases, w.sbBf16, SB + g * kTileRows + 8 * h);
      for (int t = 0; t < NT; t++) {
        const float xs = a.gsum[level][static_cast<size_t>(t0 + t) * gpr + g];
        facc[t][h] = _mm256_fmadd_ps(gacc[t][h], sv, facc[t][h]);
        facc[t][h] = _mm256_fmadd_ps(bv, _mm256_set1_ps(xs), facc[t][h]);
      }
    }
  }
  const int rows = w.rows - tile * kTileRows < kTileRows ? w.rows - tile * kTileRows : kTileRows;
  for (int t = 0; t < NT; t++) {
    float tmp[16];
    _mm256_storeu_ps(tmp, facc[t][0]);
    _mm256_storeu_ps(tmp + 8, facc[t][1]);
    float* dst = y + static_cast<size_t>(t0 + t) * ldy + tile * kTileRows;
    for (int i = 0; i < rows; i++) dst[i] = tmp[i];
  }
}

template <bool Q4, bool Table = false>
void matmul_quant(const PackedWeight& w, const Acts& a, float* y, int ldy, int tile0, int tile1) {
  for_tile_batches<3>(a.T, tile0, tile1, [&](int t0, int nt, int tile) {
    with_token_count<3>(nt, [&](auto n) { tile_quant<decltype(n)::value, Q4, Table>(w, a, t0, y, ldy, tile); });
  });
}

template <WeightKind K>
inline __m256 load8(const uint8_t* base, size_t idx) {
  if (K == WeightKind::F32) return _mm256_loadu_ps(reinterpret_cast<const float*>(base + idx * 4));
  const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(base + idx * 2));
  if (K == WeightKind::F16) return _mm256_cvtph_ps(h);
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

template <WeightKind K>
inline float load1(const uint8_t* base, size_t idx) {
  if (K == WeightKind::F32) {
    float f;
    std::memcpy(&f, base + idx * 4, 4);
    return f;
  }
  uint16_t h;
  std::memcpy(&h, base + idx * 2, 2);
  return K == WeightKind::F16 ? vmlx_f16_to_f32(h) : vmlx_bf16_to_f32(h);
}

template <WeightKind K>
void matmul_float_k(const PackedWeight& w, const Acts& a, float* y, int ldy, int tile0, int tile1) {
  const int r1 = tile1 * kTileRows < w.rows ? tile1 * kTileRows : w.rows;
  const int main = w.cols & ~7;
  for (int r = tile0 * kTileRows; r < r1; r++) {
    const size_t base = static_cast<size_t>(r) * w.cols;
    for (int t = 0; t < a.T; t++) {
      const float* x = a.x + static_cast<size_t>(t) * a.cols;
      __m256 acc = _mm256_setzero_ps();
      for (int k = 0; k < main; k += 8) acc = _mm256_fmadd_ps(load8<K>(w.data, base + k), _mm256_loadu_ps(x + k), acc);
      float s = hsum(acc);
      for (int k = main; k < w.cols; k++) s += load1<K>(w.data, base + k) * x[k];
      y[static_cast<size_t>(t) * ldy + r] = s;
    }
  }
}

void matmul(const PackedWeight& w, const Acts& a, float* y, int ldy, int tile0, int tile1) {
  switch (w.kind) {
    case WeightKind::Q4:
      if (a.mode == ActMode::Float) matmul_quant_float_acts_avx2(w, a, y, ldy, tile0, tile1);
      else if (a.mode == ActMode::Int8) matmul_quant_int8_avx2(w, a, y, ldy, tile0, tile1);
      else if (w.codeTable) matmul_quant<true, true>(w, a, y, ldy, tile0, tile1);
      else matmul_quant<true>(w, a, y, ldy, tile0, tile1);
      break;
    case WeightKind::Q8:
      if (a.mode == ActMode::Float) matmul_quant_float_acts_avx2(w, a, y, ldy, tile0, tile1);
      else if (a.mode == ActMode::Int8) matmul_quant_int8_avx2(w, a, y, ldy, tile0, tile1);
      else matmul_quant<false>(w, a, y, ldy, tile0, tile1);
      break;
    case WeightKind::F32: matmul_float_k<WeightKind::F32>(w, a, y, ldy, tile0, tile1); break;
    case WeightKind::F16: matmul_float_k<WeightKind::F16>(w, a, y, ldy, tile0, tile1); break;
    case WeightKind::BF16: matmul_float_k<WeightKind::BF16>(w, a, y, ldy, tile0, tile1); break;
  }
}

uint64_t read_bytes(const uint8_t* p, size_t n) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    a0 = _mm256_add_epi64(a0, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i)));
    a1 = _mm256_add_epi64(a1, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 32)));
  }
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), _mm256_add_epi64(a0, a1));
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

// 12 chains of the matmul's multiply-add and its accumulating add, as asm so the compiler can neither hoist nor merge
// the multiplies: vpmaddwd + vpaddd (16 int16 multiply-adds) for int16 activations, vpmaddubsw + vpaddw (32 u8 x s8
// ones into int16 pairs) for int8.
#define VMLX_MADD(mul, add, i, t) mul " %12, %13, %%ymm" #t "\n\t" add " %%ymm" #t ", %" #i ", %" #i "\n\t"
#define VMLX_MADD12(mul, add)                                                                                        \
  VMLX_MADD(mul, add, 0, 14) VMLX_MADD(mul, add, 1, 15) VMLX_MADD(mul, add, 2, 14) VMLX_MADD(mul, add, 3, 15)       \
  VMLX_MADD(mul, add, 4, 14) VMLX_MADD(mul, add, 5, 15) VMLX_MADD(mul, add, 6, 14) VMLX_MADD(mul, add, 7, 15)       \
  VMLX_MADD(mul, add, 8, 14) VMLX_MADD(mul, add, 9, 15) VMLX_MADD(mul, add, 10, 14) VMLX_MADD(mul, add, 11, 15)
#define VMLX_PEAK_LOOP(mul, add)                                                                                      \
  for (uint64_t i = 0; i < rounds; i++)                                                                               \
    asm volatile(VMLX_MADD12(mul, add)                                                                                \
                 : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3), "+x"(a4), "+x"(a5), "+x"(a6), "+x"(a7), "+x"(a8), "+x"(a9), \
                   "+x"(a10), "+x"(a11)                                                                               \
                 : "x"(w), "x"(x)                                                                                     \
                 : "xmm14", "xmm15")
uint64_t dot_peak(uint64_t rounds, ActMode mode) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0,
          a10 = a0, a11 = a0;
  const __m256i w = _mm256_set1_epi8(3), x = _mm256_set1_epi8(5);
  if (mode == ActMode::Int8) {
    VMLX_PEAK_LOOP("vpmaddubsw", "vpaddw");
    return rounds * 12 * 32;
  }
  VMLX_PEAK_LOOP("vpmaddwd", "vpaddd");
  return rounds * 12 * 16;
}
#undef VMLX_PEAK_LOOP
#undef VMLX_MADD12
#undef VMLX_MADD

// The portable quantizer's arithmetic, 8 lanes at a time: the same max, scale, product and round-to-nearest-even
// (vcvtps2dq), so the codes, scales and group sums are bit-identical to quantize_row_portable's.
void quantize_row(const Acts& a, int t) {
  constexpr int kMaxBlocks = 2048;
  const int cols = a.cols;
  if (cols % kActBlock || a.blocks > kMaxBlocks) {
    quantize_row_portable(a, t);
    return;
  }
  const bool i8 = a.mode == ActMode::Int8;
  const float* xr = a.x + static_cast<size_t>(t) * cols;
  int16_t* q = i8 ? nullptr : a.q + static_cast<size_t>(t) * a.qStride;
  int8_t* q8 = i8 ? a.q8 + static_cast<size_t>(t) * a.qStride : nullptr;
  float* qs = a.qscale + static_cast<size_t>(t) * a.blocks;
  int32_t isum[kMaxBlocks];
  const __m256 signBit = _mm256_set1_ps(-0.f);
  for (int b = 0; b < a.blocks; b++) {
    const float* x = xr + b * kActBlock;
    __m256 v[4], m = _mm256_setzero_ps();
    for (int j = 0; j < 4; j++) {
      v[j] = _mm256_loadu_ps(x + 8 * j);
      m = _mm256_max_ps(m, _mm256_andnot_ps(signBit, v[j]));
    }
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const float d = _mm_cvtss_f32(m4) / (i8 ? 127.f : 32767.f);
    const __m256 inv = _mm256_set1_ps(d > 0.f ? 1.f / d : 0.f);
    __m256i c[4];
    for (int j = 0; j < 4; j++) c[j] = _mm256_cvtps_epi32(_mm256_mul_ps(v[j], inv));
    const __m256i s = _mm256_add_epi32(_mm256_add_epi32(c[0], c[1]), _mm256_add_epi32(c[2], c[3]));
    __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4e));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xb1));
    isum[b] = _mm_cvtsi128_si32(s4);
    qs[b] = d;
    const __m256i p01 = _mm256_packs_epi32(c[0], c[1]), p23 = _mm256_packs_epi32(c[2], c[3]);
    if (i8) {
      // packs interleave per 128-bit half: 4-byte groups come out as c0[0..3] c1[0..3] c2[0..3] c3[0..3] c0[4..7] ...
      const __m256i p = _mm256_packs_epi16(p01, p23);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(q8 + b * kActBlock),
                          _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
    } else {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + b * kActBlock), _mm256_permute4x64_epi64(p01, 0xd8));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + b * kActBlock + 16), _mm256_permute4x64_epi64(p23, 0xd8));
    }
  }
  for (int k = cols; k < a.qStride; k++) {
    if (i8) q8[k] = 0;
    else q[k] = 0;
  }
  for (int l = 0, gs = 32; l < 3; l++, gs *= 2) {
    if (cols % gs) continue;
    float* out = a.gsum[l] + static_cast<size_t>(t) * (cols / gs);
    for (int g = 0; g < cols / gs; g++) {
      float sum = 0.f;
      for (int b = g * gs / kActBlock; b < (g + 1) * gs / kActBlock; b++) sum += static_cast<float>(isum[b]) * qs[b];
      out[g] = sum;
    }
  }
}

const KernelSet kAvx2 = {"avx2", quantize_row, matmul, read_bytes, dot_peak, VMLX_ELEMENTWISE_ENTRIES(vec_avx2)};

}  // namespace

const KernelSet& kernels_avx2_table() { return kAvx2; }

}  // namespace vmlx
