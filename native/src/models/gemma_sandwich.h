// The body Gemma 3 and Gemma 4 layers share: sandwich norms around both sub-blocks,
//   x += post_attn_norm(mixer(attn_norm(x)));  x += post_ffn_norm(ffn(ffn_norm(x))).
// The norms' (1 + w) or plain w comes from the plan (normOffset). A layer may bring its own feed-forward that reads the
// un-normed residual and does its own input norms (Gemma 4's dense MLP beside experts): x += post_ffn_norm(ffn(x)).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "blocks/blocks.h"
#include "blocks/linear.h"

namespace vmlx {

class GemmaSandwich {
 public:
  GemmaSandwich(Loader& ld, const ModelSpec& spec, const std::string& pre, int i, std::unique_ptr<FeedForward> residualFfn = nullptr) {
    const LayerPlan& plan = spec.layers[i];
    const int H = spec.hiddenSize;
    attnNorm_ = ld.norm(pre + "attn_norm", H);
    mixer_ = make_token_mixer(ld, spec, plan, pre);
    attnPostNorm_ = ld.norm(pre + "post_attention_norm", H);
    if (residualFfn) {
      ffn_ = std::move(residualFfn);
      ffnReadsResidual_ = true;
    } else {
      ffnNorm_ = ld.norm(pre + "ffn_norm", H);
      ffn_ = make_feed_forward(ld, spec, plan, pre);
    }
    ffnPostNorm_ = ld.norm(pre + "post_ffw_norm", H);
  }

  void forward(Forward& f) const {
    Scratch& s = f.s;
    const int H = f.spec.hiddenSize;
    rmsnorm_rows(f, s.x.data(), attnNorm_.data(), H, s.h.data(), f.T);
    mixer_->forward(f, s.h.data(), s.h.data());
    rmsnorm_rows(f, s.h.data(), attnPostNorm_.data(), H, s.h.data(), f.T);
    add_rows(f, s.x.data(), s.h.data(), H);
    if (ffnReadsResidual_) {
      ffn_->forward(f, s.x.data(), s.h.data());
    } else {
      rmsnorm_rows(f, s.x.data(), ffnNorm_.data(), H, s.h.data(), f.T);
      ffn_->forward(f, s.h.data(), s.h.data());
    }
    rmsnorm_rows(f, s.h.data(), ffnPostNorm_.data(), H, s.h.data(), f.T);
    add_rows(f, s.x.data(), s.h.data(), H);
  }

  const TokenMixer& mixer() const { return *mixer_; }

 private:
  std::vector<float> attnNorm_, attnPostNorm_, ffnNorm_, ffnPostNorm_;
  std::unique_ptr<TokenMixer> mixer_;
  std::unique_ptr<FeedForward> ffn_;
  bool ffnReadsResidual_ = false;
};

}  // namespace vmlx
