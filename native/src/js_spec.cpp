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
  else if (d == "U8") t.dtype = DType::U8;
  else bad(o.Env(), path + ".dtype", "'" + d + "' is not supported (tensor " + t.name + "; supported: F32, F16, BF16, U32, U8)");
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

bool flag(const Napi::Object& o, const char* key) { return o.Get(key).ToBoolean().Value(); }

void parse_rope_scaling(const Napi::Object& sc, const std::string& sp, RopePlan& rope) {
  const std::string type = str(sc, "type", sp);
  if (type == "llama3") {
    rope.scaling = RopeScaling::Llama3;
    rope.factor = num(sc, "factor", sp);
    rope.lowFreqFactor = num(sc, "lowFreqFactor", sp);
    rope.highFreqFactor = num(sc, "highFreqFactor", sp);
    rope.originalMax = num(sc, "originalMaxPositionEmbeddings", sp);
    if (rope.highFreqFactor <= rope.lowFreqFactor) bad(sc.Env(), sp, "needs highFreqFactor > lowFreqFactor");
  } else if (type == "yarn") {
    rope.scaling = RopeScaling::Yarn;
    rope.factor = num(sc, "factor", sp);
    rope.betaFast = num(sc, "betaFast", sp);
    rope.betaSlow = num(sc, "betaSlow", sp);
    rope.originalMax = num(sc, "originalMaxPositionEmbeddings", sp);
    rope.attentionFactor = num(sc, "attentionFactor", sp);
    if (rope.factor <= 0 || rope.betaFast <= 0 || rope.betaSlow <= 0 || rope.originalMax <= 0) bad(sc.Env(), sp, "needs positive factor, betaFast, betaSlow and originalMaxPositionEmbeddings");
  } else if (type == "longrope") {
    rope.scaling = RopeScaling::Longrope;
    rope.attentionFactor = num(sc, "attentionFactor", sp);
    Napi::Value fv = sc.Get("freqFactors");
    if (!fv.IsArray()) bad(sc.Env(), sp + ".freqFactors", "must be an array");
    Napi::Array fa = fv.As<Napi::Array>();
    if (fa.Length() != static_cast<uint32_t>(rope.rotaryDims / 2)) bad(sc.Env(), sp + ".freqFactors", "must hold rotaryDims/2 = " + std::to_string(rope.rotaryDims / 2) + " numbers");
    for (uint32_t i = 0; i < fa.Length(); i++) {
      Napi::Value e = fa.Get(i);
      if (!e.IsNumber() || !(e.As<Napi::Number>().DoubleValue() > 0)) bad(sc.Env(), sp + ".freqFactors", "must hold positive numbers");
      rope.freqFactors.push_back(e.As<Napi::Number>().DoubleValue());
    }
  } else if (type == "linear") {
    rope.scaling = RopeScaling::Linear;
    rope.factor = num(sc, "factor", sp);
    if (!(rope.factor > 0)) bad(sc.Env(), sp + ".factor", "must be positive");
  } else if (type == "proportional") {
    rope.scaling = RopeScaling::Proportional;
    rope.rotatedPairs = integer(sc, "rotatedPairs", sp, 0);
    if (rope.rotatedPairs > rope.rotaryDims / 2) bad(sc.Env(), sp + ".rotatedPairs", "must be <= rotaryDims / 2");
  } else {
    bad(sc.Env(), sp + ".type", "'" + type + "' is not supported (supported: llama3, yarn, longrope, linear, proportional)");
  }
  if (!(rope.attentionFactor > 0)) bad(sc.Env(), sp + ".attentionFactor", "must be positive");
}

RopePlan parse_rope(const Napi::Object& r, const std::string& p) {
  RopePlan rope;
  const std::string kind = str(r, "kind", p);
  if (kind == "none") return rope;
  if (kind != "neox") bad(r.Env(), p + ".kind", "'" + kind + "' is not supported (supported: neox, none)");
  rope.kind = RopeKind::Neox;
  rope.theta = num(r, "theta", p);
  rope.rotaryDims = integer(r, "rotaryDims", p, 2);
  if (rope.rotaryDims % 2) bad(r.Env(), p + ".rotaryDims", "must be even");
  if (has(r, "scaling")) parse_rope_scaling(obj(r, "scaling", p), p + ".scaling", rope);
  return rope;
}

void parse_moe(const Napi::Object& f, const std::string& fp, MlpPlan& m) {
  m.kind = MlpKind::Moe;
  m.numExperts = integer(f, "numExperts", fp, 1);
  m.topK = integer(f, "topK", fp, 1);
  if (m.topK > m.numExperts) bad(f.Env(), fp + ".topK", "must be <= numExperts");
  m.expertIntermediateSize = integer(f, "expertIntermediateSize", fp, 1);
  const std::string sc = str(f, "scoring", fp);
  if (sc == "softmax") m.scoring = RouterScoring::Softmax;
  else if (sc == "sigmoid") m.scoring = RouterScoring::Sigmoid;
  else if (sc == "softmax_topk") m.scoring = RouterScoring::SoftmaxTopK;
  else bad(f.Env(), fp + ".scoring", "'" + sc + "' is not supported (supported: softmax, sigmoid, softmax_topk)");
  m.normTopK = flag(f, "normTopK");
  m.routerBias = flag(f, "routerBias");
  m.expertBias = flag(f, "expertBias");
  m.routerNorm = flag(f, "routerNorm");
  m.expertScale = flag(f, "expertScale");
  if (m.activation == Activation::SwigluOai) {
    Napi::Object sw = obj(f, "swiglu", fp);
    m.swigluAlpha = num(sw, "alpha", fp + ".swiglu");
    m.swigluLimit = num(sw, "limit", fp + ".swiglu");
    if (!(m.swigluAlpha > 0) || !(m.swigluLimit > 0)) bad(f.Env(), fp + ".swiglu", "alpha and limit must be positive");
  }
  if (has(f, "sharedExpert")) {
    Napi::Object se = obj(f, "sharedExpert", fp);
    m.sharedIntermediateSize = integer(se, "intermediateSize", fp + ".sharedExpert", 1);
    m.sharedGated = flag(se, "gated");
  }
}

// A feed-forward block: the layer's mlp, or the experts beside it (Gemma 4's moe).
void parse_mlp(const Napi::Object& f, const std::string& fp, MlpPlan& m) {
  const std::string fk = str(f, "kind", fp);
  const std::string act = str(f, "activation", fp);
  if (act == "silu") m.activation = Activation::Silu;
  else if (act == "gelu_tanh") m.activation = Activation::GeluTanh;
  else if (act == "swiglu_oai" && fk == "moe") m.activation = Activation::SwigluOai;
  else bad(f.Env(), fp + ".activation", "'" + act + "' is not supported (supported: silu, gelu_tanh" + (fk == "moe" ? ", swiglu_oai" : "") + ")");
  if (fk == "gated") {
    m.intermediateSize = integer(f, "intermediateSize", fp, 1);
  } else if (fk == "moe") {
    parse_moe(f, fp, m);
  } else {
    bad(f.Env(), fp + ".kind", "'" + fk + "' is not supported (supported: gated, moe)");
  }
}

LayerPlan parse_layer(const Napi::Object& l, const std::string& lp) {
  LayerPlan L;
  Napi::Object m = obj(l, "mixer", lp);
  const std::string mp = lp + ".mixer";
  const std::string mk = str(m, "kind", mp);
  if (mk == "gated_deltanet") {
    L.mixer = MixerKind::GatedDeltaNet;
    DeltaNetPlan& d = L.deltaNet;
    d.numKHeads = integer(m, "numKHeads", mp, 1);
    d.numVHeads = integer(m, "numVHeads", mp, 1);
    d.headKDim = integer(m, "headKDim", mp, 1);
    d.headVDim = integer(m, "headVDim", mp, 1);
    d.convKernel = integer(m, "convKernel", mp, 1);
    if (d.numVHeads % d.numKHeads) bad(l.Env(), mp + ".numKHeads", "must divide numVHeads");
  } else if (mk == "attention") {
    AttentionPlan& a = L.attention;
    a.numHeads = integer(m, "numHeads", mp, 1);
    a.numKvHeads = integer(m, "numKvHeads", mp, 1);
    a.headDim = integer(m, "headDim", mp, 2);
    if (a.numHeads % a.numKvHeads) bad(l.Env(), mp + ".numKvHeads", "must divide numHeads");
    a.qkNorm = flag(m, "qkNorm");
    a.qkvBias = flag(m, "qkvBias");
    a.outputBias = flag(m, "outputBias");
    a.sinks = flag(m, "sinks");
    a.outputGate = flag(m, "outputGate");
    a.valueNorm = flag(m, "valueNorm");
    a.valueFromKey = flag(m, "valueFromKey");
    if (has(m, "kvSource")) a.kvSource = integer(m, "kvSource", mp, 0);
    if (has(m, "slidingWindow")) a.slidingWindow = integer(m, "slidingWindow", mp, 1);
    if (has(m, "softcap")) a.softcap = num(m, "softcap", mp);
    if (has(m, "queryScale") && !((a.queryScale = num(m, "queryScale", mp)) > 0)) bad(l.Env(), mp + ".queryScale", "must be > 0");
    if (a.softcap < 0) bad(l.Env(), mp + ".softcap", "must be >= 0");
    a.rope = parse_rope(obj(m, "rope", mp), mp + ".rope");
    if (a.rope.rotaryDims > a.headDim) bad(l.Env(), mp + ".rope.rotaryDims", "must be <= headDim");
  } else {
    bad(l.Env(), mp + ".kind", "'" + mk + "' is not supported (supported: attention, gated_deltanet)");
  }
  parse_mlp(obj(l, "mlp", lp), lp + ".mlp", L.mlp);
  if (has(l, "moe")) {
    L.hasMoe = true;
    parse_mlp(obj(l, "moe", lp), lp + ".moe", L.moe);
    if (L.moe.kind != MlpKind::Moe) bad(l.Env(), lp + ".moe.kind", "must be 'moe'");
  }
  return L;
}

}  // namespace

WeightRef parse_weight(const Napi::Object& o, const std::string& path) {
  WeightRef w;
  w.weight = tensor(o, path);
  if (!has(o, "quant")) return w;
  Napi::Object q = obj(o, "quant", path);
  const std::string qp = path + ".quant";
  w.quantized = true;
  w.mode = str(q, "mode", qp);
  w.bits = integer(q, "bits", qp, 1);
  w.groupSize = integer(q, "groupSize", qp, 1);
  w.scales = tensor_at(q, "scales", qp);
  w.hasBiases = has(q, "biases");
  if (w.hasBiases) w.biases = tensor_at(q, "biases", qp);
  return w;
}

ModelSpec parse_model_spec(const Napi::Object& o) {
  ModelSpec s;
  const std::string p = "spec";
  s.arch = str(o, "arch", p);
  s.hiddenSize = integer(o, "hiddenSize", p, 1);
  s.vocabSize = integer(o, "vocabSize", p, 1);
  s.rmsNormEps = num(o, "rmsNormEps", p);
  if (has(o, "embedScale") && !((s.embedScale = num(o, "embedScale", p)) > 0)) bad(o.Env(), p + ".embedScale", "must be > 0");
  if (has(o, "normOffset")) s.normOffset = num(o, "normOffset", p);
  if (has(o, "finalSoftcap") && !((s.finalSoftcap = num(o, "finalSoftcap", p)) > 0)) bad(o.Env(), p + ".finalSoftcap", "must be > 0");
  if (has(o, "perLayerInputSize")) s.perLayerInputSize = integer(o, "perLayerInputSize", p, 1);
  s.threads = has(o, "threads") ? integer(o, "threads", p, 1) : 1;
  if (has(o, "kernels")) s.kernels = str(o, "kernels", p);
  if (has(o, "activations")) {
    const std::string mode = str(o, "activations", p);
    if (mode == "float") s.activations = ActMode::Float;
    else if (mode == "int16") s.activations = ActMode::Int16;
    else if (mode == "int8") s.activations = ActMode::Int8;
    else bad(o.Env(), p + ".activations", "must be 'float', 'int16' or 'int8', got '" + mode + "'");
  }
  Napi::Value lv = o.Get("layers");
  if (!lv.IsArray()) bad(o.Env(), p + ".layers", "must be an array");
  Napi::Array la = lv.As<Napi::Array>();
  if (la.Length() == 0) bad(o.Env(), p + ".layers", "must not be empty");
  for (uint32_t i = 0; i < la.Length(); i++) {
    const std::string lp = p + ".layers[" + std::to_string(i) + "]";
    Napi::Value e = la.Get(i);
    if (!e.IsObject()) bad(o.Env(), lp, "must be an object");
    s.layers.push_back(parse_layer(e.As<Napi::Object>(), lp));
    const AttentionPlan& a = s.layers.back().attention;
    if (a.kvSource >= 0) {
      // The source's cache must exist (an earlier attention layer with its own k/v) and hold rows of the same shape.
      const int src = a.kvSource;
      if (src >= static_cast<int>(i)) bad(o.Env(), lp + ".mixer.kvSource", "must name an earlier layer");
      const LayerPlan& sl = s.layers[src];
      if (sl.mixer != MixerKind::Attention || sl.attention.kvSource >= 0) bad(o.Env(), lp + ".mixer.kvSource", "must name an attention layer with its own k/v");
      if (sl.attention.numKvHeads != a.numKvHeads || sl.attention.headDim != a.headDim || sl.attention.slidingWindow != a.slidingWindow)
        bad(o.Env(), lp + ".mixer.kvSource", "must name a layer with the same numKvHeads, headDim and slidingWindow");
    }
  }
  Napi::Object t = obj(o, "tensors", p);
  Napi::Array names = t.GetPropertyNames();
  for (uint32_t i = 0; i < names.Length(); i++) {
    const std::string name = names.Get(i).As<Napi::String>().Utf8Value();
    const std::string tp = p + ".tensors['" + name + "']";
    Napi::Value e = t.Get(name);
    if (!e.IsObject()) bad(o.Env(), tp, "must be an object");
    s.tensors.emplace(name, parse_weight(e.As<Napi::Object>(), tp));
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
