// The gated MLP: down(act(gate(x)) * up(x)), with SiLU (SwiGLU) or tanh-approximated GELU (GeGLU, Gemma).
#include <cmath>

#include "blocks/blocks.h"
#include "blocks/linear.h"

namespace vmlx {

namespace {

class GatedMlp : public FeedForward {
 public:
  GatedMlp(Loader& ld, const MlpPlan& p, int H, const std::string& pre) : I_(p.intermediateSize), act_(p.activation) {
    gate_ = ld.matrix(pre + "ffn_gate", I_, H);
    up_ = ld.matrix(pre + "ffn_up", I_, H);
    down_ = ld.matrix(pre + "ffn_down", H, I_);
  }

  void forward(Forward& f, const float* in, float* out) const override {
    Scratch& s = f.s;
    Acts a = prepare_acts(f, in, f.spec.hiddenSize);
    const LinearOut gu[2] = {{&gate_, s.gate.data()}, {&up_, s.up.data()}};
    linear(f, a, gu, 2);
    const int I = I_;
    f.pool.parallel_for(f.T, [&](int t0, int t1) {
      const size_t at = static_cast<size_t>(t0) * I;
      if (act_ == Activation::Silu) f.k.silu_mul(s.gate.data() + at, s.up.data() + at, (t1 - t0) * I);
      else f.k.gelu_tanh_mul(s.gate.data() + at, s.up.data() + at, (t1 - t0) * I);
    });
    Acts ad = prepare_acts(f, s.gate.data(), I);
    const LinearOut d[1] = {{&down_, out}};
    linear(f, ad, d, 1);
  }

 private:
  int I_;
  Activation act_;
  OwnedWeight gate_, up_, down_;
};

}  // namespace

std::unique_ptr<FeedForward> make_feed_forward(Loader& ld, const ModelSpec& spec, const LayerPlan& plan, const std::string& prefix) {
  switch (plan.mlp.kind) {
    case MlpKind::Gated: return std::make_unique<GatedMlp>(ld, plan.mlp, spec.hiddenSize, prefix);
    case MlpKind::Moe: return make_moe(ld, spec, plan, prefix);
  }
  return nullptr;
}

}  // namespace vmlx
