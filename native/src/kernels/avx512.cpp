// AVX-512 (F, BW, VL, VNNI) kernels. Compiled with -mavx512* (see CMakeLists.txt); only called after a CPU check.
// Quantized matmul: int16 activations x zero-extended 4/8-bit codes through vpdpwssd, 16 output rows per zmm lane set,
// int32 sums per (row, group), then scale and bias applied in float: dot_g = s*dx*sum(q*xq) + b*sum(x).
#include <immintrin.h>

#include <cmath>
#include <cstring>

#include "kernels/kernels.h"

namespace vmlx {
namespace {

// Activation pairs are 4-byte aligned (even offsets into rows padded to 64 values); a direct load lets the compiler
// fold the broadcast into vpdpwssd's {1to16} memory operand.
typedef int32_t __attribute__((may_alias)) i32_alias;
inline int32_t load_pair(const int16_t* p) { return *reinterpret_cast<const i32_alias*>(p); }

// acc += w . broadcast(pair at p), with the broadcast folded into the instruction's memory operand (GCC does not
// fold _mm512_set1_epi32 of a load into vpdpwssd by itself; a separate vpbroadcastd per token costs ~30%).
inline __m512i dpwssd_bcast(__m512i acc, __m512i w, const int16_t* p) {
  asm("vpdpwssd %[x]%{1to16%}, %[w], %[acc]" : [acc] "+v"(acc) : [w] "v"(w), [x] "m"(*reinterpret_cast<const i32_alias*>(p)));
  return acc;
}

// 16 scales or biases starting at index i, widened to float32 when stored as bfloat16.
inline __m512 load_sb(const void* base, bool bf16, size_t i) {
  if (!bf16) return _mm512_loadu_ps(static_cast<const float*>(base) + i);
  const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(static_cast<const uint16_t*>(base) + i));
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

// How far ahead of its loads the one-token kernel prefetches, into L2 (measured on Zen 4, 2 threads, 4-bit weights
// from DRAM: one sequential stream with a 1-2 KiB prefetch reads 20-40% faster than without, and than the four
// interleaved tile streams this kernel used to read, which a prefetch slows down instead; into L2 rather than L1,
// decode ran another 5-12% faster).
constexpr int kDecodePrefetch = 2048;

inline __mmask16 row_mask(int rows) { return rows >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << rows) - 1); }

// One tile (16 rows) x NT tokens; NT up to 6 for prefill reuses each unpacked weight chunk across tokens.
// Table: Q4 with a code table (quant.h), applied to each zero-extended nibble word by one byte shuffle (masked: the
// word's zero high byte would pick entry 0).
template <int NT, bool Q4, bool Table>
void tile_quant(const PackedWeight& w, const Acts& a, int t0, float* y, int ldy, int tile) {
  const int gs = w.groupSize;
  const int chunks = Q4 ? gs / 4 : gs / 2;
  const int level = gs == 32 ? 0 : (gs == 64 ? 1 : 2);
  const int gpr = a.cols / gs;
  const uint8_t* p = w.data + static_cast<size_t>(tile) * w.groups * chunks * 32;
  const size_t SB = static_cast<size_t>(tile) * w.groups * kTileRows;
  const __m512i nib = _mm512_set1_epi16(0x0f), lowByte = _mm512_set1_epi16(0xff);
  const __m512i table = Table ? _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w.codeTable)))
                              : _mm512_setzero_si512();
  __m512 facc[NT];
  const int16_t* xq[NT];
  for (int t = 0; t < NT; t++) {
    facc[t] = _mm512_setzero_ps();
    xq[t] = a.q + static_cast<size_t>(t0 + t) * a.qStride;
  }
  constexpr int kSubChunks = Q4 ? kActBlock / 4 : kActBlock / 2;  // 32-byte chunks per activation block
  for (int g = 0; g < w.groups; g++) {
    __m512 gacc[NT];
    for (int t = 0; t < NT; t++) gacc[t] = _mm512_setzero_ps();
    const int k0 = g * gs;
    for (int sb = 0; sb < gs / kActBlock; sb++) {
      __m512i acc0[NT], acc1[NT];
      for (int t = 0; t < NT; t++) acc0[t] = acc1[t] = _mm512_setzero_si512();
      const int kb = k0 + sb * kActBlock;
      // One token reads each weight byte once: the kernel is bound by how far ahead the loads run, and the hardware
      // prefetcher alone stays too close (see kDecodePrefetch).
      if (NT == 1)
        for (int l = 0; l < kSubChunks * 32; l += 64) _mm_prefetch(reinterpret_cast<const char*>(p) + kDecodePrefetch + l, _MM_HINT_T1);
      if (Q4) {
        for (int c = 0; c < kSubChunks; c++, p += 32) {
          const __m512i wv = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
          __m512i lo = _mm512_and_si512(wv, nib);
          __m512i hi = _mm512_srli_epi16(wv, 4);
          if (Table) {
            lo = _mm512_and_si512(_mm512_shuffle_epi8(table, lo), lowByte);
            hi = _mm512_and_si512(_mm512_shuffle_epi8(table, hi), lowByte);
          }
          for (int t = 0; t < NT; t++) {
            const int16_t* x = xq[t] + kb + c * 4;
            acc0[t] = dpwssd_bcast(acc0[t], lo, x);
            acc1[t] = dpwssd_bcast(acc1[t], hi, x + 2);
          }
        }
      } else {
        for (int c = 0; c < kSubChunks; c += 2, p += 64) {
          const __m512i w0 = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
          const __m512i w1 = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32)));
          for (int t = 0; t < NT; t++) {
            const int16_t* x = xq[t] + kb + c * 2;
            acc0[t] = dpwssd_bcast(acc0[t], w0, x);
            acc1[t] = dpwssd_bcast(acc1[t], w1, x + 2);
          }
        }
      }
      const int blk = kb / kActBlock;
      for (int t = 0; t < NT; t++) {
        const __m512 dx = _mm512_set1_ps(a.qscale[static_cast<size_t>(t0 + t) * a.blocks + blk]);
        gacc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(acc0[t], acc1[t])), dx, gacc[t]);
      }
    }
    const __m512 sv = load_sb(w.scales, w.sbBf16, SB + g * kTileRows);
    const __m512 bv = Table ? _mm512_mul_ps(sv, _mm512_set1_ps(-static_cast<float>(w.codeZero)))
                            : load_sb(w.biases, w.sbBf16, SB + g * kTileRows);
    for (int t = 0; t < NT; t++) {
      const float xs = a.gsum[level][static_cast<size_t>(t0 + t) * gpr + g];
      facc[t] = _mm512_fmadd_ps(gacc[t], sv, facc[t]);
      facc[t] = _mm512_fmadd_ps(bv, _mm512_set1_ps(xs), facc[t]);
    }
  }
  const __mmask16 m = row_mask(w.rows - tile * kTileRows);
  for (int t = 0; t < NT; t++) _mm512_mask_storeu_ps(y + static_cast<size_t>(t0 + t) * ldy + tile * kTileRows, m, facc[t]);
}

template <bool Q4, bool Table = false>
void matmul_quant(const PackedWeight& w, const Acts& a, float* y, int ldy, int tile0, int tile1) {
  for_tile_batches<6>(a.T, tile0, tile1, [&](int t0, int nt, int tile) {
    with_token_count<6>(nt, [&](auto n) { tile_quant<decltype(n)::value, Q4, Table>(w, a, t0, y, ldy, tile); });
  });
}

template <WeightKind K>
inline __m512 load16(const uint8_t* base, size_t idx, __mmask16 m) {
  if (K == WeightKind::F32) return _mm512_maskz_loadu_ps(m, base + idx * 4);
  const __m256i h = _mm256_maskz_loadu_epi16(m, base + idx * 2);
  if (K == WeightKind::F16) return _mm512_cvtph_ps(h);
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

template <WeightKind K, int NT>
void rows_float(const PackedWeight& w, const Acts& a, int t0, float* y, int ldy, int r0, int r1) {
  for (int r = r0; r < r1; r++) {
    __m512 acc[NT];
    for (int t = 0; t < NT; t++) acc[t] = _mm512_setzero_ps();
    const size_t base = static_cast<size_t>(r) * w.cols;
    for (int k = 0; k < w.cols; k += 16) {
      const int left = w.cols - k;
      const __mmask16 m = left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1);
      const __m512 wv = load16<K>(w.data, base + k, m);
      for (int t = 0; t < NT; t++)
        acc[t] = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(m, a.x + static_cast<size_t>(t0 + t) * a.cols + k), acc[t]);
    }
    for (int t = 0; t < NT; t++) y[static_cast<size_t>(t0 + t) * ldy + r] = _mm512_reduce_add_ps(acc[t]);
  }
}

template <WeightKind K>
void matmul_float_k(const PackedWeight& w, const Acts& a, float* y, int ldy, int tile0, int tile1) {
  const int r0 = tile0 * kTileRows;
  const int r1 = tile1 * kTileRows < w.rows ? tile1 * kTileRows : w.rows;
  int t0 = 0;
  for (; t0 + 4 <= a.T; t0 += 4) rows_float<K, 4>(w, a, t0, y, ldy, r0, r1);
  for (; t0 < a.T; t0++) rows_float<K, 1>(w, a, t0, y, ldy, r0, r1);
}

void matmul(const PackedWeight& w, const Acts& a, float* y, int ldy, int tile0, int tile1) {
  switch (w.kind) {
    case WeightKind::Q4:
      if (a.mode == ActMode::Float) matmul_quant_float_acts_avx2(w, a, y, ldy, tile0, tile1);
      else if (a.mode == ActMode::Int8) matmul_quant_int8_vnni(w, a, y, ldy, tile0, tile1);
      else if (w.codeTable) matmul_quant<true, true>(w, a, y, ldy, tile0, tile1);
      else matmul_quant<true>(w, a, y, ldy, tile0, tile1);
      break;
    case WeightKind::Q8:
      if (a.mode == ActMode::Float) matmul_quant_float_acts_avx2(w, a, y, ldy, tile0, tile1);
      else if (a.mode == ActMode::Int8) matmul_quant_int8_vnni(w, a, y, ldy, tile0, tile1);
      else matmul_quant<false>(w, a, y, ldy, tile0, tile1);
      break;
    case WeightKind::F32: matmul_float_k<WeightKind::F32>(w, a, y, ldy, tile0, tile1); break;
    case WeightKind::F16: matmul_float_k<WeightKind::F16>(w, a, y, ldy, tile0, tile1); break;
    case WeightKind::BF16: matmul_float_k<WeightKind::BF16>(w, a, y, ldy, tile0, tile1); break;
  }
}

inline __mmask16 tail_mask(int left) { return left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1); }

void quantize_row(const Acts& a, int t) {
  if (a.mode == ActMode::Int8) {
    quantize_row_int8_vnni(a, t);
    return;
  }
  const int cols = a.cols;
  const float* xr = a.x + static_cast<size_t>(t) * cols;
  int16_t* q = a.q + static_cast<size_t>(t) * a.qStride;
  float* qs = a.qscale + static_cast<size_t>(t) * a.blocks;
  // Per-32 integer sums feed the group sums below; at most cols/32 + 1 of them.
  float s32[4096 / 32 + 1];
  float* sums = cols <= 4096 ? s32 : nullptr;
  static_assert(kActBlock == 32, "the vector quantizer handles blocks of 32");
  for (int b = 0; b < a.blocks; b++) {
    const int k0 = b * kActBlock;
    const __mmask16 m0 = tail_mask(cols - k0), m1 = tail_mask(cols - k0 - 16);
    const __m512 v0 = _mm512_maskz_loadu_ps(m0, xr + k0), v1 = _mm512_maskz_loadu_ps(m1, xr + k0 + 16);
    const float mx = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
    const float d = mx / 32767.f;
    const __m512 inv = _mm512_set1_ps(d > 0.f ? 1.f / d : 0.f);
    const __m512i q0 = _mm512_cvtps_epi32(_mm512_mul_ps(v0, inv)), q1 = _mm512_cvtps_epi32(_mm512_mul_ps(v1, inv));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + k0), _mm512_cvtsepi32_epi16(q0));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + k0 + 16), _mm512_cvtsepi32_epi16(q1));
    qs[b] = d;
    if (sums) sums[b] = static_cast<float>(_mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1))) * d;
  }
  // Rows are padded to qStride (a multiple of 64) with zeros; blocks past cols were written as zeros above.
  for (int k = a.blocks * kActBlock; k < a.qStride; k++) q[k] = 0;
  if (!sums) {
    quantize_row_portable(a, t);
    return;
  }
  for (int l = 0, per = 1; l < 3; l++, per *= 2) {
    if (cols % (32 * per)) continue;
    float* out = a.gsum[l] + static_cast<size_t>(t) * (cols / (32 * per));
    for (int g = 0; g < cols / (32 * per); g++) {
      float s = 0.f;
      for (int j = 0; j < per; j++) s += sums[g * per + j];
      out[g] = s;
    }
  }
}

uint64_t read_bytes(const uint8_t* p, size_t n) {
  __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  for (; i + 256 <= n; i += 256) {
    a0 = _mm512_add_epi64(a0, _mm512_load_si512(p + i));
    a1 = _mm512_add_epi64(a1, _mm512_load_si512(p + i + 64));
    a2 = _mm512_add_epi64(a2, _mm512_load_si512(p + i + 128));
    a3 = _mm512_add_epi64(a3, _mm512_load_si512(p + i + 192));
  }
  const __m512i s = _mm512_add_epi64(_mm512_add_epi64(a0, a1), _mm512_add_epi64(a2, a3));
  return static_cast<uint64_t>(_mm512_reduce_add_epi64(s));
}

// 12 chains of vpdpwssd (32 int16 multiply-adds each), or of vpdpbusd (64 u8 x s8 ones) for int8 activations, as asm
// so the compiler can neither fold nor drop them.
#define VMLX_DOT12(op)                                                                                              \
  op " %12, %13, %0\n\t" op " %12, %13, %1\n\t" op " %12, %13, %2\n\t" op " %12, %13, %3\n\t" op " %12, %13, %4\n\t" \
  op " %12, %13, %5\n\t" op " %12, %13, %6\n\t" op " %12, %13, %7\n\t" op " %12, %13, %8\n\t" op " %12, %13, %9\n\t" \
  op " %12, %13, %10\n\t" op " %12, %13, %11"
#define VMLX_PEAK_LOOP(op)                                                                                           \
  for (uint64_t i = 0; i < rounds; i++)                                                                              \
    asm volatile(VMLX_DOT12(op)                                                                                      \
                 : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6), "+v"(a7), "+v"(a8), "+v"(a9), \
                   "+v"(a10), "+v"(a11)                                                                              \
                 : "v"(w), "v"(x))
uint64_t dot_peak(uint64_t rounds, ActMode mode) {
  __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0,
          a10 = a0, a11 = a0;
  const __m512i w = _mm512_set1_epi16(3), x = _mm512_set1_epi16(5);
  if (mode == ActMode::Int8) {
    VMLX_PEAK_LOOP("vpdpbusd");
    return rounds * 12 * 64;
  }
  VMLX_PEAK_LOOP("vpdpwssd");
  return rounds * 12 * 32;
}
#undef VMLX_PEAK_LOOP
#undef VMLX_DOT12

const KernelSet kAvx512 = {"avx512_vnni", quantize_row, matmul, read_bytes, dot_peak, VMLX_ELEMENTWISE_ENTRIES(vec_avx512)};

}  // namespace

// The CPU check lives in dispatch.cpp (baseline code): nothing in this file may run before it.
const KernelSet& kernels_avx512_table() { return kAvx512; }

}  // namespace vmlx
