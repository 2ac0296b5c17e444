// The int8-activation quantized matmul for AVX2 (compiled with -mavx2 -mfma; only called after a CPU check):
// vpmaddubsw multiplies unsigned weight codes by signed int8 activations, pairs summed into int16.
//
// The dot products want, per 32-bit lane, four consecutive elements of one row. The tile layout (kernels.h) gives two
// per row in each 16-bit word: for Q4 the low nibbles of chunk c hold elements (4c, 4c+1) and the high nibbles
// (4c+2, 4c+3); for Q8 chunk c holds (2c, 2c+1) and chunk c+1 holds (2c+2, 2c+3). Interleaving the two words
// (vpunpcklwd / vpunpckhwd) makes the lanes rows 0-3 and 8-11 (low) and rows 4-7 and 12-15 (high), matched by one
// broadcast of four activation bytes.
//  * Q4: codes < 16 and |x| <= 127, so a pair sum is at most 3810 and the eight chunks of a 32-element block add up
//    in int16 without saturating; one vpmaddwd by ones per block widens them. With a code table (MX FP4: codes up to
//    24, a pair sum up to 6096) only four chunks fit, so each half block is widened on its own.
//  * Q8: codes < 256 would saturate vpmaddubsw, so the codes are offset to c - 128 (signed), multiplied through the
//    usual sign trick (|c - 128| x sign(x, c - 128)), and the offset returns as 128 * s added to the group's bias:
//    s * c + b = s * (c - 128) + (b + 128 s).
#include <immintrin.h>

#include <cstring>

#include "kernels/kernels.h"

namespace vmlx {
namespace {

inline __m256i bcast4(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

inline __m256 load_sb8(const void* base, bool bf16, size_t i) {
  if (!bf16) return _mm256_loadu_ps(static_cast<const float*>(base) + i);
  const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(base) + i));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

// 16 scales or biases in the lane order of the accumulators: [0] rows 0-3, 8-11; [1] rows 4-7, 12-15.
inline void load_sb_lanes(const void* base, bool bf16, size_t i, __m256 out[2]) {
  const __m256 lo = load_sb8(base, bf16, i), hi = load_sb8(base, bf16, i + 8);
  out[0] = _mm256_permute2f128_ps(lo, hi, 0x20);
  out[1] = _mm256_permute2f128_ps(lo, hi, 0x31);
}

template <int NT, bool Q4, bool Table>
void tile_int8(const PackedWeight& w, const Acts& a, int t0, float* y, int ldy, int tile) {
  const int gs = w.groupSize;
  const int chunks = Q4 ? gs / 4 : gs / 2;
  const int level = gs == 32 ? 0 : (gs == 64 ? 1 : 2);
  const int gpr = a.cols / gs;
  const uint8_t* p = w.data + static_cast<size_t>(tile) * w.groups * chunks * 32;
  const size_t SB = static_cast<size_t>(tile) * w.groups * kTileRows;
  const __m256i nib = _mm256_set1_epi8(0x0f), ones = _mm256_set1_epi16(1);
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
  const __m256i table = Table ? _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w.codeTable)))
                              : _mm256_setzero_si256();
  __m256 facc[NT][2];
  const int8_t* xq[NT];
  const float* dx[NT];
  for (int t = 0; t < NT; t++) {
    facc[t][0] = facc[t][1] = _mm256_setzero_ps();
    xq[t] = a.q8 + static_cast<size_t>(t0 + t) * a.qStride;
    dx[t] = a.qscale + static_cast<size_t>(t0 + t) * a.blocks;
  }
  for (int g = 0; g < w.groups; g++) {
    __m256 gacc[NT][2];
    for (int t = 0; t < NT; t++) gacc[t][0] = gacc[t][1] = _mm256_setzero_ps();
    for (int kb = g * gs; kb < (g + 1) * gs; kb += kActBlock) {
      __m256i acc[NT][2];
      for (int t = 0; t < NT; t++) acc[t][0] = acc[t][1] = _mm256_setzero_si256();
      if (Q4) {
        // Chunks summed in int16 before widening: all eight of the block, or four with a code table.
        constexpr int kRun = Table ? kActBlock / 8 : kActBlock / 4;
        static_assert((kMaxTableCode - 1) * 127 * 2 * (kActBlock / 8) <= 32767, "table codes overflow the int16 sums");
        for (int c0 = 0; c0 < kActBlock / 4; c0 += kRun) {
          __m256i sum[NT][2];
          for (int t = 0; t < NT; t++) sum[t][0] = sum[t][1] = _mm256_setzero_si256();
          for (int c = c0; c < c0 + kRun; c++, p += 32) {
            const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
            __m256i lo = _mm256_and_si256(v, nib), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nib);
            if (Table) {
              lo = _mm256_shuffle_epi8(table, lo);
              hi = _mm256_shuffle_epi8(table, hi);
            }
            const __m256i u0 = _mm256_unpacklo_epi16(lo, hi), u1 = _mm256_unpackhi_epi16(lo, hi);
            for (int t = 0; t < NT; t++) {
              const __m256i xb = bcast4(xq[t] + kb + 4 * c);
              sum[t][0] = _mm256_add_epi16(sum[t][0], _mm256_maddubs_epi16(u0, xb));
              sum[t][1] = _mm256_add_epi16(sum[t][1], _mm256_maddubs_epi16(u1, xb));
            }
          }
          for (int t = 0; t < NT; t++)
            for (int j = 0; j < 2; j++) acc[t][j] = _mm256_add_epi32(acc[t][j], _mm256_madd_epi16(sum[t][j], ones));
        }
      } else {
        for (int c = 0; c < kActBlock / 2; c += 2, p += 64) {
          const __m256i A = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)), flip);
          const __m256i B = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32)), flip);
          const __m256i w0 = _mm256_unpacklo_epi16(A, B), w1 = _mm256_unpackhi_epi16(A, B);
          const __m256i m0 = _mm256_abs_epi8(w0), m1 = _mm256_abs_epi8(w1);
          for (int t = 0; t < NT; t++) {
            const __m256i xb = bcast4(xq[t] + kb + 2 * c);
            acc[t][0] = _mm256_add_epi32(acc[t][0], _mm256_madd_epi16(_mm256_maddubs_epi16(m0, _mm256_sign_epi8(xb, w0)), ones));
            acc[t][1] = _mm256_add_epi32(acc[t][1], _mm256_madd_epi16(_mm256_maddubs_epi16(m1, _mm256_sign_epi8(xb, w1)), ones));
          }
        }
      }
      for (int t = 0; t < NT; t++) {
        const __m256 d = _mm256_set1_ps(dx[t][kb / kActBlock]);
        for (int j = 0; j < 2; j++) gacc[t][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[t][j]), d, gacc[t][j]);
      }
    }
    __m256 s[2], b[2];
    load_sb_lanes(w.scales, w.sbBf16, SB + g * kTileRows, s);
    if (Table)
      for (int j = 0; j < 2; j++) b[j] = _mm256_mul_ps(s[j], _mm256_set1_ps(-static_cast<float>(w.codeZero)));
    else
      load_sb_lanes(w.biases, w.sbBf16, SB + g * kTileRows, b);
    if (!Q4)
      for (int j = 0; j < 2; j++) b[j] = _mm256_fmadd_ps(s[j], _mm256_set1_ps(128.f), b[j]);
    for (int t = 0; t < NT; t++) {
      const __m256 xs = _mm256_set1_ps(a.gsum[level][static_cast<size_t>(t0 + t) * gpr + g]);
      for (int j = 0; j < 2; j++) {
        facc[t][j] = _mm256_fmadd_ps(gacc[t][j], s[j], facc[t][j]);
        facc[t][j] = _mm256_fmadd_ps(b[j], xs, facc[t][j]);
      }
    }
  }
  const int rows = w.rows - tile * kTileRows < kTileRows ? w.rows - tile * kTileRows : kTileRows;
  for (int t = 0; t < NT; t++) {
    float tmp[16];
    _mm256_storeu_ps(tmp, _mm256_permute2f128_ps(facc[t][0], facc[t][1], 0x20));      // rows 0-7
    _mm256_storeu_ps(tmp + 8, _mm256_permute2f128_ps(facc[t][0], facc[t][1], 0x31));  // rows 8-15
    float* dst = y + static_cast<size_t>(t0 + t) * ldy + tile * kTileRows;
    for (int i = 0; i < rows; i++) dst[i] = tmp[i];
  }
}

template <bool Q4, bool Table = false>
void matmul_int8(const PackedWeight& w, const Acts& a, float* y, int ldy, int tile0, int tile1) {
  for_tile_batches<3>(a.T, tile0, tile1, [&](int t0, int nt, int tile) {
    with_token_count<3>(nt, [&](auto n) { tile_int8<decltype(n)::value, Q4, Table>(w, a, t0, y, ldy, tile); });
  });
}

}  // namespace

void matmul_quant_int8_avx2(const PackedWeight& w, const Acts& a, float* y, int ldy, int tile0, int tile1) {
  if (w.kind == WeightKind::Q4 && w.codeTable) matmul_int8<true, true>(w, a, y, ldy, tile0, tile1);
  else if (w.kind == WeightKind::Q4) matmul_int8<true>(w, a, y, ldy, tile0, tile1);
  else matmul_int8<false>(w, a, y, ldy, tile0, tile1);
}

}  // namespace vmlx
