// Qwen2 / Qwen2.5: pre-norm decoder, GQA attention with biases on q, k and v (not o), SwiGLU MLP, NeoX RoPE.
#include "errors.h"
#include "layers.h"

namespace vmlx {
namespace {

void validate(const ModelSpec& spec) {
  for (size_t i = 0; i < spec.layers.size(); i++)
    if (!spec.layers[i].hasQkvBias)
      throw EngineError("qwen2: layer " + std::to_string(i) + " lacks the q_proj/k_proj/v_proj bias tensors");
}

void layer(Forward& f, const Layer& L, int index) {
  attention_block(f, L, index, {/*qkvBias=*/true, /*qkNorm=*/false});
  mlp_block(f, L);
}

const Architecture kQwen2 = {"qwen2", validate, rope_inv_freq_default, layer};

}  // namespace

const Architecture& arch_qwen2() { return kQwen2; }

}  // namespace vmlx
