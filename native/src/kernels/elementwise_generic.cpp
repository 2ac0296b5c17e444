// The element-wise kernels (elementwise/*.inc) compiled over the width-1 vector layer with baseline flags: the
// test-only "generic" set, which runs the written-once code on any CPU (including one without AVX-512).
#include "kernels/kernels.h"
#include "kernels/vec/vec_scalar.h"

#define VMLX_VEC_NS vec_scalar
#include "kernels/elementwise/ops.inc"
#include "kernels/elementwise/deltanet.inc"
