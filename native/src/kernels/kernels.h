// The kernel interface shared by every instruction set (scalar, AVX2+FMA, AVX-512 VNNI).
// Plain structs only: this header is compiled into files built with different -m flags.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace vmlx {

// Weight rows are processed in tiles of kTileRows; quantized weights are repacked tile by tile (see weights.cpp).
constexpr int kTileRows = 16;
// Activations are quantized to int16 in blocks of kActBlock elements, one float scale per block (the smallest
// group size, so a weight group always covers whole activation blocks).
constexpr int kActBlock = 32;

enum class WeightKind : int { F32 = 0, F16 = 1, BF16 = 2, Q4 = 3, Q8 = 4 };

// How the quantized matmuls read their input. Float keeps the activations in float32 and dequantizes each weight
// group in registers (the precise path: the parity tests use it); Int16 rounds them to int16 per kActBlock block
// (the default); Int8 rounds them to int8 per block (symmetric, scale = max|x| / 127), for u8 x s8 dot products
// (vpdpbusd, vpmaddubsw). Every mode quantizes each row on its own, so a row's result never depends on the other
// rows of a batch. Float weights always read float activations.
enum class ActMode : int { Int16 = 0, Float = 1, Int8 = 2 };

// A weight matrix [rows, cols] in the layout the kernels read. A view: memory is owned by the model.
//  * F32/F16/BF16: row-major, `data` holds rows*cols elements of that type.
//  * Q4/Q8 (MLX affine, w = scale*q + bias): tile-major. For tile t (16 rows, the last one zero-padded) and group g,
//    `data` holds groupSize/pairs chunks of 32 bytes; chunk c covers the 16 rows:
//      Q8: bytes 2i, 2i+1 = codes of row i, elements 2c, 2c+1
//      Q4: byte 2i = elements 4c (low nibble) and 4c+2 (high); byte 2i+1 = elements 4c+1 and 4c+3
//    so zero-extending the 32 bytes to 16-bit words gives, per 32-bit lane i, the pairs that vpdpwssd/pmaddwd consume.
//    scales/biases: [tiles][groups][16], bfloat16 when the file holds bfloat16 (lossless, 10% fewer bytes per token
//    for 4-bit group 64), else float32.
// A Q4 weight's code table (quant.h): 4-bit value v stands for code codeTable[v] < kMaxTableCode.
constexpr int kCodeTableSize = 16;
constexpr int kMaxTableCode = 32;
constexpr uint8_t kIdentityCodes[kCodeTableSize] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
struct PackedWeight {
  WeightKind kind;
  int rows, cols;
  int bits, groupSize, groups, tiles;
  const uint8_t* data;
  bool sbBf16;
  const void* scales;
  const void* biases;
  // Q4 only: nullptr, or the table each nibble goes through before the dot product. A table weight stores no
  // biases (`biases` is nullptr): its bias is -codeZero * scale (codeZero: the code of the value 0).
  const uint8_t* codeTable;
  int codeZero;
};

// Scale or bias i (index into [tiles][groups][16]). static: this header is compiled with several -m flag sets.
static inline float sb_value(const void* base, bool bf16, size_t i) {
  if (!bf16) return static_cast<const float*>(base)[i];
  const uint32_t u = static_cast<uint32_t>(static_cast<const uint16_t*>(base)[i]) << 16;
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
}

// Bias i of a quantized weight: stored, or -codeZero * scale for a table weight.
static inline float bias_value(const PackedWeight& w, size_t i) {
  return w.biases ? sb_value(w.biases, w.sbBf16, i) : -static_cast<float>(w.codeZero) * sb_value(w.scales, w.sbBf16, i);
}

// One matmul input: T rows (tokens) of `cols` floats, plus what the integer kernels need.
struct Acts {
  ActMode mode;     // Float: only T, cols and x are set
  int T, cols;
  const float* x;   // [T][cols]
  int16_t* q;       // [T][qStride] int16, zero padded (Int16)
  int8_t* q8;       // [T][qStride] int8, zero padded (Int8), in the order the set's matmul reads (its quantize_row)
  float* qscale;    // [T][blocks] one scale per kActBlock elements: x ~= q * qscale
  float* gsum[3];   // sums of the quantized x (q*qscale) per group of 32, 64, 128: [T][cols/gs]
  int qStride, blocks;
};

// Query rows that share one KV head (the GQA heads of a token, and consecutive tokens of a prefill chunk), so the
// kernel converts each cached key and value once for all of them.
constexpr int kMaxAttendRows = 4;
struct AttendRows {
  int rows;                      // 1..kMaxAttendRows
  const float* q[kMaxAttendRows];  // [dim] each
  float* out[kMaxAttendRows];      // [dim] each
  int lens[kMaxAttendRows];        // row r attends to cached positions [starts[r], lens[r]), lens[r] > starts[r]
  int starts[kMaxAttendRows];      // > 0 for a sliding window whose start is past the span's first row
  const float* sink[kMaxAttendRows];  // the row's head's learned sink logit (gpt-oss), or nullptr
  // Where the f16 key and value rows of `dim` are: position j at k + j * stride, or, when kBlocks is set (a paged
  // cache), at kBlocks[j >> blockShift] + (j mod 2^blockShift) * stride, and the same for values. So one call covers
  // a sequence whose cache is spread over many blocks, with a single softmax.
  const uint16_t* k;
  const uint16_t* v;
  const uint16_t* const* kBlocks;
  const uint16_t* const* vBlocks;
  int blockShift;
  int dim;
  size_t stride;
  float scale;
  float softcap;                   // > 0: scores become softcap * tanh(score / softcap) (Gemma 2); 0: none
  float* scores;                   // scratch: rows * max(lens) floats
};

// The loop order of every SIMD quantized matmul: tile_fn(t0, nt, tile) for each 16-row tile in [tile0, tile1) and
// each batch of up to MaxT of the T tokens (a kernel unpacks a weight chunk once for its batch). A few batches (a
// decode step of up to 4 * MaxT sequences): tiles outermost, so each tile comes from memory once and its other
// batches read it from L1. More (prefill): batches outermost, so a batch's activations stay in L1 while the tiles
// stream through, and a thread's consecutive tiles are one sequential stream.
template <int MaxT, class TileFn>
static inline void for_tile_batches(int T, int tile0, int tile1, TileFn&& tile_fn) {
  auto batch = [T](int t0) { return T - t0 < MaxT ? T - t0 : MaxT; };
  if (T <= 4 * MaxT) {
    for (int tile = tile0; tile < tile1; tile++)
      for (int t0 = 0; t0 < T; t0 += MaxT) tile_fn(t0, batch(t0), tile);
    return;
  }
  for (int t0 = 0; t0 < T; t0 += MaxT)
    for (int tile = tile0; tile < tile1; tile++) tile_fn(t0, batch(t0), tile);
}

// fn(std::integral_constant<int, n>{}) for 1 <= n <= MaxT: a batch's token count as a kernel's template argument.
template <int MaxT, class Fn>
static inline void with_token_count(int n, Fn&& fn) {
  if constexpr (MaxT > 1)
    if (n < MaxT) return with_token_count<MaxT - 1>(n, fn);
  fn(std::integral_constant<int, MaxT>{});
}

// Key and value row j of an AttendRows (static: this header is compiled with several -m flag sets).
static inline const uint16_t* attend_key(const AttendRows& a, int j) {
  if (!a.kBlocks) return a.k + static_cast<size_t>(j) * a.stride;
  return a.kBlocks[j >> a.blockShift] + static_cast<size_t>(j & ((1 << a.blockShift) - 1)) * a.stride;
}
static inline const uint16_t* attend_value(const AttendRows& a, int j) {
  if (!a.vBlocks) return a.v + static_cast<size_t>(j) * a.stride;
  return a.vBlocks[j >> a.blockShift] + static_cast<size_t>(j & ((1 << a.blockShift) - 1)) * a.stride;
}
// Depthwise causal conv + SiLU over channels [c0, c1) (Gated DeltaNet): for t < T,
//   out[t][c] = silu(sum_{j<K} w[j][c] * in(t + j - (K-1))[c])
// where in(i) is row i of x for i >= 0 and row K-1+i of hist (the inputs before x) for i < 0. K <= kMaxConvKernel.
constexpr int kMaxConvKernel = 16;
struct ConvSpan {
  const float* hist;  // [K-1][C]
  const float* x;     // T rows at xStride floats
  size_t xStride;
  const float* w;  // [K][C]
  float* out;      // T rows at outStride floats
  size_t outStride;
  int T, C, K, c0, c1;
};

// One value head of the gated delta rule over T tokens, S [dv][dk] row-major, updated in place; per token t:
//   S <- g[t] S;  S <- S + beta[t] (v_t - S k_t) k_t^T;  o_t = S q_t
struct DeltaRuleSpan {
  float* S;
  int dk, dv, T;
  const float* q;  // token t's q at q + t*qkStride, its k at k + t*qkStride ([dk] each)
  const float* k;
  size_t qkStride;
  const float* v;  // [dv] at v + t*vStride
  size_t vStride;
  const float* g;  // token t's decay at g[t*gateStride], its beta at beta[t*gateStride]
  const float* beta;
  size_t gateStride;
  float* o;  // [dv] at o + t*oStride
  size_t oStride;
};

// The element-wise kernels: written once over the vector layer (kernels/elementwise/*.inc) and compiled per
// instruction set into the namespaces below; the scalar set has its own plain reference of each (scalar*.cpp).
#define VMLX_ELEMENTWISE_KERNELS                                                    \
  void rmsnorm(const float* x, const float* w, float eps, int n, float* out);      \
  void attend_rows(const AttendRows& a);                                            \
  void silu_mul(float* g, const float* u, int n);                                   \
  void gelu_tanh_mul(float* g, const float* u, int n);                              \
  void softcap(float* x, int n, float cap);                                         \
  void to_f16(const float* x, uint16_t* out, int n);                                \
  void rmsnorm_gated(const float* x, const float* w, const float* z, float eps, int n, float* out); \
  void l2_normalize(float* x, int n, float eps, float scale);                       \
  void conv_silu(const ConvSpan& s);                                                \
  void delta_rule(const DeltaRuleSpan& s);                                          \
  double exp_scaled(const float* x, int n, float shift, float scale, float* out);
namespace vec_avx2 { VMLX_ELEMENTWISE_KERNELS }
namespace vec_avx512 { VMLX_ELEMENTWISE_KERNELS }
namespace vec_scalar { VMLX_ELEMENTWISE_KERNELS }
#undef VMLX_ELEMENTWISE_KERNELS
// A KernelSet's element-wise entries from one of those namespaces, in KernelSet order.
#define VMLX_ELEMENTWISE_ENTRIES(ns) \
  ns::rmsnorm, ns::attend_rows, ns::silu_mul, ns::gelu_tanh_mul, ns::softcap, ns::to_f16, ns::rmsnorm_gated, ns::l2_normalize, ns::conv_silu, ns::delta_rule, \
  ns::exp_scaled

struct KernelSet {
  const char* name;
  // Quantizes row t of a.x into a.q (Int16) or a.q8 (Int8) and a.qscale (kActBlock values per scale, round to
  // nearest even) and fills the group sums a.gsum from the quantized values. Buffers are sized by the caller.
  void (*quantize_row)(const Acts& a, int t);
  // y[t*ldy + r] = sum_k W[r,k] * x[t,k] for rows in tiles [tile0, tile1), reading the input as a.mode says.
  // The scalar set's Int16 path reads a.x in float; its Int8 path is the integer reference of the SIMD ones.
  void (*matmul)(const PackedWeight& w, const Acts& a, float* y, int ldy, int tile0, int tile1);
  // Streaming read of n bytes (returns a checksum so the reads cannot be optimised away).
  uint64_t (*read_bytes)(const uint8_t* p, size_t n);
  // `rounds` rounds of the quantized matmul's integer multiply-add instruction for activation mode `mode` (Int8: the
  // u8 x s8 one, else the int16 one) on 12 independent accumulators, with nothing else in the loop; returns the
  // multiply-adds done. The compute ceiling for prefill (see bench).
  uint64_t (*dot_peak)(uint64_t rounds, ActMode mode);
  // The element-wise kernels (VMLX_ELEMENTWISE_ENTRIES).
  // out[i] = x[i] / sqrt(mean(x^2) + eps) * w[i]
  void (*rmsnorm)(const float* x, const float* w, float eps, int n, float* out);
  // Attention of a.rows query rows over one KV head's f16 cache: out[r] = softmax(cap(scale * q[r].K[s..l))) V[s..l)
  // with s = starts[r], l = lens[r]; a sink adds exp(sink) to the softmax denominator (no value row).
  void (*attend_rows)(const AttendRows& a);
  // g[i] = silu(g[i]) * u[i] (the SwiGLU gate)
  void (*silu_mul)(float* g, const float* u, int n);
  // g[i] = gelu(g[i]) * u[i], GELU by its tanh approximation (GeGLU; Gemma's configs name it gelu_pytorch_tanh)
  void (*gelu_tanh_mul)(float* g, const float* u, int n);
  // x[i] = cap * tanh(x[i] / cap) (Gemma's logit soft-cap)
  void (*softcap)(float* x, int n, float cap);
  // out[i] = float16(x[i]), round to nearest even (the KV cache store)
  void (*to_f16)(const float* x, uint16_t* out, int n);
  // out[i] = x[i] / sqrt(mean(x^2) + eps) * w[i] * silu(z[i]) (Gated DeltaNet's output norm; out may be x)
  void (*rmsnorm_gated)(const float* x, const float* w, const float* z, float eps, int n, float* out);
  // x[i] *= scale / sqrt(sum(x^2) + eps)
  void (*l2_normalize)(float* x, int n, float eps, float scale);
  void (*conv_silu)(const ConvSpan& s);
  void (*delta_rule)(const DeltaRuleSpan& s);
  // out[i] = exp((x[i] - shift) * scale), 0 where x[i] is -inf; returns the sum of out (the sampler's probabilities
  // over a vocabulary and their normalizer: each vector's lanes summed in float, the vectors' sums in double).
  double (*exp_scaled)(const float* x, int n, float shift, float scale, float* out);
};

const KernelSet& kernels_scalar();
// The portable quantize_row (used by the scalar and AVX2 sets).
void quantize_row_portable(const Acts& a, int t);
// The precise quantized matmul (float activations, each weight group dequantized in registers) for AVX2+FMA; the
// AVX-512 set uses it too. Only call after dispatch.cpp has checked the CPU.
void matmul_quant_float_acts_avx2(const PackedWeight& w, const Acts& a, float* y, int ldy, int tile0, int tile1);
// The int8-activation quantized matmul for AVX2 (vpmaddubsw). Only call after dispatch.cpp has checked the CPU.
void matmul_quant_int8_avx2(const PackedWeight& w, const Acts& a, float* y, int ldy, int tile0, int tile1);
// The same with AVX-512 VNNI (vpdpbusd), and the quantize_row it reads: its int8 rows keep each 8 activations in the
// order x0 x1 x4 x5 x2 x3 x6 x7 (see avx512_int8.cpp). Only call after dispatch.cpp has checked the CPU.
void matmul_quant_int8_vnni(const PackedWeight& w, const Acts& a, float* y, int ldy, int tile0, int tile1);
void quantize_row_int8_vnni(const Acts& a, int t);
// The scalar set's quantized kernels with the element-wise kernels of the width-1 vector layer: test hooks only.
const KernelSet& kernels_generic();
// Tables of the SIMD sets; call only after dispatch.cpp has checked the CPU.
const KernelSet& kernels_avx2_table();
const KernelSet& kernels_avx512_table();

// The best set for this CPU, or the one VMLX_KERNELS names (scalar|avx2|avx512).
const KernelSet& kernels_active();
// A set by name ("scalar", "avx2", "avx512"); nullptr when unavailable on this CPU.
const KernelSet* kernels_by_name(const char* name);

}  // namespace vmlx
