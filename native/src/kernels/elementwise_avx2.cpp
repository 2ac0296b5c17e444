// The element-wise kernels (elementwise/*.inc) compiled over the AVX2 + FMA + F16C vector layer (8 lanes) with this
// file's instruction-set flags (CMakeLists.txt). Only called after dispatch.cpp has checked the CPU.
#include "kernels/kernels.h"
#include "kernels/vec/vec_avx2.h"

#define VMLX_VEC_NS vec_avx2
#include "kernels/elementwise/ops.inc"
#include "kernels/elementwise/deltanet.inc"
