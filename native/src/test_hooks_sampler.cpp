// addon._test hooks for next-token selection: the sampler on given logits, many draws with one seeded sampler, so
// test/native can check which tokens top-k, top-p and min-p allow and how often each is drawn.
#include <string>
#include <vector>

#include "js_spec.h"
#include "kernels/kernels.h"
#include "sampler.h"
#include "test_hooks.h"

namespace vmlx {
namespace {

// The arguments both hooks share: (set, logits: Float32Array, params), as a sampler over that vocabulary.
struct SamplerArgs {
  Napi::Float32Array logits;
  int vocab;
  Sampler sampler;
};

SamplerArgs sampler_args(const Napi::CallbackInfo& info, const char* hook) {
  const KernelSet& ks = test_kernel_set(info[0]);
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(info.Env(), "logits must be a Float32Array");
  if (!info[2].IsObject()) throw Napi::TypeError::New(info.Env(), "params must be an object");
  Napi::Float32Array logits = info[1].As<Napi::Float32Array>();
  const int vocab = static_cast<int>(logits.ElementLength());
  if (vocab < 1) throw Napi::RangeError::New(info.Env(), std::string(hook) + ": empty logits");
  return {logits, vocab, Sampler(parse_sampling_params(info[2].As<Napi::Object>()), vocab, ks)};
}

// sampleTokens(set, logits, params, draws) -> Int32Array of `draws` tokens drawn one after another by one sampler
// (its RNG advances; no history, so no penalties), the whole-vocabulary probabilities through kernel set `set`.
Napi::Value SampleTokens(const Napi::CallbackInfo& info) {
  SamplerArgs a = sampler_args(info, "sampleTokens");
  const int draws = info[3].As<Napi::Number>().Int32Value();
  if (draws < 1) throw Napi::RangeError::New(info.Env(), "sampleTokens: no draws");
  const std::vector<int32_t> history;
  std::vector<float> row(a.vocab);
  Napi::Int32Array out = Napi::Int32Array::New(info.Env(), draws);
  TokenEvent ev;
  for (int d = 0; d < draws; d++) {
    row.assign(a.logits.Data(), a.logits.Data() + a.vocab);  // sample() may change its logits
    out[d] = a.sampler.sample(row.data(), history, ev);
  }
  return out;
}

// sampleOnce(set, logits, params) -> { token, logprob, topIds, topLogprobs }: one draw with its log-probabilities.
Napi::Value SampleOnce(const Napi::CallbackInfo& info) {
  SamplerArgs a = sampler_args(info, "sampleOnce");
  std::vector<float> row(a.logits.Data(), a.logits.Data() + a.vocab);
  TokenEvent ev;
  a.sampler.sample(row.data(), {}, ev);
  Napi::Object r = Napi::Object::New(info.Env());
  r.Set("token", ev.token);
  r.Set("logprob", ev.hasLogprob ? Napi::Value(Napi::Number::New(info.Env(), ev.logprob)) : info.Env().Null());
  Napi::Int32Array ids = Napi::Int32Array::New(info.Env(), ev.topIds.size());
  Napi::Float32Array lps = Napi::Float32Array::New(info.Env(), ev.topLogprobs.size());
  for (size_t i = 0; i < ev.topIds.size(); i++) ids[i] = ev.topIds[i], lps[i] = ev.topLogprobs[i];
  r.Set("topIds", ids);
  r.Set("topLogprobs", lps);
  return r;
}

}  // namespace

void add_sampler_test_hooks(Napi::Env env, Napi::Object& hooks) {
  hooks.Set("sampleTokens", Napi::Function::New(env, SampleTokens, "sampleTokens"));
  hooks.Set("sampleOnce", Napi::Function::New(env, SampleOnce, "sampleOnce"));
}

}  // namespace vmlx
