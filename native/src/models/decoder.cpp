// The pre-norm decoder layer (Llama, Qwen2, Qwen3, Mistral, ...): x += mixer(norm(x)); x += ffn(norm(x)).
// What differs between those families (biases, q/k norms, RoPE, dims) is in each layer's plan, not here.
#include "blocks/blocks.h"
#include "blocks/linear.h"

namespace vmlx {
namespace {

class DecoderLayer : public Layer {
 public:
  DecoderLayer(Loader& ld, const ModelSpec& spec, int i) {
    const std::string pre = "blk." + std::to_string(i) + ".";
    const LayerPlan& plan = spec.layers[i];
    attnNorm_ = ld.norm(pre + "attn_norm", spec.hiddenSize);
    mixer_ = make_token_mixer(ld, spec, plan, pre);
    ffnNorm_ = ld.norm(pre + "ffn_norm", spec.hiddenSize);
    ffn_ = make_feed_forward(ld, spec, plan, pre);
  }

  void forward(Forward& f) const override {
    Scratch& s = f.s;
    const int H = f.spec.hiddenSize;
    rmsnorm_rows(f, s.x.data(), attnNorm_.data(), H, s.h.data(), f.T);
    mixer_->forward(f, s.h.data(), s.h.data());
    add_rows(f, s.x.data(), s.h.data(), H);
    rmsnorm_rows(f, s.x.data(), ffnNorm_.data(), H, s.h.data(), f.T);
    ffn_->forward(f, s.h.data(), s.h.data());
    add_rows(f, s.x.data(), s.h.data(), H);
  }

  std::unique_ptr<LayerState> make_state(int maxContext) const override { return mixer_->make_state(maxContext); }
  std::unique_ptr<LayerState> make_paged_state(KvPool& pool, int maxContext) const override {
    return mixer_->make_paged_state(pool, maxContext);
  }

 private:
  std::vector<float> attnNorm_, ffnNorm_;
  std::unique_ptr<TokenMixer> mixer_;
  std::unique_ptr<FeedForward> ffn_;
};

std::unique_ptr<Layer> layer(Loader& ld, const ModelSpec& spec, int i) { return std::make_unique<DecoderLayer>(ld, spec, i); }

const Architecture kDecoder = {"decoder", layer};

}  // namespace

const Architecture& arch_decoder() { return kDecoder; }

}  // namespace vmlx
