// Building blocks shared by the architectures (models/*.cpp): norms, linear layers, RoPE, attention, MLP.
// Every block runs on the model's thread pool over the T tokens of one forward pass.
#pragma once
#include <cstdint>

#include "model.h"

namespace vmlx {

struct Forward {
  const ModelSpec& spec;
  const KernelSet& k;
  ThreadPool& pool;
  Scratch& s;
  KvCache& kv;
  int T, pos0;
};

struct AttentionOptions {
  bool qkvBias;  // Qwen2: q/k/v Linear biases
  bool qkNorm;   // Qwen3: RMSNorm over head_dim of every q and k head, before RoPE
};

// Fills `a` (backed by the scratch buffers) from x[T][cols].
Acts prepare_acts(Forward& f, const float* x, int cols);

struct LinearOut {
  const OwnedWeight* w;
  float* y;  // [T][w->rows]
};
// Runs several matmuls over the same input in one parallel region (work split by 16-row tiles).
void linear(Forward& f, const Acts& a, const LinearOut* outs, int n);

// out[t] = rmsnorm(in[t]) * w for each of the T rows of length n.
void rmsnorm_rows(Forward& f, const float* in, const float* w, int n, float* out, int rows);

// h = input_layernorm(x); q,k,v projections (+bias, +q/k norm); RoPE; cache store; causal attention; x += o_proj.
void attention_block(Forward& f, const Layer& L, int layer, AttentionOptions opt);
// h = post_attention_layernorm(x); x += down(silu(gate(h)) * up(h)).
void mlp_block(Forward& f, const Layer& L);

// RoPE inverse frequencies base^(-2i/d), i < d/2.
std::vector<double> rope_inv_freq_default(const ModelSpec& spec);

}  // namespace vmlx
