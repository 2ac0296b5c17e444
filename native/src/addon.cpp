// N-API entry point of the vmlx native engine.
#include <napi.h>

namespace {

Napi::Object CpuInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2");
  const bool fma = __builtin_cpu_supports("fma");
  const bool avx512f = __builtin_cpu_supports("avx512f");
  const bool avx512bw = __builtin_cpu_supports("avx512bw");
  const bool vnni = __builtin_cpu_supports("avx512vnni");
  o.Set("avx2", avx2);
  o.Set("fma", fma);
  o.Set("avx512f", avx512f);
  o.Set("avx512bw", avx512bw);
  o.Set("avx512vnni", vnni);
  o.Set("avx512bf16", false);
  o.Set("kernels", avx512f && avx512bw && vnni ? "avx512_vnni" : (avx2 && fma ? "avx2" : "scalar"));
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("cpuInfo", Napi::Function::New(env, CpuInfo));
  return exports;
}

}  // namespace

NODE_API_MODULE(vmlx_native, Init)
