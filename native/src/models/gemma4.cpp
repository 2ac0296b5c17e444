// The Gemma 4 layer: Gemma's sandwich norms (plain w, no 1 + w), then, with per-layer inputs, a gated residual
//   x += post_norm(proj(gelu(inp_gate(x)) * per_layer_input[layer])),
// and finally x *= layer_output_scale. With a mixture of experts (plan moe, Gemma 4 26B-A4B) the feed-forward of the
// sandwich is two branches of the attention residual x, summed before post_ffw_norm:
//   post_ffw_norm_1(mlp(ffn_norm(x))) + post_ffw_norm_2(experts(pre_ffw_norm_2(x))), the router reading x itself. The prologue derives the per-layer inputs of every layer once per pass:
//   per_layer_input = (rmsnorm(per_layer_model_proj(embedding) / sqrt(hidden)) + per_layer_token_embd[token] *
//   sqrt(P)) / sqrt(2), one row of P per layer. Attention differences (v norm, k = v, shared KV, proportional RoPE)
// are in the plan and the attention block; the final logit soft-cap is the plan's finalSoftcap.
#include <cmath>

#include "blocks/blocks.h"
#include "blocks/linear.h"
#include "models/gemma_sandwich.h"

namespace vmlx {
namespace {

class Gemma4Inputs : public Prologue {
 public:
  Gemma4Inputs(Loader& ld, const ModelSpec& spec)
      : L_(static_cast<int>(spec.layers.size())), P_(spec.perLayerInputSize), H_(spec.hiddenSize) {
    // Rows are looked up one token at a time, never read whole.
    tokens_ = ld.matrix("per_layer_token_embd", spec.vocabSize, L_ * P_, false);
    proj_ = ld.matrix("per_layer_model_proj", L_ * P_, H_);
    projNorm_ = ld.norm("per_layer_proj_norm", P_);
  }

  void forward(Forward& f, const int32_t* tokens) const override {
    Scratch& s = f.s;
    const size_t width = static_cast<size_t>(L_) * P_;
    if (s.perLayer.size() < f.T * width) s.perLayer.resize(static_cast<size_t>(Model::kChunk) * width);
    Acts a = prepare_acts(f, s.x.data(), H_);
    const LinearOut o[1] = {{&proj_, s.perLayer.data()}};
    linear(f, a, o, 1);
    const float projScale = 1.f / std::sqrt(static_cast<float>(H_));
    const float tokenScale = std::sqrt(static_cast<float>(P_));
    const float mix = 1.f / std::sqrt(2.f);
    const float eps = static_cast<float>(f.spec.rmsNormEps);
    f.pool.parallel_for(f.T, [&](int t0, int t1) {
      std::vector<float> row(width);
      for (int t = t0; t < t1; t++) {
        float* out = s.perLayer.data() + t * width;
        for (size_t i = 0; i < width; i++) out[i] *= projScale;
        for (int l = 0; l < L_; l++) f.k.rmsnorm(out + l * P_, projNorm_.data(), eps, P_, out + l * P_);
        weight_row(tokens_.w, tokens[t], row.data());
        for (size_t i = 0; i < width; i++) out[i] = (out[i] + row[i] * tokenScale) * mix;
      }
    });
  }

 private:
  int L_, P_, H_;
  OwnedWeight tokens_, proj_;
  std::vector<float> projNorm_;
};

// The dense MLP and the experts beside it, both reading the attention residual (the sandwich's un-normed input).
class DenseAndExperts : public FeedForward {
 public:
  DenseAndExperts(Loader& ld, const ModelSpec& spec, const LayerPlan& plan, const std::string& pre) : H_(spec.hiddenSize) {
    denseNorm_ = ld.norm(pre + "ffn_norm", H_);
    dense_ = make_feed_forward(ld, spec, plan, pre);
    densePostNorm_ = ld.norm(pre + "post_ffw_norm_1", H_);
    expertsNorm_ = ld.norm(pre + "pre_ffw_norm_2", H_);
    experts_ = make_routed_moe(ld, spec, plan.moe, pre);
    expertsPostNorm_ = ld.norm(pre + "post_ffw_norm_2", H_);
  }

  void forward(Forward& f, const float* x, float* out) const override {
    const size_t n = static_cast<size_t>(f.T) * H_;
    if (branch_.size() < n) branch_.resize(n);
    rmsnorm_rows(f, x, denseNorm_.data(), H_, out, f.T);
    dense_->forward(f, out, out);
    rmsnorm_rows(f, out, densePostNorm_.data(), H_, out, f.T);
    rmsnorm_rows(f, x, expertsNorm_.data(), H_, branch_.data(), f.T);
    experts_->forward_routed(f, x, branch_.data(), branch_.data());
    rmsnorm_rows(f, branch_.data(), expertsPostNorm_.data(), H_, branch_.data(), f.T);
    add_rows(f, out, branch_.data(), H_);
  }

 private:
  int H_;
  std::vector<float> denseNorm_, densePostNorm_, expertsNorm_, expertsPostNorm_;
  std::unique_ptr<FeedForward> dense_;
  std::unique_ptr<RoutedFeedForward> experts_;
  mutable std::vector<float> branch_;  // [T][H]: the experts' branch
};

std::unique_ptr<FeedForward> residual_ffn(Loader& ld, const ModelSpec& spec, int i) {
  const LayerPlan& plan = spec.layers[i];
  if (!plan.hasMoe) return nullptr;
  return std::make_unique<DenseAndExperts>(ld, spec, plan, "blk." + std::to_string(i) + ".");
}

class Gemma4Layer : public Layer {
 public:
  Gemma4Layer(Loader& ld, const ModelSpec& spec, int i)
      : index_(i), P_(spec.perLayerInputSize), body_(ld, spec, "blk." + std::to_string(i) + ".", i, residual_ffn(ld, spec, i)) {
    const std::string pre = "blk." + std::to_string(i) + ".";
    const int H = spec.hiddenSize;
    if (P_ > 0) {
      inpGate_ = ld.matrix(pre + "inp_gate", P_, H);
      proj_ = ld.matrix(pre + "proj", H, P_);
      postNorm_ = ld.norm(pre + "post_norm", H);
    }
    outScale_ = ld.vector(pre + "layer_output_scale", 1)[0];
  }

  void forward(Forward& f) const override {
    Scratch& s = f.s;
    const int H = f.spec.hiddenSize;
    body_.forward(f);
    if (P_ > 0) per_layer_input(f);
    if (outScale_ != 1.f) {
      f.pool.parallel_for(f.T, [&](int t0, int t1) {
        for (size_t i = static_cast<size_t>(t0) * H; i < static_cast<size_t>(t1) * H; i++) s.x[i] *= outScale_;
      });
    }
  }

  std::unique_ptr<LayerState> make_state(int maxContext) const override { return body_.mixer().make_state(maxContext); }

 private:
  void per_layer_input(Forward& f) const {
    Scratch& s = f.s;
    const int H = f.spec.hiddenSize;
    const size_t width = f.spec.layers.size() * static_cast<size_t>(P_);
    gate_.resize(static_cast<size_t>(f.T) * P_);
    Acts a = prepare_acts(f, s.x.data(), H);
    const LinearOut g[1] = {{&inpGate_, gate_.data()}};
    linear(f, a, g, 1);
    f.pool.parallel_for(f.T, [&](int t0, int t1) {
      for (int t = t0; t < t1; t++)
        f.k.gelu_tanh_mul(gate_.data() + static_cast<size_t>(t) * P_, s.perLayer.data() + t * width + index_ * P_, P_);
    });
    Acts ag = prepare_acts(f, gate_.data(), P_);
    const LinearOut o[1] = {{&proj_, s.h.data()}};
    linear(f, ag, o, 1);
    rmsnorm_rows(f, s.h.data(), postNorm_.data(), H, s.h.data(), f.T);
    add_rows(f, s.x.data(), s.h.data(), H);
  }

  int index_, P_;
  GemmaSandwich body_;
  std::vector<float> postNorm_;
  OwnedWeight inpGate_, proj_;
  float outScale_ = 1;
  mutable std::vector<float> gate_;  // [T][P]
};

std::unique_ptr<Layer> layer(Loader& ld, const ModelSpec& spec, int i) { return std::make_unique<Gemma4Layer>(ld, spec, i); }

std::unique_ptr<Prologue> prologue(Loader& ld, const ModelSpec& spec) {
  if (spec.perLayerInputSize <= 0) return nullptr;
  return std::make_unique<Gemma4Inputs>(ld, spec);
}

const Architecture kGemma4 = {"gemma4", layer, prologue};

}  // namespace

const Architecture& arch_gemma4() { return kGemma4; }

}  // namespace vmlx
