// Mixture of experts (Qwen3 MoE, Qwen3.5 MoE, ...): a router scores every expert for each token, the topK best run
// as SwiGLU MLPs and their outputs are summed with the routing weights; an optional shared expert runs for every
// token, scaled by its own sigmoid gate. Expert weights are packed on first use (LazyWeightStore), so after load
// only the experts some token was routed to are resident. A prefill chunk is grouped by expert: each expert runs
// once over all the tokens routed to it.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "blocks/blocks.h"
#include "blocks/linear.h"

namespace vmlx {
namespace {

// out[T][H] = down(silu(gate(in)) * up(in)) over f.T rows; the intermediate goes through s.gate / s.up.
void swiglu(Forward& f, const OwnedWeight& gate, const OwnedWeight& up, const OwnedWeight& down, const float* in, float* out) {
  Scratch& s = f.s;
  const int I = gate.w.rows;
  Acts a = prepare_acts(f, in, gate.w.cols);
  const LinearOut gu[2] = {{&gate, s.gate.data()}, {&up, s.up.data()}};
  linear(f, a, gu, 2);
  f.pool.parallel_for(f.T, [&](int t0, int t1) {
    const size_t at = static_cast<size_t>(t0) * I;
    f.k.silu_mul(s.gate.data() + at, s.up.data() + at, (t1 - t0) * I);
  });
  Acts ad = prepare_acts(f, s.gate.data(), I);
  const LinearOut d[1] = {{&down, out}};
  linear(f, ad, d, 1);
}

float dot(const float* a, const float* b, int n) {
  float s = 0.f;
  for (int i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

class MoeFeedForward : public FeedForward {
 public:
  MoeFeedForward(Loader& ld, const MlpPlan& p, int H, const std::string& pre) : p_(p), H_(H), store_(ld.lazy()) {
    const int E = p.numExperts, I = p.expertIntermediateSize;
    // The router stays float: which experts run is a discontinuous function of its scores, so they are computed
    // without the activation quantization the large matmuls use.
    router_ = ld.dense(pre + "ffn_gate_inp", E, H);
    gate_ = ld.experts(pre + "ffn_gate_exps", E, I, H);
    up_ = ld.experts(pre + "ffn_up_exps", E, I, H);
    down_ = ld.experts(pre + "ffn_down_exps", E, H, I);
    // A token reads topK experts (the bench's bytes per token); which ones varies, their size does not.
    ld.add_bytes(static_cast<size_t>(p.topK) * (store_->file_bytes(gate_[0]) + store_->file_bytes(up_[0]) + store_->file_bytes(down_[0])));
    if (p.sharedIntermediateSize) {
      const int S = p.sharedIntermediateSize;
      sharedGate_ = ld.matrix(pre + "ffn_gate_shexp", S, H);
      sharedUp_ = ld.matrix(pre + "ffn_up_shexp", S, H);
      sharedDown_ = ld.matrix(pre + "ffn_down_shexp", H, S);
      if (p.sharedGated) sharedScale_ = ld.dense(pre + "ffn_gate_inp_shexp", 1, H);
    }
  }

  void forward(Forward& f, const float* in, float* out) const override {
    Scratch& s = f.s;
    const int T = f.T, H = H_, E = p_.numExperts, K = p_.topK;
    float* logits = s.route.data();
    f.pool.parallel_for(T, [&](int t0, int t1) {
      for (int t = t0; t < t1; t++)
        for (int e = 0; e < E; e++) logits[static_cast<size_t>(t) * E + e] = dot(in + static_cast<size_t>(t) * H, &router_[static_cast<size_t>(e) * H], H);
    });
    // Routing: per token its K experts and weights, then the tokens of each expert in token order.
    std::vector<int> chosen(static_cast<size_t>(T) * K);
    std::vector<float> weight(static_cast<size_t>(T) * K);
    for (int t = 0; t < T; t++) route(logits + static_cast<size_t>(t) * E, &chosen[static_cast<size_t>(t) * K], &weight[static_cast<size_t>(t) * K]);
    std::vector<int> count(E + 1, 0);
    for (int e : chosen) count[e + 1]++;
    for (int e = 0; e < E; e++) count[e + 1] += count[e];
    std::vector<int> slotOf(static_cast<size_t>(T) * K);  // grouped order → index into chosen/weight
    {
      std::vector<int> next(count.begin(), count.end() - 1);
      for (int i = 0; i < T * K; i++) slotOf[next[chosen[i]]++] = i;
    }
    float* sum = s.moeSum.data();
    std::memset(sum, 0, sizeof(float) * static_cast<size_t>(T) * H);
    for (int e = 0; e < E; e++) {
      const int n = count[e + 1] - count[e];
      if (!n) continue;
      const int* slots = &slotOf[count[e]];
      for (int j = 0; j < n; j++)
        std::memcpy(s.moeIn.data() + static_cast<size_t>(j) * H, in + static_cast<size_t>(slots[j] / K) * H, sizeof(float) * H);
      Forward g{f.spec, f.k, f.pool, f.s, f.seq, n, f.pos0};
      swiglu(g, store_->get(gate_[e], f.pool), store_->get(up_[e], f.pool), store_->get(down_[e], f.pool), s.moeIn.data(), s.moeOut.data());
      for (int j = 0; j < n; j++) {
        const float w = weight[slots[j]];
        float* dst = sum + static_cast<size_t>(slots[j] / K) * H;
        const float* y = s.moeOut.data() + static_cast<size_t>(j) * H;
        for (int i = 0; i < H; i++) dst[i] += w * y[i];
      }
    }
    if (p_.sharedIntermediateSize) {
      swiglu(f, sharedGate_, sharedUp_, sharedDown_, in, s.moeOut.data());
      for (int t = 0; t < T; t++) {
        const float* x = in + static_cast<size_t>(t) * H;
        const float g = p_.sharedGated ? 1.f / (1.f + std::exp(-dot(x, sharedScale_.data(), H))) : 1.f;
        const float* y = s.moeOut.data() + static_cast<size_t>(t) * H;
        float* dst = sum + static_cast<size_t>(t) * H;
        for (int i = 0; i < H; i++) dst[i] += g * y[i];
      }
    }
    std::memcpy(out, sum, sizeof(float) * static_cast<size_t>(T) * H);
  }

 private:
  // The K highest-scoring experts of one token (ties: the lower index) and their weights.
  void route(const float* logits, int* ids, float* w) const {
    const int E = p_.numExperts, K = p_.topK;
    std::vector<float> score(logits, logits + E);
    if (p_.scoring == RouterScoring::Softmax) {
      const float mx = *std::max_element(score.begin(), score.end());
      float z = 0.f;
      for (float& v : score) z += (v = std::exp(v - mx));
      for (float& v : score) v /= z;
    } else {
      for (float& v : score) v = 1.f / (1.f + std::exp(-v));
    }
    std::vector<int> order(E);
    for (int e = 0; e < E; e++) order[e] = e;
    std::partial_sort(order.begin(), order.begin() + K, order.end(),
                      [&](int a, int b) { return score[a] > score[b] || (score[a] == score[b] && a < b); });
    float total = 0.f;
    for (int k = 0; k < K; k++) total += score[order[k]];
    for (int k = 0; k < K; k++) {
      ids[k] = order[k];
      w[k] = p_.normTopK ? score[order[k]] / total : score[order[k]];
    }
  }

  MlpPlan p_;
  int H_;
  std::shared_ptr<LazyWeightStore> store_;
  std::vector<float> router_, sharedScale_;
  std::vector<int> gate_, up_, down_;
  OwnedWeight sharedGate_, sharedUp_, sharedDown_;
};

}  // namespace

std::unique_ptr<FeedForward> make_moe(Loader& ld, const ModelSpec& spec, const LayerPlan& plan, const std::string& prefix) {
  return std::make_unique<MoeFeedForward>(ld, plan.mlp, spec.hiddenSize, prefix);
}

}  // namespace vmlx
