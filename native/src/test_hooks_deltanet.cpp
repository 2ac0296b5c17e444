// addon._test hooks for the Gated DeltaNet kernels (KernelSet::conv_silu, delta_rule, l2_normalize, rmsnorm_gated),
// so test/native can run each kernel set against the scalar reference on random inputs.
#include <algorithm>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "test_hooks.h"

namespace vmlx {
namespace {

Napi::Float32Array f32(const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a Float32Array");
  return v.As<Napi::Float32Array>();
}

int int_of(const Napi::Object& o, const char* key) {
  const Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a number");
  return v.As<Napi::Number>().Int32Value();
}

void need(Napi::Env env, bool ok, const char* what) {
  if (!ok) throw Napi::RangeError::New(env, std::string(what) + ": inconsistent sizes");
}

// rmsnormGated(set, x, w, z, eps) -> Float32Array
Napi::Value RmsnormGated(const Napi::CallbackInfo& info) {
  const KernelSet& k = test_kernel_set(info[0]);
  Napi::Float32Array x = f32(info[1], "x"), w = f32(info[2], "w"), z = f32(info[3], "z");
  const size_t n = x.ElementLength();
  need(info.Env(), w.ElementLength() == n && z.ElementLength() == n, "rmsnormGated");
  Napi::Float32Array out = Napi::Float32Array::New(info.Env(), n);
  k.rmsnorm_gated(x.Data(), w.Data(), z.Data(), info[4].As<Napi::Number>().FloatValue(), static_cast<int>(n), out.Data());
  return out;
}

// l2Normalize(set, x, eps, scale) -> Float32Array
Napi::Value L2Normalize(const Napi::CallbackInfo& info) {
  const KernelSet& k = test_kernel_set(info[0]);
  Napi::Float32Array x = f32(info[1], "x");
  Napi::Float32Array out = Napi::Float32Array::New(info.Env(), x.ElementLength());
  std::copy(x.Data(), x.Data() + x.ElementLength(), out.Data());
  k.l2_normalize(out.Data(), static_cast<int>(x.ElementLength()), info[2].As<Napi::Number>().FloatValue(),
                 info[3].As<Napi::Number>().FloatValue());
  return out;
}

// convSilu(set, {hist [(K-1)*C], x [T*C], w [K*C], T, C, K, c0, c1}) -> {out: [T*C] (channels outside [c0, c1) stay 0)}
Napi::Value ConvSilu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const KernelSet& k = test_kernel_set(info[0]);
  const Napi::Object a = info[1].As<Napi::Object>();
  const int T = int_of(a, "T"), C = int_of(a, "C"), K = int_of(a, "K"), c0 = int_of(a, "c0"), c1 = int_of(a, "c1");
  Napi::Float32Array hist = f32(a.Get("hist"), "hist"), x = f32(a.Get("x"), "x"), w = f32(a.Get("w"), "w");
  need(env, T >= 1 && C >= 1 && K >= 1 && K <= kMaxConvKernel && c0 >= 0 && c0 <= c1 && c1 <= C, "convSilu");
  need(env, hist.ElementLength() == static_cast<size_t>(K - 1) * C && x.ElementLength() == static_cast<size_t>(T) * C &&
                w.ElementLength() == static_cast<size_t>(K) * C, "convSilu");
  Napi::Float32Array out = Napi::Float32Array::New(env, static_cast<size_t>(T) * C);
  const ConvSpan s{hist.Data(), x.Data(), static_cast<size_t>(C), w.Data(), out.Data(), static_cast<size_t>(C), T, C, K, c0, c1};
  k.conv_silu(s);
  return out;
}

// deltaRule(set, {S [dv*dk], q [T*dk], k [T*dk], v [T*dv], g [T], beta [T], dk, dv, T})
//   -> {S: the updated state, o: [T*dv]}; the inputs are left unchanged.
Napi::Value DeltaRule(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const KernelSet& ks = test_kernel_set(info[0]);
  const Napi::Object a = info[1].As<Napi::Object>();
  const int dk = int_of(a, "dk"), dv = int_of(a, "dv"), T = int_of(a, "T");
  Napi::Float32Array S0 = f32(a.Get("S"), "S"), q = f32(a.Get("q"), "q"), k = f32(a.Get("k"), "k"), v = f32(a.Get("v"), "v");
  Napi::Float32Array g = f32(a.Get("g"), "g"), beta = f32(a.Get("beta"), "beta");
  need(env, dk >= 1 && dv >= 1 && T >= 1 && S0.ElementLength() == static_cast<size_t>(dv) * dk, "deltaRule");
  need(env, q.ElementLength() == static_cast<size_t>(T) * dk && k.ElementLength() == q.ElementLength() &&
                v.ElementLength() == static_cast<size_t>(T) * dv && g.ElementLength() == static_cast<size_t>(T) &&
                beta.ElementLength() == g.ElementLength(), "deltaRule");
  Napi::Float32Array S = Napi::Float32Array::New(env, S0.ElementLength());
  std::copy(S0.Data(), S0.Data() + S0.ElementLength(), S.Data());
  Napi::Float32Array o = Napi::Float32Array::New(env, static_cast<size_t>(T) * dv);
  const DeltaRuleSpan s{S.Data(), dk, dv, T, q.Data(), k.Data(), static_cast<size_t>(dk), v.Data(), static_cast<size_t>(dv),
                        g.Data(), beta.Data(), 1, o.Data(), static_cast<size_t>(dv)};
  ks.delta_rule(s);
  Napi::Object r = Napi::Object::New(env);
  r.Set("S", S);
  r.Set("o", o);
  return r;
}

}  // namespace

void add_deltanet_test_hooks(Napi::Env env, Napi::Object& t) {
  t.Set("rmsnormGated", Napi::Function::New(env, RmsnormGated, "rmsnormGated"));
  t.Set("l2Normalize", Napi::Function::New(env, L2Normalize, "l2Normalize"));
  t.Set("convSilu", Napi::Function::New(env, ConvSilu, "convSilu"));
  t.Set("deltaRule", Napi::Function::New(env, DeltaRule, "deltaRule"));
}

}  // namespace vmlx
