// The vector layer at width 1: plain floats, no intrinsics. The element-wise kernels compiled against it form the
// test-only "generic" set, which runs the written-once code on any CPU (the scalar set stays the independent
// reference). The names match vec_avx2.h and vec_avx512.h.
#pragma once
#include <cmath>
#include <cstdint>

#include "half.h"

namespace vmlx {
namespace vec_scalar {

constexpr int kW = 1;
constexpr int kAttendRows = 4;
// Values the kernels may keep live (what the compiler keeps in registers is its business at width 1).
constexpr int kVecRegisters = 16;
using vf = float;
using vmask = bool;

inline vf vzero() { return 0.f; }
inline vf vset1(float x) { return x; }
inline vf vload(const float* p) { return *p; }
inline void vstore(float* p, vf v) { *p = v; }
inline vf vload_n(const float* p, int n) { return n > 0 ? *p : 0.f; }
inline void vstore_n(float* p, vf v, int n) {
  if (n > 0) *p = v;
}
inline vf vload_f16(const uint16_t* p) { return vmlx_f16_to_f32(*p); }
inline vf vload_f16_n(const uint16_t* p, int n) { return n > 0 ? vmlx_f16_to_f32(*p) : 0.f; }
inline void vstore_f16_n(uint16_t* p, vf v, int n) {
  if (n > 0) *p = vmlx_f32_to_f16(v);
}

inline vf vadd(vf a, vf b) { return a + b; }
inline vf vsub(vf a, vf b) { return a - b; }
inline vf vmul(vf a, vf b) { return a * b; }
inline vf vdiv(vf a, vf b) { return a / b; }
inline vf vfma(vf a, vf b, vf c) { return std::fma(a, b, c); }
inline vf vfnma(vf a, vf b, vf c) { return std::fma(-a, b, c); }
inline vf vmax(vf a, vf b) { return a > b ? a : b; }
inline vf vmin(vf a, vf b) { return a < b ? a : b; }
inline vf vabs(vf a) { return std::fabs(a); }
inline vf vround(vf a) { return std::nearbyint(a); }
inline vf vldexp(vf a, vf t) { return std::ldexp(a, static_cast<int>(t)); }
inline vmask vlt(vf a, vf b) { return a < b; }
inline vf vselect(vmask m, vf yes, vf no) { return m ? yes : no; }

inline float vhsum(vf v) { return v; }
inline float vhmax(vf v) { return v; }
inline void vhsum4(vf a0, vf a1, vf a2, vf a3, float* out) {
  out[0] = a0;
  out[1] = a1;
  out[2] = a2;
  out[3] = a3;
}

}  // namespace vec_scalar
}  // namespace vmlx
