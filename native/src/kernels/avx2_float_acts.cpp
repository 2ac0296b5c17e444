// The precise quantized matmul for AVX2 + FMA (compiled with -mavx2 -mfma; only called after a CPU check): the
// activations stay float32 and each weight group is dequantized in registers, w = s * code + b, then multiplied with
// float FMAs. Slower than the integer paths, but its only rounding is float32's, like a matmul over the exactly
// dequantized float weights.
//
// A 32-byte chunk of a tile (kernels.h) holds, per row i, two adjacent elements in bytes 2i and 2i+1 (Q8), or in the
// low and the high nibbles of those bytes (Q4). Widening 8 bytes gives 8 lanes = 4 rows x 2 adjacent elements, so
// the accumulators keep that pair layout ([row0 even, row0 odd, row1 even, ...]) against the activation pair
// broadcast as [x0, x1, x0, x1, ...], and the two lanes of a row are added at the end.
#include <immintrin.h>

#include <cstring>

#include "kernels/kernels.h"

namespace vmlx {
namespace {

// Values 4q .. 4q+3 of [tiles][groups][16] (scales or biases) each repeated twice: the pair layout of 4 rows.
inline __m256 load_pairs(const void* base, bool bf16, size_t i) {
  __m128 v;
  if (bf16) {
    const __m128i h = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(base) + i));
    v = _mm_castsi128_ps(_mm_slli_epi32(_mm_cvtepu16_epi32(h), 16));
  } else {
    v = _mm_loadu_ps(static_cast<const float*>(base) + i);
  }
  return _mm256_permutevar8x32_ps(_mm256_castps128_ps256(v), _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3));
}

// Two adjacent activations broadcast as [x0, x1] x 4.
inline __m256 load_xpair(const float* x) {
  double d;
  std::memcpy(&d, x, 8);
  return _mm256_castpd_ps(_mm256_set1_pd(d));
}

inline __m256 codes8(const uint8_t* p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}

// One tile (16 rows) x NT tokens starting at t0.
template <int NT, bool Q4, bool Table>
void tile_float_acts(const PackedWeight& w, const Acts& a, int t0, float* y, int ldy, int tile) {
  const int gs = w.groupSize;
  const int chunks = Q4 ? gs / 4 : gs / 2;
  const uint8_t* p = w.data + static_cast<size_t>(tile) * w.groups * chunks * 32;
  const size_t SB = static_cast<size_t>(tile) * w.groups * kTileRows;
  const __m256i nib = _mm256_set1_epi32(0x0f), lowByte = _mm256_set1_epi32(0xff);
  // A code table (quant.h) maps each nibble, zero-extended to 32 bits, by one byte shuffle (masked: the lane's zero
  // upper bytes would pick entry 0).
  const __m256i table = Table ? _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w.codeTable)))
                              : _mm256_setzero_si256();
  __m256 acc[NT][4];
  const float* x[NT];
  for (int t = 0; t < NT; t++) {
    for (int q = 0; q < 4; q++) acc[t][q] = _mm256_setzero_ps();
    x[t] = a.x + static_cast<size_t>(t0 + t) * a.cols;
  }
  for (int g = 0; g < w.groups; g++) {
    __m256 s[4], b[4];
    for (int q = 0; q < 4; q++) {
      s[q] = load_pairs(w.scales, w.sbBf16, SB + g * kTileRows + 4 * q);
      b[q] = Table ? _mm256_mul_ps(s[q], _mm256_set1_ps(-static_cast<float>(w.codeZero)))
                   : load_pairs(w.biases, w.sbBf16, SB + g * kTileRows + 4 * q);
    }
    const int k0 = g * gs;
    for (int c = 0; c < chunks; c++, p += 32) {
      for (int q = 0; q < 4; q++) {
        if (Q4) {
          const __m256i raw = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + 8 * q)));
          __m256i clo = _mm256_and_si256(raw, nib), chi = _mm256_srli_epi32(raw, 4);
          if (Table) {
            clo = _mm256_and_si256(_mm256_shuffle_epi8(table, clo), lowByte);
            chi = _mm256_and_si256(_mm256_shuffle_epi8(table, chi), lowByte);
          }
          const __m256 lo = _mm256_fmadd_ps(_mm256_cvtepi32_ps(clo), s[q], b[q]);
          const __m256 hi = _mm256_fmadd_ps(_mm256_cvtepi32_ps(chi), s[q], b[q]);
          for (int t = 0; t < NT; t++) {
            acc[t][q] = _mm256_fmadd_ps(lo, load_xpair(x[t] + k0 + 4 * c), acc[t][q]);
            acc[t][q] = _mm256_fmadd_ps(hi, load_xpair(x[t] + k0 + 4 * c + 2), acc[t][q]);
          }
        } else {
          const __m256 wv = _mm256_fmadd_ps(codes8(p + 8 * q), s[q], b[q]);
          for (int t = 0; t < NT; t++) acc[t][q] = _mm256_fmadd_ps(wv, load_xpair(x[t] + k0 + 2 * c), acc[t][q]);
        }
      }
    }
  }
  const int rows = w.rows - tile * kTileRows < kTileRows ? w.rows - tile * kTileRows : kTileRows;
  for (int t = 0; t < NT; t++) {
    // Add the two lanes of each row: [r0e r0o r1e r1o | r2e r2o r3e r3o] -> rows 0..3 (hadd works per 128-bit half).
    const __m256 h01 = _mm256_hadd_ps(acc[t][0], acc[t][1]);  // r0 r1 r4 r5 | r2 r3 r6 r7
    const __m256 h23 = _mm256_hadd_ps(acc[t][2], acc[t][3]);  // r8 r9 r12 r13 | r10 r11 r14 r15
    const __m256i order = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7);
    float tmp[16];
    _mm256_storeu_ps(tmp, _mm256_permutevar8x32_ps(h01, order));
    _mm256_storeu_ps(tmp + 8, _mm256_permutevar8x32_ps(h23, order));
    float* dst = y + static_cast<size_t>(t0 + t) * ldy + tile * kTileRows;
    for (int i = 0; i < rows; i++) dst[i] = tmp[i];
  }
}

template <bool Q4, bool Table = false>
void matmul_float_acts(const PackedWeight& w, const Acts& a, float* y, int ldy, int tile0, int tile1) {
  for (int t0 = 0; t0 < a.T; t0 += 2) {
    for (int tile = tile0; tile < tile1; tile++) {
      if (a.T - t0 >= 2) tile_float_acts<2, Q4, Table>(w, a, t0, y, ldy, tile);
      else tile_float_acts<1, Q4, Table>(w, a, t0, y, ldy, tile);
    }
  }
}

}  // namespace

void matmul_quant_float_acts_avx2(const PackedWeight& w, const Acts& a, float* y, int ldy, int tile0, int tile1) {
  if (w.kind == WeightKind::Q4 && w.codeTable) matmul_float_acts<true, true>(w, a, y, ldy, tile0, tile1);
  else if (w.kind == WeightKind::Q4) matmul_float_acts<true>(w, a, y, ldy, tile0, tile1);
  else matmul_float_acts<false>(w, a, y, ldy, tile0, tile1);
}

}  // namespace vmlx
