// The int8-activation quantized matmul for AVX-512 VNNI (compiled with the AVX-512 flags; only called after a CPU
// check): vpdpbusd multiplies four unsigned weight codes by four signed int8 activations and adds them to an int32
// lane without saturation, so 4- and 8-bit codes take the same path and no offset is needed.
//
// Lane i of a zmm must hold four codes of row i. The tile layout (kernels.h) keeps row i's codes of chunk c in word i
// of the chunk, so one word permute (vpermw, AVX512BW) of two chunks puts row i's two words side by side:
//   Q4, chunks c and c+1 (elements 8j..8j+7 of a tile, j = c/2): the lane's low nibbles are elements 0, 1, 4, 5 and
//       its high nibbles 2, 3, 6, 7 (relative to 8j): two vectors of codes after one mask and one shift.
//   Q8, chunks c..c+3: a two-source word permute gives elements 0, 1, 4, 5 and another 2, 3, 6, 7.
// So this set's quantize_row stores each 8 activations in the same order, x0 x1 x4 x5 x2 x3 x6 x7, and each code
// vector meets its four activations with one broadcast, folded into vpdpbusd's memory operand. The weights are
// unpacked once for up to kMaxT tokens (a decode step of 8 sequences reads each weight byte once).
#include <immintrin.h>

#include <cstring>

#include "kernels/kernels.h"

namespace vmlx {
namespace {

typedef int32_t __attribute__((may_alias)) i32_alias;

constexpr int kMaxT = 8;  // tokens per unpacked weight chunk

inline __m512 load_sb16(const void* base, bool bf16, size_t i) {
  if (!bf16) return _mm512_loadu_ps(static_cast<const float*>(base) + i);
  const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(static_cast<const uint16_t*>(base) + i));
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

// acc += codes . broadcast(4 int8 activations at p); the broadcast folded into the instruction (GCC does not fold
// _mm512_set1_epi32 of a load into vpdpbusd by itself).
inline __m512i dpbusd_bcast(__m512i acc, __m512i codes, const int8_t* p) {
  asm("vpdpbusd %[x]%{1to16%}, %[w], %[acc]" : [acc] "+v"(acc) : [w] "v"(codes), [x] "m"(*reinterpret_cast<const i32_alias*>(p)));
  return acc;
}

// Word indices: lane i = (word i of a, word i of b) for a two-chunk source (a = words 0-15, b = words 16-31).
inline __m512i pair_words_index(int a, int b) {
  alignas(64) int16_t idx[32];
  for (int i = 0; i < 16; i++) {
    idx[2 * i] = static_cast<int16_t>(a + i);
    idx[2 * i + 1] = static_cast<int16_t>(b + i);
  }
  return _mm512_load_si512(idx);
}

// How far ahead of its loads the kernel prefetches, into L2 (as the int16 one-token kernel, see avx512.cpp; here for
// every token count: a decode step of 8 sequences ran 5-14% faster with it). 4 KiB: with two cores streaming, 8
// sequences' steps ran 3% faster than at 2 KiB (1 KiB: 15% slower; 8 KiB: no better); one sequence the same.
constexpr int kDecodePrefetch = 4096;

// One tile (16 rows) x NT tokens. Table: Q4 with a code table (quant.h; codes < 32), one byte shuffle per nibble
// vector. Few tokens keep two accumulator chains per token (low and high nibbles), so one token is not bound by the
// instruction's latency; many share one chain each and stay within the 32 registers.
template <int NT, bool Q4, bool Table>
void tile_vnni(const PackedWeight& w, const Acts& a, int t0, float* y, int ldy, int tile) {
  constexpr int kChains = NT <= 4 ? 2 : 1;
  const int gs = w.groupSize;
  const int chunks = Q4 ? gs / 4 : gs / 2;
  const int level = gs == 32 ? 0 : (gs == 64 ? 1 : 2);
  const int gpr = a.cols / gs;
  const uint8_t* p = w.data + static_cast<size_t>(tile) * w.groups * chunks * 32;
  const size_t SB = static_cast<size_t>(tile) * w.groups * kTileRows;
  const __m512i nib = _mm512_set1_epi8(0x0f);
  const __m512i table = Table ? _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w.codeTable)))
                              : _mm512_setzero_si512();
  // Q4: chunks c, c+1 of one 64-byte load; Q8: chunks (c, c+2) and (c+1, c+3) of two loads.
  const __m512i pairs = Q4 ? pair_words_index(0, 16) : pair_words_index(0, 32);
  const __m512i pairs2 = Q4 ? pairs : pair_words_index(16, 48);
  __m512 facc[NT];
  const int8_t* xq[NT];
  const float* dx[NT];
  for (int t = 0; t < NT; t++) {
    facc[t] = _mm512_setzero_ps();
    xq[t] = a.q8 + static_cast<size_t>(t0 + t) * a.qStride;
    dx[t] = a.qscale + static_cast<size_t>(t0 + t) * a.blocks;
  }
  constexpr int kBytesPerBlock = Q4 ? kActBlock * 8 : kActBlock * 16;  // 16 rows of one activation block
  for (int g = 0; g < w.groups; g++) {
    const __m512 sv = load_sb16(w.scales, w.sbBf16, SB + g * kTileRows);
    for (int kb = g * gs; kb < (g + 1) * gs; kb += kActBlock) {
      __m512i acc[kChains][NT];
      for (int c = 0; c < kChains; c++)
        for (int t = 0; t < NT; t++) acc[c][t] = _mm512_setzero_si512();
      // Every token count streams the weights once per call (a decode step of many sequences as much as one).
      for (int l = 0; l < kBytesPerBlock; l += 64) _mm_prefetch(reinterpret_cast<const char*>(p) + kDecodePrefetch + l, _MM_HINT_T1);
      for (int e = 0; e < kActBlock; e += 8) {
        __m512i lo, hi;
        if (Q4) {
          const __m512i v = _mm512_permutexvar_epi16(pairs, _mm512_loadu_si512(p));
          lo = _mm512_and_si512(v, nib);
          hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), nib);
          if (Table) {
            lo = _mm512_shuffle_epi8(table, lo);
            hi = _mm512_shuffle_epi8(table, hi);
          }
          p += 64;
        } else {
          const __m512i v0 = _mm512_loadu_si512(p), v1 = _mm512_loadu_si512(p + 64);
          lo = _mm512_permutex2var_epi16(v0, pairs, v1);
          hi = _mm512_permutex2var_epi16(v0, pairs2, v1);
          p += 128;
        }
        for (int t = 0; t < NT; t++) {
          const int8_t* x = xq[t] + kb + e;
          acc[0][t] = dpbusd_bcast(acc[0][t], lo, x);
          acc[kChains - 1][t] = dpbusd_bcast(acc[kChains - 1][t], hi, x + 4);
        }
      }
      const int blk = kb / kActBlock;
      for (int t = 0; t < NT; t++) {
        const __m512i sum = kChains == 2 ? _mm512_add_epi32(acc[0][t], acc[kChains - 1][t]) : acc[0][t];
        facc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(sv, _mm512_set1_ps(dx[t][blk])), facc[t]);
      }
    }
    const __m512 bv = Table ? _mm512_mul_ps(sv, _mm512_set1_ps(-static_cast<float>(w.codeZero)))
                            : load_sb16(w.biases, w.sbBf16, SB + g * kTileRows);
    for (int t = 0; t < NT; t++)
      facc[t] = _mm512_fmadd_ps(bv, _mm512_set1_ps(a.gsum[level][static_cast<size_t>(t0 + t) * gpr + g]), facc[t]);
  }
  const int rows = w.rows - tile * kTileRows < kTileRows ? w.rows - tile * kTileRows : kTileRows;
  const __mmask16 m = rows >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << rows) - 1);
  for (int t = 0; t < NT; t++) _mm512_mask_storeu_ps(y + static_cast<size_t>(t0 + t) * ldy + tile * kTileRows, m, facc[t]);
}

template <bool Q4, bool Table = false>
void matmul_vnni(const PackedWeight& w, const Acts& a, float* y, int ldy, int tile0, int tile1) {
  for_tile_batches<kMaxT>(a.T, tile0, tile1, [&](int t0, int nt, int tile) {
    with_token_count<kMaxT>(nt, [&](auto n) { tile_vnni<decltype(n)::value, Q4, Table>(w, a, t0, y, ldy, tile); });
  });
}

inline __mmask16 tail_mask(int left) {
  return left >= 16 ? static_cast<__mmask16>(0xffff) : left <= 0 ? static_cast<__mmask16>(0) : static_cast<__mmask16>((1u << left) - 1);
}

}  // namespace

void matmul_quant_int8_vnni(const PackedWeight& w, const Acts& a, float* y, int ldy, int tile0, int tile1) {
  if (w.kind == WeightKind::Q4 && w.codeTable) matmul_vnni<true, true>(w, a, y, ldy, tile0, tile1);
  else if (w.kind == WeightKind::Q4) matmul_vnni<true>(w, a, y, ldy, tile0, tile1);
  else matmul_vnni<false>(w, a, y, ldy, tile0, tile1);
}

namespace {

// Reduces 16 vectors to one: lane i = op over the 16 lanes of v[i]. Three 128-bit-quarter and two in-quarter levels
// (31 shuffles and ops for 16 rows, against ~8 each for one-at-a-time reductions); op must be associative and
// commutative (max, integer add), so the result equals any other reduction order.
template <class Op>
__m512 reduce16(__m512* v, Op op) {
  __m512 b[8], c[4];
  for (int i = 0; i < 8; i++)  // quarters: [2i (q0 q2), 2i (q1 q3), 2i+1 (q0 q2), 2i+1 (q1 q3)]
    b[i] = op(_mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], 0x44), _mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], 0xEE));
  for (int j = 0; j < 4; j++)  // quarter q: row 4j + q, four partials
    c[j] = op(_mm512_shuffle_f32x4(b[2 * j], b[2 * j + 1], 0x88), _mm512_shuffle_f32x4(b[2 * j], b[2 * j + 1], 0xDD));
  const __m512 t0 = op(_mm512_unpacklo_ps(c[0], c[1]), _mm512_unpackhi_ps(c[0], c[1]));
  const __m512 t1 = op(_mm512_unpacklo_ps(c[2], c[3]), _mm512_unpackhi_ps(c[2], c[3]));
  const __m512 u = op(_mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t0), _mm512_castps_pd(t1))),
                      _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t0), _mm512_castps_pd(t1))));
  // Lane 4q + k holds row 4k + q.
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  return _mm512_permutexvar_ps(order, u);
}

}  // namespace

// Row t to int8 per kActBlock block exactly as quantize_row_portable rounds it (scale max|x| / 127, round to nearest
// even), stored in the order above (x0 x1 x4 x5 x2 x3 x6 x7 per 8), with the same group sums. Sixteen whole blocks
// at a time share their reductions (reduce16); the rest go one by one.
void quantize_row_int8_vnni(const Acts& a, int t) {
  static_assert(kActBlock == 32, "the int8 quantizer handles blocks of 32");
  const int cols = a.cols;
  const float* xr = a.x + static_cast<size_t>(t) * cols;
  int8_t* q = a.q8 + static_cast<size_t>(t) * a.qStride;
  float* qs = a.qscale + static_cast<size_t>(t) * a.blocks;
  const __m512i order = _mm512_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15);
  const __m512i lim = _mm512_set1_epi32(127), nlim = _mm512_set1_epi32(-127);
  float* out[3];
  for (int l = 0, gs = 32; l < 3; l++, gs *= 2) out[l] = cols % gs ? nullptr : a.gsum[l] + static_cast<size_t>(t) * (cols / gs);
  // Group sums in the portable quantizer's order: each block's integer sum times its scale, blocks added in order.
  const auto add_block_sum = [&](int b, float s) {
    for (int l = 0, per = 1; l < 3; l++, per *= 2) {
      if (!out[l]) continue;
      if (b % per == 0) out[l][b / per] = s;
      else out[l][b / per] += s;
    }
  };
  const auto store_codes = [&](int k0, __m512i q0, __m512i q1) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + k0), _mm512_cvtepi32_epi8(_mm512_permutexvar_epi32(order, q0)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + k0 + 16), _mm512_cvtepi32_epi8(_mm512_permutexvar_epi32(order, q1)));
  };
  const auto max_op = [](__m512 x, __m512 y) { return _mm512_max_ps(x, y); };
  const auto add_op = [](__m512 x, __m512 y) {
    return _mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(x), _mm512_castps_si512(y)));
  };
  constexpr int kRun = 16;
  int b = 0;
  for (; (b + kRun) * kActBlock <= cols; b += kRun) {
    const float* xb = xr + b * kActBlock;
    __m512 v[kRun];
    for (int i = 0; i < kRun; i++)
      v[i] = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(xb + i * kActBlock)), _mm512_abs_ps(_mm512_loadu_ps(xb + i * kActBlock + 16)));
    const __m512 d = _mm512_div_ps(reduce16(v, max_op), _mm512_set1_ps(127.f));
    const __m512 inv = _mm512_maskz_div_ps(_mm512_cmp_ps_mask(d, _mm512_setzero_ps(), _CMP_GT_OQ), _mm512_set1_ps(1.f), d);
    _mm512_storeu_ps(qs + b, d);
    alignas(64) float invs[kRun];
    _mm512_store_ps(invs, inv);
    for (int i = 0; i < kRun; i++) {
      const __m512 iv = _mm512_set1_ps(invs[i]);
      __m512i q0 = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(xb + i * kActBlock), iv));
      __m512i q1 = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(xb + i * kActBlock + 16), iv));
      q0 = _mm512_max_epi32(nlim, _mm512_min_epi32(lim, q0));
      q1 = _mm512_max_epi32(nlim, _mm512_min_epi32(lim, q1));
      store_codes((b + i) * kActBlock, q0, q1);
      v[i] = _mm512_castsi512_ps(_mm512_add_epi32(q0, q1));
    }
    alignas(64) float sums[kRun];
    _mm512_store_ps(sums, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_castps_si512(reduce16(v, add_op))), d));
    for (int i = 0; i < kRun; i++) add_block_sum(b + i, sums[i]);
  }
  for (; b < a.blocks; b++) {
    const int k0 = b * kActBlock;
    const __m512 v0 = _mm512_maskz_loadu_ps(tail_mask(cols - k0), xr + k0);
    const __m512 v1 = _mm512_maskz_loadu_ps(tail_mask(cols - k0 - 16), xr + k0 + 16);
    const float mx = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
    const float d = mx / 127.f;
    const __m512 inv = _mm512_set1_ps(d > 0.f ? 1.f / d : 0.f);
    __m512i q0 = _mm512_cvtps_epi32(_mm512_mul_ps(v0, inv)), q1 = _mm512_cvtps_epi32(_mm512_mul_ps(v1, inv));
    q0 = _mm512_max_epi32(nlim, _mm512_min_epi32(lim, q0));
    q1 = _mm512_max_epi32(nlim, _mm512_min_epi32(lim, q1));
    store_codes(k0, q0, q1);
    qs[b] = d;
    add_block_sum(b, static_cast<float>(_mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1))) * d);
  }
  for (int k = a.blocks * kActBlock; k < a.qStride; k++) q[k] = 0;
}

}  // namespace vmlx
