// The Gemma 3 layer: sandwich norms around both sub-blocks,
//   x += post_attn_norm(mixer(attn_norm(x)));  x += post_ffn_norm(ffn(ffn_norm(x))).
// Everything else Gemma needs is in the plan: (1 + w) norms (normOffset), the sqrt(hidden) embedding scale, GeLU,
// q/k norms, the query scale, and which layers are local (sliding window, local RoPE base) or global.
#include "models/gemma_sandwich.h"

namespace vmlx {
namespace {

class GemmaLayer : public Layer {
 public:
  GemmaLayer(Loader& ld, const ModelSpec& spec, int i) : body_(ld, spec, "blk." + std::to_string(i) + ".", i) {}

  void forward(Forward& f) const override { body_.forward(f); }

  std::unique_ptr<LayerState> make_state(int maxContext) const override { return body_.mixer().make_state(maxContext); }
  std::unique_ptr<LayerState> make_paged_state(KvPool& pool, int maxContext) const override {
    return body_.mixer().make_paged_state(pool, maxContext);
  }

 private:
  GemmaSandwich body_;
};
std::unique_ptr<Layer> layer(Loader& ld, const ModelSpec& spec, int i) { return std::make_unique<GemmaLayer>(ld, spec, i); }

const Architecture kGemma = {"gemma", layer};

}  // namespace

const Architecture& arch_gemma() { return kGemma; }

}  // namespace vmlx
