// The vector layer for AVX2 + FMA + F16C: 8 float lanes. Include only from files compiled with -mavx2 -mfma -mf16c
// (their code runs only after dispatch.cpp has checked the CPU). The names match vec_avx512.h and vec_scalar.h, so
// kernels/elementwise/*.inc compile unchanged against any of them.
#pragma once
#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace vmlx {
namespace vec_avx2 {

constexpr int kW = 8;
// Attention: query rows that share one pass over the keys (4 keys x rows accumulators + 4 keys fit 16 registers).
constexpr int kAttendRows = 2;
// Vector registers the kernels may keep live (ymm0-15).
constexpr int kVecRegisters = 16;
using vf = __m256;
using vmask = __m256;

inline vf vzero() { return _mm256_setzero_ps(); }
inline vf vset1(float x) { return _mm256_set1_ps(x); }
inline vf vload(const float* p) { return _mm256_loadu_ps(p); }
inline void vstore(float* p, vf v) { _mm256_storeu_ps(p, v); }

inline __m256i lane_mask(int n) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); }
// The first n lanes (n <= 0: none, n >= kW: all); the other lanes read as 0 and are not written.
inline vf vload_n(const float* p, int n) { return n >= kW ? vload(p) : _mm256_maskload_ps(p, lane_mask(n)); }
inline void vstore_n(float* p, vf v, int n) {
  if (n >= kW) vstore(p, v);
  else if (n > 0) _mm256_maskstore_ps(p, lane_mask(n), v);
}
inline vf vload_f16(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
inline vf vload_f16_n(const uint16_t* p, int n) {
  if (n >= kW) return vload_f16(p);
  alignas(16) uint16_t tmp[kW] = {};
  if (n > 0) std::memcpy(tmp, p, sizeof(uint16_t) * n);
  return vload_f16(tmp);
}
// Round to nearest even (the KV-cache store).
inline void vstore_f16_n(uint16_t* p, vf v, int n) {
  const __m128i h = _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT);
  if (n >= kW) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), h);
  } else if (n > 0) {
    alignas(16) uint16_t tmp[kW];
    _mm_store_si128(reinterpret_cast<__m128i*>(tmp), h);
    std::memcpy(p, tmp, sizeof(uint16_t) * n);
  }
}

inline vf vadd(vf a, vf b) { return _mm256_add_ps(a, b); }
inline vf vsub(vf a, vf b) { return _mm256_sub_ps(a, b); }
inline vf vmul(vf a, vf b) { return _mm256_mul_ps(a, b); }
inline vf vdiv(vf a, vf b) { return _mm256_div_ps(a, b); }
inline vf vfma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }    // a*b + c
inline vf vfnma(vf a, vf b, vf c) { return _mm256_fnmadd_ps(a, b, c); }  // c - a*b
inline vf vmax(vf a, vf b) { return _mm256_max_ps(a, b); }
inline vf vmin(vf a, vf b) { return _mm256_min_ps(a, b); }
inline vf vabs(vf a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.f), a); }
inline vf vround(vf a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
// a * 2^t for integer-valued t in [-126, 127] and a in [0.5, 2) (exponent arithmetic).
inline vf vldexp(vf a, vf t) {
  return _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(a), _mm256_slli_epi32(_mm256_cvtps_epi32(t), 23)));
}
inline vmask vlt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
inline vf vselect(vmask m, vf yes, vf no) { return _mm256_blendv_ps(no, yes, m); }

inline float vhsum(vf v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
inline float vhmax(vf v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
// out[i] = lane sum of a_i, i < 4 (one shuffle tree for the four).
inline void vhsum4(vf a0, vf a1, vf a2, vf a3, float* out) {
  const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
  _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1)));
}

}  // namespace vec_avx2
}  // namespace vmlx
