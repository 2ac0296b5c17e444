// The shared blocks architectures compose: token mixers (attention; later linear attention) and feed-forward
// blocks (gated MLP; later mixture of experts). Each is built from the plan and the tensor table by a factory.
#pragma once
#include <memory>
#include <string>

#include "model.h"

namespace vmlx {

// Mixes information across positions: reads `in` [T][hidden] (already normed), writes `out` [T][hidden]
// (may alias `in`), keeping what it needs of each sequence in that sequence's LayerState (f.state(segment)).
class TokenMixer {
 public:
  virtual ~TokenMixer() = default;
  virtual void forward(Forward& f, const float* in, float* out) const = 0;
  virtual std::unique_ptr<LayerState> make_state(int maxContext) const = 0;
  // The state when the model's sequences share a paged KV pool (attention: a PagedKvCache; others: make_state).
  virtual std::unique_ptr<LayerState> make_paged_state(KvPool& pool, int maxContext) const { (void)pool; return make_state(maxContext); }
};

// Per-token transform: reads `in` [T][hidden], writes `out` [T][hidden] (may alias `in`).
class FeedForward {
 public:
  virtual ~FeedForward() = default;
  virtual void forward(Forward& f, const float* in, float* out) const = 0;
};

// A mixture of experts whose router may read another input than its experts (Gemma 4: the router reads the
// un-normed residual, the experts its pre_ffw_norm_2): forward_routed(f, routerIn, in, out); forward routes on `in`.
class RoutedFeedForward : public FeedForward {
 public:
  virtual void forward_routed(Forward& f, const float* routerIn, const float* in, float* out) const = 0;
};

// `prefix` is the layer's tensor-name prefix, e.g. "blk.3.".
std::unique_ptr<TokenMixer> make_token_mixer(Loader& ld, const ModelSpec& spec, const LayerPlan& plan, const std::string& prefix);
std::unique_ptr<TokenMixer> make_gated_deltanet(Loader& ld, const ModelSpec& spec, const LayerPlan& plan, const std::string& prefix);
std::unique_ptr<FeedForward> make_feed_forward(Loader& ld, const ModelSpec& spec, const LayerPlan& plan, const std::string& prefix);
// The mixture-of-experts feed-forward (moe.cpp); make_feed_forward builds it for MlpKind::Moe.
std::unique_ptr<FeedForward> make_moe(Loader& ld, const ModelSpec& spec, const LayerPlan& plan, const std::string& prefix);
// The experts of `plan` (a kind Moe plan, e.g. Gemma 4's layer moe beside its dense mlp).
std::unique_ptr<RoutedFeedForward> make_routed_moe(Loader& ld, const ModelSpec& spec, const MlpPlan& plan, const std::string& prefix);

}  // namespace vmlx
