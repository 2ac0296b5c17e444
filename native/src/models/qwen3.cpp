// Qwen3: pre-norm decoder, GQA attention with per-head RMSNorm of q and k (over head_dim, before RoPE),
// no attention biases, explicit head_dim, SwiGLU MLP, NeoX RoPE.
#include "errors.h"
#include "layers.h"

namespace vmlx {
namespace {

void validate(const ModelSpec& spec) {
  for (size_t i = 0; i < spec.layers.size(); i++)
    if (!spec.layers[i].hasQkNorm)
      throw EngineError("qwen3: layer " + std::to_string(i) + " lacks self_attn.q_norm/k_norm weights");
}

void layer(Forward& f, const Layer& L, int index) {
  attention_block(f, L, index, {/*qkvBias=*/false, /*qkNorm=*/true});
  mlp_block(f, L);
}

const Architecture kQwen3 = {"qwen3", validate, rope_inv_freq_default, layer};

}  // namespace

const Architecture& arch_qwen3() { return kQwen3; }

}  // namespace vmlx
