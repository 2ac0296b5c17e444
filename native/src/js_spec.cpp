#include "js_spec.h"

#include <cmath>

namespace vmlx {

namespace {

[[noreturn]] void bad(const Napi::Env& env, const std::string& path, const std::string& what) {
  throw Napi::TypeError::New(env, "model spec: " + path + " " + what);
}

double num(const Napi::Object& o, const char* key, const std::string& path) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) bad(o.Env(), path + "." + key, "must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) bad(o.Env(), path + "." + key, "must be finite");
  return d;
}

int integer(const Napi::Object& o, const char* key, const std::string& path, double lo = 0) {
  const double d = num(o, key, path);
  if (d != std::floor(d) || d < lo || d > 2147483647.0) bad(o.Env(), path + "." + key, "must be an integer >= " + std::to_string(static_cast<int>(lo)));
  return static_cast<int>(d);
}

std::string str(const Napi::Object& o, const char* key, const std::string& path) {
  Napi::Value v = o.Get(key);
  if (!v.IsString()) bad(o.Env(), path + "." + key, "must be a string");
  return v.As<Napi::String>().Utf8Value();
}

Napi::Object obj(const Napi::Object& o, const char* key, const std::string& path) {
  Napi::Value v = o.Get(key);
  if (!v.IsObject()) bad(o.Env(), path + "." + key, "must be an object");
  return v.As<Napi::Object>();
}

bool has(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  return !v.IsUndefined() && !v.IsNull();
}

TensorRef tensor(const Napi::Object& o, const std::string& path) {
  TensorRef t;
  t.name = str(o, "name", path);
  t.file = str(o, "file", path);
  const double off = num(o, "offset", path), len = num(o, "byteLength", path);
  if (off < 0 || len < 0 || off != std::floor(off) || len != std::floor(len)) bad(o.Env(), path, "offset/byteLength must be non-negative integers");
  t.offset = static_cast<uint64_t>(off);
  t.byteLength = static_cast<uint64_t>(len);
  const std::string d = str(o, "dtype", path);
  if (d == "F32") t.dtype = DType::F32;
  else if (d == "F16") t.dtype = DType::F16;
  else if (d == "BF16") t.dtype = DType::BF16;
  else if (d == "U32") t.dtype = DType::U32;
  else bad(o.Env(), path + ".dtype", "'" + d + "' is not supported (tensor " + t.name + "; supported: F32, F16, BF16, U32)");
  Napi::Value sv = o.Get("shape");
  if (!sv.IsArray()) bad(o.Env(), path + ".shape", "must be an array");
  Napi::Array sa = sv.As<Napi::Array>();
  for (uint32_t i = 0; i < sa.Length(); i++) {
    Napi::Value e = sa.Get(i);
    if (!e.IsNumber()) bad(o.Env(), path + ".shape", "must hold numbers");
    t.shape.push_back(static_cast<int64_t>(e.As<Napi::Number>().DoubleValue()));
  }
  return t;
}

TensorRef tensor_at(const Napi::Object& o, const char* key, const std::string& path) {
  return tensor(obj(o, key, path), path + "." + key);
}

}  // namespace

WeightRef parse_weight(const Napi::Object& o, const std::string& path) {
  WeightRef w;
  w.weight = tensor_at(o, "weight", path);
  w.rows = integer(o, "rows", path, 1);
  w.cols = integer(o, "cols", path, 1);
  w.quantized = has(o, "scales");
  if (w.quantized) {
    w.scales = tensor_at(o, "scales", path);
    if (!has(o, "biases")) bad(o.Env(), path + ".biases", "is required when scales are given (tensor " + w.weight.name + ")");
    w.biases = tensor_at(o, "biases", path);
    w.bits = integer(o, "bits", path, 1);
    w.groupSize = integer(o, "groupSize", path, 1);
  }
  return w;
}

ModelSpec parse_model_spec(const Napi::Object& o) {
  ModelSpec s;
  const std::string p = "spec";
  s.arch = str(o, "arch", p);
  s.hiddenSize = integer(o, "hiddenSize", p, 1);
  s.intermediateSize = integer(o, "intermediateSize", p, 1);
  s.numLayers = integer(o, "numLayers", p, 1);
  s.numHeads = integer(o, "numHeads", p, 1);
  s.numKvHeads = integer(o, "numKvHeads", p, 1);
  s.headDim = integer(o, "headDim", p, 2);
  s.vocabSize = integer(o, "vocabSize", p, 1);
  s.rmsNormEps = num(o, "rmsNormEps", p);
  s.ropeTheta = num(o, "ropeTheta", p);
  s.threads = has(o, "threads") ? integer(o, "threads", p, 1) : 1;
  if (has(o, "kernels")) s.kernels = str(o, "kernels", p);
  if (has(o, "ropeScaling")) {
    Napi::Object r = obj(o, "ropeScaling", p);
    const std::string type = str(r, "type", p + ".ropeScaling");
    if (type != "llama3") bad(o.Env(), p + ".ropeScaling.type", "'" + type + "' is not supported (supported: llama3)");
    s.ropeScaling.llama3 = true;
    s.ropeScaling.factor = num(r, "factor", p + ".ropeScaling");
    s.ropeScaling.lowFreqFactor = num(r, "lowFreqFactor", p + ".ropeScaling");
    s.ropeScaling.highFreqFactor = num(r, "highFreqFactor", p + ".ropeScaling");
    s.ropeScaling.originalMax = num(r, "originalMaxPositionEmbeddings", p + ".ropeScaling");
    if (s.ropeScaling.highFreqFactor <= s.ropeScaling.lowFreqFactor) bad(o.Env(), p + ".ropeScaling", "needs highFreqFactor > lowFreqFactor");
  }
  s.embed = parse_weight(obj(o, "embed", p), p + ".embed");
  s.finalNorm = tensor_at(o, "finalNorm", p);
  s.hasLmHead = has(o, "lmHead");
  if (s.hasLmHead) s.lmHead = parse_weight(obj(o, "lmHead", p), p + ".lmHead");
  Napi::Value lv = o.Get("layers");
  if (!lv.IsArray()) bad(o.Env(), p + ".layers", "must be an array");
  Napi::Array la = lv.As<Napi::Array>();
  for (uint32_t i = 0; i < la.Length(); i++) {
    const std::string lp = p + ".layers[" + std::to_string(i) + "]";
    Napi::Value e = la.Get(i);
    if (!e.IsObject()) bad(o.Env(), lp, "must be an object");
    Napi::Object l = e.As<Napi::Object>();
    LayerRef L;
    L.inputNorm = tensor_at(l, "inputNorm", lp);
    L.postAttentionNorm = tensor_at(l, "postAttentionNorm", lp);
    L.q = parse_weight(obj(l, "q", lp), lp + ".q");
    L.k = parse_weight(obj(l, "k", lp), lp + ".k");
    L.v = parse_weight(obj(l, "v", lp), lp + ".v");
    L.o = parse_weight(obj(l, "o", lp), lp + ".o");
    L.gate = parse_weight(obj(l, "gate", lp), lp + ".gate");
    L.up = parse_weight(obj(l, "up", lp), lp + ".up");
    L.down = parse_weight(obj(l, "down", lp), lp + ".down");
    const int biases = has(l, "qBias") + has(l, "kBias") + has(l, "vBias");
    if (biases != 0 && biases != 3) bad(o.Env(), lp, "must have all of qBias, kBias, vBias or none");
    L.hasQkvBias = biases == 3;
    if (L.hasQkvBias) {
      L.qBias = tensor_at(l, "qBias", lp);
      L.kBias = tensor_at(l, "kBias", lp);
      L.vBias = tensor_at(l, "vBias", lp);
    }
    const int norms = has(l, "qNorm") + has(l, "kNorm");
    if (norms == 1) bad(o.Env(), lp, "must have both qNorm and kNorm or neither");
    L.hasQkNorm = norms == 2;
    if (L.hasQkNorm) {
      L.qNorm = tensor_at(l, "qNorm", lp);
      L.kNorm = tensor_at(l, "kNorm", lp);
    }
    s.layers.push_back(std::move(L));
  }
  return s;
}

std::vector<int32_t> int32_vector(const Napi::Value& v, const std::string& what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw Napi::TypeError::New(v.Env(), what + " must be an Int32Array");
  Napi::Int32Array a = v.As<Napi::Int32Array>();
  return std::vector<int32_t>(a.Data(), a.Data() + a.ElementLength());
}

SamplingParams parse_sampling_params(const Napi::Object& o) {
  SamplingParams s;
  const std::string p = "params";
  auto numOr = [&](const char* k, double def) { return has(o, k) ? num(o, k, p) : def; };
  s.maxTokens = has(o, "maxTokens") ? integer(o, "maxTokens", p, 0) : 256;
  s.temperature = static_cast<float>(numOr("temperature", 0));
  s.topK = has(o, "topK") ? integer(o, "topK", p, 0) : 0;
  s.topP = static_cast<float>(numOr("topP", 1));
  s.minP = static_cast<float>(numOr("minP", 0));
  s.repetitionPenalty = static_cast<float>(numOr("repetitionPenalty", 1));
  s.presencePenalty = static_cast<float>(numOr("presencePenalty", 0));
  s.frequencyPenalty = static_cast<float>(numOr("frequencyPenalty", 0));
  s.penaltyWindow = has(o, "penaltyWindow") ? integer(o, "penaltyWindow", p, 0) : 0;
  s.seed = static_cast<uint32_t>(static_cast<int64_t>(numOr("seed", 0)));
  s.topLogprobs = has(o, "topLogprobs") ? integer(o, "topLogprobs", p, 0) : 0;
  s.logprobs = o.Get("logprobs").ToBoolean().Value();
  if (has(o, "eosTokenIds")) s.eosTokenIds = int32_vector(o.Get("eosTokenIds"), "params.eosTokenIds");
  if (s.temperature < 0) throw Napi::RangeError::New(o.Env(), "params.temperature must be >= 0");
  if (s.repetitionPenalty <= 0) throw Napi::RangeError::New(o.Env(), "params.repetitionPenalty must be > 0");
  if (s.topP <= 0 || s.topP > 1) throw Napi::RangeError::New(o.Env(), "params.topP must be in (0, 1]");
  if (s.minP < 0 || s.minP > 1) throw Napi::RangeError::New(o.Env(), "params.minP must be in [0, 1]");
  return s;
}

}  // namespace vmlx
