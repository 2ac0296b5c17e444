// Runtime choice of the kernel set (baseline x86-64 code: safe to run on any CPU).
#include <cstdlib>
#include <cstring>

#include "kernels/kernels.h"

namespace vmlx {

namespace {
bool cpu_has_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}
bool cpu_has_avx512() {
  __builtin_cpu_init();
  return cpu_has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vnni");
}
}  // namespace

const KernelSet* kernels_by_name(const char* name) {
  if (std::strcmp(name, "scalar") == 0) return &kernels_scalar();
  if (std::strcmp(name, "avx2") == 0) return cpu_has_avx2() ? &kernels_avx2_table() : nullptr;
  if (std::strcmp(name, "avx512") == 0 || std::strcmp(name, "avx512_vnni") == 0)
    return cpu_has_avx512() ? &kernels_avx512_table() : nullptr;
  return nullptr;
}

const KernelSet& kernels_active() {
  static const KernelSet* chosen = [] {
    const char* env = std::getenv("VMLX_KERNELS");
    if (env && *env) {
      if (const KernelSet* k = kernels_by_name(env)) return k;
    }
    if (cpu_has_avx512()) return &kernels_avx512_table();
    if (cpu_has_avx2()) return &kernels_avx2_table();
    return &kernels_scalar();
  }();
  return *chosen;
}

}  // namespace vmlx
