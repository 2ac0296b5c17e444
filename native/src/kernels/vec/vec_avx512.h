// The vector layer for AVX-512 (F, BW, VL, DQ): 16 float lanes, tails by lane masks. Include only from files
// compiled with the AVX-512 flags (their code runs only after dispatch.cpp has checked the CPU). The names match
// vec_avx2.h and vec_scalar.h, so kernels/elementwise/*.inc compile unchanged against any of them.
#pragma once
#include <immintrin.h>

#include <cstdint>

namespace vmlx {
namespace vec_avx512 {

constexpr int kW = 16;
// Attention: query rows that share one pass over the keys (4 keys x 4 rows accumulators fit 32 registers).
constexpr int kAttendRows = 4;
// Vector registers the kernels may keep live (zmm0-31).
constexpr int kVecRegisters = 32;
using vf = __m512;
using vmask = __mmask16;

inline vf vzero() { return _mm512_setzero_ps(); }
inline vf vset1(float x) { return _mm512_set1_ps(x); }
inline vf vload(const float* p) { return _mm512_loadu_ps(p); }
inline void vstore(float* p, vf v) { _mm512_storeu_ps(p, v); }

inline __mmask16 lane_mask(int n) {
  return n >= 16 ? static_cast<__mmask16>(0xffff) : n <= 0 ? static_cast<__mmask16>(0) : static_cast<__mmask16>((1u << n) - 1);
}
// The first n lanes (n <= 0: none, n >= kW: all); the other lanes read as 0 and are not written.
inline vf vload_n(const float* p, int n) { return _mm512_maskz_loadu_ps(lane_mask(n), p); }
inline void vstore_n(float* p, vf v, int n) { _mm512_mask_storeu_ps(p, lane_mask(n), v); }
inline vf vload_f16(const uint16_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
inline vf vload_f16_n(const uint16_t* p, int n) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(lane_mask(n), p)); }
// Round to nearest even (the KV-cache store).
inline void vstore_f16_n(uint16_t* p, vf v, int n) {
  _mm256_mask_storeu_epi16(p, lane_mask(n), _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

inline vf vadd(vf a, vf b) { return _mm512_add_ps(a, b); }
inline vf vsub(vf a, vf b) { return _mm512_sub_ps(a, b); }
inline vf vmul(vf a, vf b) { return _mm512_mul_ps(a, b); }
inline vf vdiv(vf a, vf b) { return _mm512_div_ps(a, b); }
inline vf vfma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }    // a*b + c
inline vf vfnma(vf a, vf b, vf c) { return _mm512_fnmadd_ps(a, b, c); }  // c - a*b
inline vf vmax(vf a, vf b) { return _mm512_max_ps(a, b); }
inline vf vmin(vf a, vf b) { return _mm512_min_ps(a, b); }
inline vf vabs(vf a) { return _mm512_abs_ps(a); }
inline vf vround(vf a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
// a * 2^t for integer-valued t (vscalefps).
inline vf vldexp(vf a, vf t) { return _mm512_scalef_ps(a, t); }
inline vmask vlt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
inline vf vselect(vmask m, vf yes, vf no) { return _mm512_mask_mov_ps(no, m, yes); }

inline float vhsum(vf v) { return _mm512_reduce_add_ps(v); }
inline float vhmax(vf v) { return _mm512_reduce_max_ps(v); }
// out[i] = lane sum of a_i, i < 4 (one shuffle tree for the four).
inline void vhsum4(vf a0, vf a1, vf a2, vf a3, float* out) {
  const __m512 s01 = _mm512_add_ps(_mm512_unpacklo_ps(a0, a1), _mm512_unpackhi_ps(a0, a1));
  const __m512 s23 = _mm512_add_ps(_mm512_unpacklo_ps(a2, a3), _mm512_unpackhi_ps(a2, a3));
  const __m512 s = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(s01), _mm512_castps_pd(s23))),
                                 _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(s01), _mm512_castps_pd(s23))));
  const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(s), _mm512_extractf32x8_ps(s, 1));
  _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1)));
}

}  // namespace vec_avx512
}  // namespace vmlx
