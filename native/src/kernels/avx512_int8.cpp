// The int8-activation quantized matmul for AVX-512 VNNI (compiled with the AVX-512 flags; only called after a CPU
// check): vpdpbusd multiplies four unsigned weight codes by four signed int8 activations and adds them to an int32
// lane without saturation, so 4- and 8-bit codes take the same path and no offset is needed.
//
// Lane i of a zmm holds four consecutive elements of row i: the tile layout (kernels.h) gives two of them per 16-bit
// word (Q4: low nibbles = elements 4c, 4c+1 and high nibbles = 4c+2, 4c+3 of chunk c; Q8: chunk c = 2c, 2c+1 and
// chunk c+1 = 2c+2, 2c+3), so zero-extending the two words to 32 bits and shifting the second up by 16 makes the lane.
#include <immintrin.h>

#include <cstring>

#include "kernels/kernels.h"

namespace vmlx {
namespace {

inline __m512 load_sb16(const void* base, bool bf16, size_t i) {
  if (!bf16) return _mm512_loadu_ps(static_cast<const float*>(base) + i);
  const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(static_cast<const uint16_t*>(base) + i));
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

inline __m512i bcast4(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// Lanes of 4 bytes from two vectors of 16 words: lane i = (a word i, b word i).
inline __m512i join_words(__m256i a, __m256i b) {
  return _mm512_or_si512(_mm512_cvtepu16_epi32(a), _mm512_slli_epi32(_mm512_cvtepu16_epi32(b), 16));
}

// Table: Q4 with a code table (quant.h; codes < 32), one byte shuffle per nibble vector.
template <int NT, bool Q4, bool Table>
void tile_vnni(const PackedWeight& w, const Acts& a, int t0, float* y, int ldy, int tile) {
  const int gs = w.groupSize;
  const int chunks = Q4 ? gs / 4 : gs / 2;
  const int level = gs == 32 ? 0 : (gs == 64 ? 1 : 2);
  const int gpr = a.cols / gs;
  const uint8_t* p = w.data + static_cast<size_t>(tile) * w.groups * chunks * 32;
  const size_t SB = static_cast<size_t>(tile) * w.groups * kTileRows;
  const __m256i nib = _mm256_set1_epi8(0x0f);
  const __m256i table = Table ? _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w.codeTable)))
                              : _mm256_setzero_si256();
  __m512 facc[NT];
  const int8_t* xq[NT];
  const float* dx[NT];
  for (int t = 0; t < NT; t++) {
    facc[t] = _mm512_setzero_ps();
    xq[t] = a.q8 + static_cast<size_t>(t0 + t) * a.qStride;
    dx[t] = a.qscale + static_cast<size_t>(t0 + t) * a.blocks;
  }
  for (int g = 0; g < w.groups; g++) {
    __m512 gacc[NT];
    for (int t = 0; t < NT; t++) gacc[t] = _mm512_setzero_ps();
    for (int kb = g * gs; kb < (g + 1) * gs; kb += kActBlock) {
      __m512i acc[NT];
      for (int t = 0; t < NT; t++) acc[t] = _mm512_setzero_si512();
      if (Q4) {
        for (int c = 0; c < kActBlock / 4; c++, p += 32) {
          const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
          __m256i lo = _mm256_and_si256(v, nib), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nib);
          if (Table) {
            lo = _mm256_shuffle_epi8(table, lo);
            hi = _mm256_shuffle_epi8(table, hi);
          }
          const __m512i wv = join_words(lo, hi);
          for (int t = 0; t < NT; t++) acc[t] = _mm512_dpbusd_epi32(acc[t], wv, bcast4(xq[t] + kb + 4 * c));
        }
      } else {
        for (int c = 0; c < kActBlock / 2; c += 2, p += 64) {
          const __m512i wv = join_words(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)),
                                        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32)));
          for (int t = 0; t < NT; t++) acc[t] = _mm512_dpbusd_epi32(acc[t], wv, bcast4(xq[t] + kb + 2 * c));
        }
      }
      for (int t = 0; t < NT; t++)
        gacc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[t]), _mm512_set1_ps(dx[t][kb / kActBlock]), gacc[t]);
    }
    const __m512 s = load_sb16(w.scales, w.sbBf16, SB + g * kTileRows);
    const __m512 b = Table ? _mm512_mul_ps(s, _mm512_set1_ps(-static_cast<float>(w.codeZero)))
                           : load_sb16(w.biases, w.sbBf16, SB + g * kTileRows);
    for (int t = 0; t < NT; t++) {
      facc[t] = _mm512_fmadd_ps(gacc[t], s, facc[t]);
      facc[t] = _mm512_fmadd_ps(b, _mm512_set1_ps(a.gsum[level][static_cast<size_t>(t0 + t) * gpr + g]), facc[t]);
    }
  }
  const int rows = w.rows - tile * kTileRows < kTileRows ? w.rows - tile * kTileRows : kTileRows;
  const __mmask16 m = rows >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << rows) - 1);
  for (int t = 0; t < NT; t++) _mm512_mask_storeu_ps(y + static_cast<size_t>(t0 + t) * ldy + tile * kTileRows, m, facc[t]);
}

template <bool Q4, bool Table = false>
void matmul_vnni(const PackedWeight& w, const Acts& a, float* y, int ldy, int tile0, int tile1) {
  constexpr int kMaxT = 4;
  for (int t0 = 0; t0 < a.T; t0 += kMaxT) {
    const int nt = a.T - t0 < kMaxT ? a.T - t0 : kMaxT;
    for (int tile = tile0; tile < tile1; tile++) {
      switch (nt) {
        case 1: tile_vnni<1, Q4, Table>(w, a, t0, y, ldy, tile); break;
        case 2: tile_vnni<2, Q4, Table>(w, a, t0, y, ldy, tile); break;
        case 3: tile_vnni<3, Q4, Table>(w, a, t0, y, ldy, tile); break;
        default: tile_vnni<4, Q4, Table>(w, a, t0, y, ldy, tile); break;
      }
    }
  }
}

}  // namespace

void matmul_quant_int8_vnni(const PackedWeight& w, const Acts& a, float* y, int ldy, int tile0, int tile1) {
  if (w.kind == WeightKind::Q4 && w.codeTable) matmul_vnni<true, true>(w, a, y, ldy, tile0, tile1);
  else if (w.kind == WeightKind::Q4) matmul_vnni<true>(w, a, y, ldy, tile0, tile1);
  else matmul_vnni<false>(w, a, y, ldy, tile0, tile1);
}

}  // namespace vmlx
