#include "test_hooks.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "errors.h"
#include "half.h"
#include "head_rescore.h"
#include "threadpool.h"
#include "top_k.h"
#include "weights.h"

namespace vmlx {

const KernelSet& test_kernel_set(const Napi::Value& v) {
  if (!v.IsString()) throw Napi::TypeError::New(v.Env(), "kernel set name must be a string");
  const std::string name = v.As<Napi::String>().Utf8Value();
  const KernelSet* k = name == "generic" ? &kernels_generic() : kernels_by_name(name.c_str());
  if (!k) throw Napi::Error::New(v.Env(), "kernel set '" + name + "' is not available on this CPU");
  return *k;
}

namespace {

const KernelSet& kernel_set(const Napi::Value& v) { return test_kernel_set(v); }

template <class A>
A typed(const Napi::Value& v, napi_typedarray_type type, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
    throw Napi::TypeError::New(v.Env(), std::string(what) + " has the wrong typed-array type");
  return v.As<A>();
}

const uint8_t* bytes_of(const Napi::Value& v, size_t need, const char* what) {
  if (!v.IsTypedArray()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a typed array");
  Napi::TypedArray a = v.As<Napi::TypedArray>();
  if (a.ByteLength() < need) throw Napi::RangeError::New(v.Env(), std::string(what) + " is too short");
  return static_cast<const uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
}

// desc: {kind: 'q4'|'q8'|'affine'|'mxfp4'|'f32'|'f16'|'bf16', rows, cols, bits?, groupSize?, weight, scales?, biases?}
// weight holds the bytes exactly as a safetensors file would (MLX U32 codes or float rows).
OwnedWeight pack_desc(const Napi::Object& d) {
  Napi::Env env = d.Env();
  const std::string kind = d.Get("kind").As<Napi::String>().Utf8Value();
  WeightRef ref;
  ref.rows = d.Get("rows").As<Napi::Number>().Int32Value();
  ref.cols = d.Get("cols").As<Napi::Number>().Int32Value();
  ref.weight.name = "test";
  ThreadPool pool(1);
  try {
    if (kind == "q4" || kind == "q8" || kind == "affine" || kind == "mxfp4") {
      // q4/q8: affine 4/8-bit; affine/mxfp4: the mode with desc.bits (any row of the quant traits table).
      ref.quantized = true;
      ref.mode = kind == "mxfp4" ? "mxfp4" : "affine";
      ref.bits = kind == "q4" ? 4 : kind == "q8" ? 8 : d.Get("bits").As<Napi::Number>().Int32Value();
      ref.hasBiases = kind != "mxfp4";
      ref.groupSize = d.Get("groupSize").As<Napi::Number>().Int32Value();
      ref.weight.dtype = DType::U32;
      // scales/biases: Float32Array (F32) or Uint16Array of bfloat16 bits (BF16), as a file may hold them;
      // mxfp4: Uint8Array of E8M0 exponents and no biases.
      const bool bf16 = d.Get("scales").IsTypedArray() && d.Get("scales").As<Napi::TypedArray>().TypedArrayType() == napi_uint16_array;
      ref.scales.dtype = ref.biases.dtype = kind == "mxfp4" ? DType::U8 : bf16 ? DType::BF16 : DType::F32;
      check_quant_params(ref);
      const size_t groups = static_cast<size_t>(ref.rows) * (ref.cols / ref.groupSize);
      const size_t sbBytes = kind == "mxfp4" ? 1 : bf16 ? 2 : 4;
      const uint8_t* codes = bytes_of(d.Get("weight"), static_cast<size_t>(ref.rows) * ref.cols * ref.bits / 8, "weight");
      const uint8_t* scales = bytes_of(d.Get("scales"), groups * sbBytes, "scales");
      const uint8_t* biases = ref.hasBiases ? bytes_of(d.Get("biases"), groups * sbBytes, "biases") : nullptr;
      return pack_weight_bytes(ref, codes, scales, biases, pool);
    }
    ref.weight.dtype = kind == "f32" ? DType::F32 : kind == "f16" ? DType::F16 : DType::BF16;
    if (kind != "f32" && kind != "f16" && kind != "bf16") throw Napi::TypeError::New(env, "unknown weight kind " + kind);
    return pack_weight_bytes(ref, bytes_of(d.Get("weight"), static_cast<size_t>(ref.rows) * ref.cols * (kind == "f32" ? 4 : 2), "weight"),
                             nullptr, nullptr, pool);
  } catch (const EngineError& e) {
    throw Napi::Error::New(env, e.what());
  }
}

// The activation mode named by optional argument i ('int16' when absent).
ActMode act_mode(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsUndefined()) return ActMode::Int16;
  const std::string m = info[i].As<Napi::String>().Utf8Value();
  if (m == "float") return ActMode::Float;
  if (m == "int16") return ActMode::Int16;
  if (m == "int8") return ActMode::Int8;
  throw Napi::TypeError::New(info.Env(), "activations must be 'float', 'int16' or 'int8', got '" + m + "'");
}

// matmul(set, desc, x: Float32Array [T*cols], T, activations?) -> Float32Array [T*rows]
Napi::Value Matmul(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const KernelSet& k = kernel_set(info[0]);
  OwnedWeight w = pack_desc(info[1].As<Napi::Object>());
  Napi::Float32Array x = typed<Napi::Float32Array>(info[2], napi_float32_array, "x");
  const int T = info[3].As<Napi::Number>().Int32Value();
  const int cols = w.w.cols;
  if (x.ElementLength() != static_cast<size_t>(T) * cols) throw Napi::RangeError::New(env, "x must hold T*cols floats");
  std::vector<float> xs(x.Data(), x.Data() + x.ElementLength());
  Acts a{};
  a.T = T;
  a.cols = cols;
  a.x = xs.data();
  a.qStride = (cols + 63) / 64 * 64;
  a.blocks = (cols + kActBlock - 1) / kActBlock;
  std::vector<int16_t> q(static_cast<size_t>(T) * a.qStride);
  std::vector<float> qs(static_cast<size_t>(T) * a.blocks), sums[3];
  a.q = q.data();
  a.q8 = reinterpret_cast<int8_t*>(q.data());
  a.qscale = qs.data();
  for (int l = 0; l < 3; l++) {
    sums[l].resize(static_cast<size_t>(T) * (cols / 32 + 1));
    a.gsum[l] = sums[l].data();
  }
  a.mode = act_mode(info, 4);
  if (a.mode != ActMode::Float)
    for (int t = 0; t < T; t++) k.quantize_row(a, t);
  Napi::Float32Array y = Napi::Float32Array::New(env, static_cast<size_t>(T) * w.w.rows);
  // Split the tiles in two calls to exercise tile ranges that do not start at 0.
  const int mid = w.w.tiles / 2;
  k.matmul(w.w, a, y.Data(), w.w.rows, 0, mid);
  k.matmul(w.w, a, y.Data(), w.w.rows, mid, w.w.tiles);
  return y;
}

// benchMatmul(set, desc, T, iters, activations?) -> weight bytes read per second (GB/s) on the calling thread; for tuning only.
Napi::Value BenchMatmul(const Napi::CallbackInfo& info) {
  const KernelSet& k = kernel_set(info[0]);
  OwnedWeight w = pack_desc(info[1].As<Napi::Object>());
  const int T = info[2].As<Napi::Number>().Int32Value(), iters = info[3].As<Napi::Number>().Int32Value();
  const int cols = w.w.cols;
  std::vector<float> xs(static_cast<size_t>(T) * cols, 0.5f);
  Acts a{};
  a.T = T;
  a.cols = cols;
  a.x = xs.data();
  a.qStride = (cols + 63) / 64 * 64;
  a.blocks = (cols + kActBlock - 1) / kActBlock;
  std::vector<int16_t> q(static_cast<size_t>(T) * a.qStride);
  std::vector<float> qs(static_cast<size_t>(T) * a.blocks), sums[3];
  a.q = q.data();
  a.q8 = reinterpret_cast<int8_t*>(q.data());
  a.qscale = qs.data();
  for (int l = 0; l < 3; l++) {
    sums[l].resize(static_cast<size_t>(T) * (cols / 32 + 1));
    a.gsum[l] = sums[l].data();
  }
  a.mode = act_mode(info, 4);
  if (a.mode != ActMode::Float)
    for (int t = 0; t < T; t++) k.quantize_row(a, t);
  std::vector<float> y(static_cast<size_t>(T) * w.w.rows);
  k.matmul(w.w, a, y.data(), w.w.rows, 0, w.w.tiles);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; i++) k.matmul(w.w, a, y.data(), w.w.rows, 0, w.w.tiles);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return Napi::Number::New(info.Env(), static_cast<double>(w.bytes) * iters / s / 1e9);
}

// weightRow(desc, row) -> Float32Array [cols]: the embedding-lookup dequantization of one row.
Napi::Value WeightRow(const Napi::CallbackInfo& info) {
  OwnedWeight w = pack_desc(info[0].As<Napi::Object>());
  const int row = info[1].As<Napi::Number>().Int32Value();
  if (row < 0 || row >= w.w.rows) throw Napi::RangeError::New(info.Env(), "row out of range");
  Napi::Float32Array out = Napi::Float32Array::New(info.Env(), w.w.cols);
  weight_row(w.w, row, out.Data());
  return out;
}

// rescoreTopLogits(desc, hidden [rows x cols], logits [rows x desc.rows], threads) -> Float32Array: the int8 path's
// output-projection rescoring (head_rescore.h) applied to a copy of `logits`.
Napi::Value RescoreTopLogits(const Napi::CallbackInfo& info) {
  OwnedWeight w = pack_desc(info[0].As<Napi::Object>());
  Napi::Float32Array hidden = typed<Napi::Float32Array>(info[1], napi_float32_array, "hidden");
  Napi::Float32Array logits = typed<Napi::Float32Array>(info[2], napi_float32_array, "logits");
  const int rows = static_cast<int>(hidden.ElementLength() / w.w.cols);
  if (hidden.ElementLength() != static_cast<size_t>(rows) * w.w.cols || logits.ElementLength() != static_cast<size_t>(rows) * w.w.rows)
    throw Napi::RangeError::New(info.Env(), "hidden must be [rows, cols] and logits [rows, vocab]");
  Napi::Float32Array out = Napi::Float32Array::New(info.Env(), logits.ElementLength());
  std::copy(logits.Data(), logits.Data() + logits.ElementLength(), out.Data());
  ThreadPool pool(info[3].As<Napi::Number>().Int32Value());
  std::vector<int32_t> picked;
  rescore_top_logits(w.w, hidden.Data(), w.w.cols, out.Data(), rows, w.w.rows, pool, picked);
  return out;
}

// topKUnordered(v, k) -> Int32Array of the k largest's indices, in no particular order.
Napi::Value TopKUnordered(const Napi::CallbackInfo& info) {
  Napi::Float32Array v = typed<Napi::Float32Array>(info[0], napi_float32_array, "v");
  const int k = info[1].As<Napi::Number>().Int32Value();
  if (k < 1 || static_cast<size_t>(k) > v.ElementLength()) throw Napi::RangeError::New(info.Env(), "k must be in [1, length]");
  Napi::Int32Array out = Napi::Int32Array::New(info.Env(), k);
  top_k_unordered(v.Data(), static_cast<int>(v.ElementLength()), k, out.Data());
  return out;
}

// argmaxFirst(v) -> the first index of the largest value, NaN ignored (greedy decoding).
Napi::Value ArgmaxFirst(const Napi::CallbackInfo& info) {
  Napi::Float32Array v = typed<Napi::Float32Array>(info[0], napi_float32_array, "v");
  return Napi::Number::New(info.Env(), argmax_first(v.Data(), static_cast<int>(v.ElementLength())));
}

// topIndices(v, k) -> Int32Array of the k largest's indices, largest first (top_logprobs, the sampler's top-k).
Napi::Value TopIndices(const Napi::CallbackInfo& info) {
  Napi::Float32Array v = typed<Napi::Float32Array>(info[0], napi_float32_array, "v");
  const std::vector<int32_t> idx = top_indices(v.Data(), static_cast<int>(v.ElementLength()), info[1].As<Napi::Number>().Int32Value());
  Napi::Int32Array out = Napi::Int32Array::New(info.Env(), idx.size());
  std::copy(idx.begin(), idx.end(), out.Data());
  return out;
}

// rmsnorm(set, x, w, eps) -> Float32Array
Napi::Value Rmsnorm(const Napi::CallbackInfo& info) {
  const KernelSet& k = kernel_set(info[0]);
  Napi::Float32Array x = typed<Napi::Float32Array>(info[1], napi_float32_array, "x");
  Napi::Float32Array w = typed<Napi::Float32Array>(info[2], napi_float32_array, "w");
  if (w.ElementLength() != x.ElementLength()) throw Napi::RangeError::New(info.Env(), "x and w differ in length");
  Napi::Float32Array out = Napi::Float32Array::New(info.Env(), x.ElementLength());
  k.rmsnorm(x.Data(), w.Data(), info[3].As<Napi::Number>().FloatValue(), static_cast<int>(x.ElementLength()), out.Data());
  return out;
}

// attention(set, q: Float32Array[rows*dim], k: Uint16Array[len*dim] f16, v: Uint16Array, lens: Int32Array[rows], dim,
// scale, opts?: { starts?: Int32Array[rows], sinks?: Float32Array[rows], softcap?: number, blockShift?: number })
// blockShift: the rows are copied into separate blocks of 2^blockShift rows (allocated last block first), as a paged
// cache holds them, and read through the kernel's block table.
// -> Float32Array[rows*dim]; len = max(lens)
Napi::Value Attention(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const KernelSet& ks = kernel_set(info[0]);
  Napi::Float32Array q = typed<Napi::Float32Array>(info[1], napi_float32_array, "q");
  Napi::Uint16Array k = typed<Napi::Uint16Array>(info[2], napi_uint16_array, "k");
  Napi::Uint16Array v = typed<Napi::Uint16Array>(info[3], napi_uint16_array, "v");
  Napi::Int32Array lens = typed<Napi::Int32Array>(info[4], napi_int32_array, "lens");
  const int dim = info[5].As<Napi::Number>().Int32Value();
  const int rows = static_cast<int>(lens.ElementLength());
  int len = 0;
  for (int r = 0; r < rows; r++) len = std::max(len, lens[r]);
  bool ok = rows >= 1 && rows <= kMaxAttendRows && dim >= 1 && q.ElementLength() == static_cast<size_t>(rows) * dim &&
            k.ElementLength() == static_cast<size_t>(len) * dim && v.ElementLength() == k.ElementLength();
  std::vector<int32_t> starts(rows, 0);
  std::vector<float> sinks;
  float softcap = 0.f;
  int blockShift = -1;
  if (info.Length() > 7 && info[7].IsObject()) {
    Napi::Object opts = info[7].As<Napi::Object>();
    if (opts.Has("starts")) {
      Napi::Int32Array st = typed<Napi::Int32Array>(opts.Get("starts"), napi_int32_array, "starts");
      ok = ok && st.ElementLength() == static_cast<size_t>(rows);
      if (ok) starts.assign(st.Data(), st.Data() + rows);
    }
    if (opts.Has("sinks")) {
      Napi::Float32Array sk = typed<Napi::Float32Array>(opts.Get("sinks"), napi_float32_array, "sinks");
      ok = ok && sk.ElementLength() == static_cast<size_t>(rows);
      if (ok) sinks.assign(sk.Data(), sk.Data() + rows);
    }
    if (opts.Has("softcap")) softcap = opts.Get("softcap").As<Napi::Number>().FloatValue();
    if (opts.Has("blockShift") && opts.Get("blockShift").IsNumber()) blockShift = opts.Get("blockShift").As<Napi::Number>().Int32Value();
  }
  ok = ok && blockShift >= -1 && blockShift <= 10;
  for (int r = 0; r < rows; r++) ok = ok && starts[r] >= 0 && lens[r] > starts[r];
  if (!ok) throw Napi::RangeError::New(env, "attention: inconsistent sizes");
  std::vector<float> scores(static_cast<size_t>(rows) * len);
  Napi::Float32Array out = Napi::Float32Array::New(env, static_cast<size_t>(rows) * dim);
  AttendRows a{};
  a.rows = rows;
  for (int r = 0; r < rows; r++) {
    a.q[r] = q.Data() + static_cast<size_t>(r) * dim;
    a.out[r] = out.Data() + static_cast<size_t>(r) * dim;
    a.lens[r] = lens[r];
    a.starts[r] = starts[r];
    a.sink[r] = sinks.empty() ? nullptr : &sinks[r];
  }
  a.softcap = softcap;
  a.k = k.Data();
  a.v = v.Data();
  std::vector<std::vector<uint16_t>> kBlocks, vBlocks;
  std::vector<const uint16_t*> kRows, vRows;
  if (blockShift >= 0) {
    const int per = 1 << blockShift, n = (len + per - 1) / per;
    kBlocks.resize(n), vBlocks.resize(n), kRows.resize(n), vRows.resize(n);
    for (int b = n - 1; b >= 0; b--) {
      const size_t first = static_cast<size_t>(b) * per * dim, count = static_cast<size_t>(std::min(per, len - b * per)) * dim;
      kBlocks[b].assign(k.Data() + first, k.Data() + first + count);
      vBlocks[b].assign(v.Data() + first, v.Data() + first + count);
      kRows[b] = kBlocks[b].data();
      vRows[b] = vBlocks[b].data();
    }
    a.k = a.v = nullptr;
    a.kBlocks = kRows.data();
    a.vBlocks = vRows.data();
    a.blockShift = blockShift;
  }
  a.dim = dim;
  a.stride = dim;
  a.scale = info[6].As<Napi::Number>().FloatValue();
  a.scores = scores.data();
  ks.attend_rows(a);
  return out;
}

// op(g, u) through one of the kernel set's gated products, on a copy of g.
Napi::Value GatedProduct(const Napi::CallbackInfo& info, void (*KernelSet::*op)(float*, const float*, int)) {
  const KernelSet& ks = kernel_set(info[0]);
  Napi::Float32Array g = typed<Napi::Float32Array>(info[1], napi_float32_array, "g");
  Napi::Float32Array u = typed<Napi::Float32Array>(info[2], napi_float32_array, "u");
  if (g.ElementLength() != u.ElementLength()) throw Napi::RangeError::New(info.Env(), "g and u differ in length");
  Napi::Float32Array out = Napi::Float32Array::New(info.Env(), g.ElementLength());
  std::copy(g.Data(), g.Data() + g.ElementLength(), out.Data());
  (ks.*op)(out.Data(), u.Data(), static_cast<int>(g.ElementLength()));
  return out;
}

// siluMul(set, g, u) -> Float32Array: silu(g) * u
Napi::Value SiluMul(const Napi::CallbackInfo& info) { return GatedProduct(info, &KernelSet::silu_mul); }

// geluTanhMul(set, g, u) -> Float32Array: gelu_tanh(g) * u
Napi::Value GeluTanhMul(const Napi::CallbackInfo& info) { return GatedProduct(info, &KernelSet::gelu_tanh_mul); }

// softcap(set, x, cap) -> Float32Array: cap * tanh(x / cap)
Napi::Value Softcap(const Napi::CallbackInfo& info) {
  const KernelSet& ks = kernel_set(info[0]);
  Napi::Float32Array x = typed<Napi::Float32Array>(info[1], napi_float32_array, "x");
  Napi::Float32Array out = Napi::Float32Array::New(info.Env(), x.ElementLength());
  std::copy(x.Data(), x.Data() + x.ElementLength(), out.Data());
  ks.softcap(out.Data(), static_cast<int>(x.ElementLength()), info[2].As<Napi::Number>().FloatValue());
  return out;
}

// expScaled(set, x, shift, scale) -> { out: Float32Array, sum }: exp((x - shift) * scale), 0 for -inf
Napi::Value ExpScaled(const Napi::CallbackInfo& info) {
  const KernelSet& ks = kernel_set(info[0]);
  Napi::Float32Array x = typed<Napi::Float32Array>(info[1], napi_float32_array, "x");
  Napi::Float32Array out = Napi::Float32Array::New(info.Env(), x.ElementLength());
  const double sum = ks.exp_scaled(x.Data(), static_cast<int>(x.ElementLength()), info[2].As<Napi::Number>().FloatValue(),
                                   info[3].As<Napi::Number>().FloatValue(), out.Data());
  Napi::Object r = Napi::Object::New(info.Env());
  r.Set("out", out);
  r.Set("sum", sum);
  return r;
}

// toF16(set, x) -> Uint16Array through the kernel set's KV-cache store conversion
Napi::Value ToF16(const Napi::CallbackInfo& info) {
  const KernelSet& ks = kernel_set(info[0]);
  Napi::Float32Array x = typed<Napi::Float32Array>(info[1], napi_float32_array, "x");
  Napi::Uint16Array out = Napi::Uint16Array::New(info.Env(), x.ElementLength());
  ks.to_f16(x.Data(), out.Data(), static_cast<int>(x.ElementLength()));
  return out;
}

Napi::Value F32ToF16(const Napi::CallbackInfo& info) {
  Napi::Float32Array x = typed<Napi::Float32Array>(info[0], napi_float32_array, "x");
  Napi::Uint16Array out = Napi::Uint16Array::New(info.Env(), x.ElementLength());
  for (size_t i = 0; i < x.ElementLength(); i++) out[i] = vmlx_f32_to_f16(x[i]);
  return out;
}

Napi::Value F16ToF32(const Napi::CallbackInfo& info) {
  Napi::Uint16Array x = typed<Napi::Uint16Array>(info[0], napi_uint16_array, "x");
  Napi::Float32Array out = Napi::Float32Array::New(info.Env(), x.ElementLength());
  for (size_t i = 0; i < x.ElementLength(); i++) out[i] = vmlx_f16_to_f32(x[i]);
  return out;
}

Napi::Value KernelSets(const Napi::CallbackInfo& info) {
  Napi::Array a = Napi::Array::New(info.Env());
  uint32_t n = 0;
  for (const char* name : {"scalar", "avx2", "avx512_vnni"})
    if (kernels_by_name(name)) a.Set(n++, Napi::String::New(info.Env(), name));
  return a;
}

}  // namespace

Napi::Object make_test_hooks(Napi::Env env) {
  Napi::Object t = Napi::Object::New(env);
  t.Set("kernelSets", Napi::Function::New(env, KernelSets, "kernelSets"));
  t.Set("matmul", Napi::Function::New(env, Matmul, "matmul"));
  t.Set("benchMatmul", Napi::Function::New(env, BenchMatmul, "benchMatmul"));
  t.Set("weightRow", Napi::Function::New(env, WeightRow, "weightRow"));
  t.Set("rescoreTopLogits", Napi::Function::New(env, RescoreTopLogits, "rescoreTopLogits"));
  t.Set("topKUnordered", Napi::Function::New(env, TopKUnordered, "topKUnordered"));
  t.Set("argmaxFirst", Napi::Function::New(env, ArgmaxFirst, "argmaxFirst"));
  t.Set("topIndices", Napi::Function::New(env, TopIndices, "topIndices"));
  t.Set("rmsnorm", Napi::Function::New(env, Rmsnorm, "rmsnorm"));
  t.Set("attention", Napi::Function::New(env, Attention, "attention"));
  t.Set("siluMul", Napi::Function::New(env, SiluMul, "siluMul"));
  t.Set("geluTanhMul", Napi::Function::New(env, GeluTanhMul, "geluTanhMul"));
  t.Set("softcap", Napi::Function::New(env, Softcap, "softcap"));
  t.Set("toF16", Napi::Function::New(env, ToF16, "toF16"));
  t.Set("expScaled", Napi::Function::New(env, ExpScaled, "expScaled"));
  t.Set("f32ToF16", Napi::Function::New(env, F32ToF16, "f32ToF16"));
  t.Set("f16ToF32", Napi::Function::New(env, F16ToF32, "f16ToF32"));
  add_deltanet_test_hooks(env, t);
  add_sampler_test_hooks(env, t);
  return t;
}

}  // namespace vmlx
