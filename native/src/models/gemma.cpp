// The Gemma 3 layer: sandwich norms around both sub-blocks,
//   x += post_attn_norm(mixer(attn_norm(x)));  x += post_ffn_norm(ffn(ffn_norm(x))).
// Everything else Gemma needs is in the plan: (1 + w) norms (normOffset), the sqrt(hidden) embedding scale, GeLU,
// q/k norms, the query scale, and which layers are local (sliding window, local RoPE base) or global.
#include "blocks/blocks.h"
#include "blocks/linear.h"

namespace vmlx {
namespace {

class GemmaLayer : public Layer {
 public:
  GemmaLayer(Loader& ld, const ModelSpec& spec, int i) {
    const std::string pre = "blk." + std::to_string(i) + ".";
    const LayerPlan& plan = spec.layers[i];
    const int H = spec.hiddenSize;
    attnNorm_ = ld.norm(pre + "attn_norm", H);
    mixer_ = make_token_mixer(ld, spec, plan, pre);
    attnPostNorm_ = ld.norm(pre + "post_attention_norm", H);
    ffnNorm_ = ld.norm(pre + "ffn_norm", H);
    ffn_ = make_feed_forward(ld, spec, plan, pre);
    ffnPostNorm_ = ld.norm(pre + "post_ffw_norm", H);
  }

  void forward(Forward& f) const override {
    Scratch& s = f.s;
    const int H = f.spec.hiddenSize;
    rmsnorm_rows(f, s.x.data(), attnNorm_.data(), H, s.h.data(), f.T);
    mixer_->forward(f, s.h.data(), s.h.data());
    rmsnorm_rows(f, s.h.data(), attnPostNorm_.data(), H, s.h.data(), f.T);
    add_rows(f, s.x.data(), s.h.data(), H);
    rmsnorm_rows(f, s.x.data(), ffnNorm_.data(), H, s.h.data(), f.T);
    ffn_->forward(f, s.h.data(), s.h.data());
    rmsnorm_rows(f, s.h.data(), ffnPostNorm_.data(), H, s.h.data(), f.T);
    add_rows(f, s.x.data(), s.h.data(), H);
  }

  std::unique_ptr<LayerState> make_state(int maxContext) const override { return mixer_->make_state(maxContext); }
  std::unique_ptr<LayerState> make_paged_state(KvPool& pool, int maxContext) const override {
    return mixer_->make_paged_state(pool, maxContext);
  }

 private:
  std::vector<float> attnNorm_, attnPostNorm_, ffnNorm_, ffnPostNorm_;
  std::unique_ptr<TokenMixer> mixer_;
  std::unique_ptr<FeedForward> ffn_;
};

std::unique_ptr<Layer> layer(Loader& ld, const ModelSpec& spec, int i) { return std::make_unique<GemmaLayer>(ld, spec, i); }

const Architecture kGemma = {"gemma", layer};

}  // namespace

const Architecture& arch_gemma() { return kGemma; }

}  // namespace vmlx
