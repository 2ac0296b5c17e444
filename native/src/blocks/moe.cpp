// Mixture of experts (Qwen3 MoE, Qwen3.5 MoE, gpt-oss, Gemma 4, ...): a router scores every expert for each token, the
// topK best run as gated MLPs (SwiGLU; gpt-oss: with biases and its clamped variant; Gemma 4: GeGLU) and their outputs
// are summed with the routing weights (Gemma 4: times a per-expert scale, its router reading a weightless RMSNorm of the
// residual times a learned scale); an optional shared expert runs for every token, scaled by its own sigmoid gate. Expert weights are packed on first use (LazyWeightStore), so after load
// only the experts some token was routed to are resident. A prefill chunk is grouped by expert: each expert runs
// once over all the tokens routed to it.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "blocks/blocks.h"
#include "blocks/linear.h"

namespace vmlx {
namespace {

// The expert's per-row biases (gpt-oss) and its activation; null biases = none.
struct ExpertMath {
  const float* gateBias = nullptr;
  const float* upBias = nullptr;
  const float* downBias = nullptr;
  Activation act = Activation::Silu;
  float alpha = 0, limit = 0;
};

// g[i] = act(g[i] + gate bias, u[i] + up bias) over n values, rows of I (the biases repeat per row).
void activate_span(const KernelSet& k, float* g, float* u, int n, int I, const ExpertMath& m) {
  if (m.gateBias)
    for (int i = 0; i < n; i++) {
      g[i] += m.gateBias[i % I];
      u[i] += m.upBias[i % I];
    }
  if (m.act == Activation::SwigluOai) {
    for (int i = 0; i < n; i++) {
      const float x = std::min(g[i], m.limit), y = std::min(std::max(u[i], -m.limit), m.limit);
      g[i] = x / (1.f + std::exp(-m.alpha * x)) * (y + 1.f);
    }
  } else if (m.act == Activation::GeluTanh) {
    k.gelu_tanh_mul(g, u, n);
  } else {
    k.silu_mul(g, u, n);
  }
}

// The activation of `rows` rows of I, in parallel over the rows.
void activate(Forward& f, float* g, float* u, int rows, int I, const ExpertMath& m) {
  f.pool.parallel_for(rows, [&](int r0, int r1) {
    const size_t at = static_cast<size_t>(r0) * I;
    activate_span(f.k, g + at, u + at, (r1 - r0) * I, I, m);
  });
}

void add_bias(float* out, const float* bias, int rows, int H) {
  if (!bias) return;
  for (int t = 0; t < rows; t++)
    for (int i = 0; i < H; i++) out[static_cast<size_t>(t) * H + i] += bias[i];
}

// out[T][H] = down(act(gate(in), up(in))) over f.T rows; the intermediate goes through s.gate / s.up.
void swiglu(Forward& f, const OwnedWeight& gate, const OwnedWeight& up, const OwnedWeight& down, const float* in, float* out,
            const ExpertMath& m = {}) {
  Scratch& s = f.s;
  const int I = gate.w.rows;
  Acts a = prepare_acts(f, in, gate.w.cols);
  const LinearOut gu[2] = {{&gate, s.gate.data()}, {&up, s.up.data()}};
  linear(f, a, gu, 2);
  activate(f, s.gate.data(), s.up.data(), f.T, I, m);
  Acts ad = prepare_acts(f, s.gate.data(), I);
  const LinearOut d[1] = {{&down, out}};
  linear(f, ad, d, 1);
  add_bias(out, m.downBias, f.T, down.w.rows);
}

float dot(const float* a, const float* b, int n) {
  float s = 0.f;
  for (int i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

// Evaluate's router probe at one routing call: where its gap goes, and whether this call is the one to take the
// other way.
struct ProbeCall {
  float* gap = nullptr;
  bool flip = false;
};

class MoeFeedForward : public RoutedFeedForward {
 public:
  MoeFeedForward(Loader& ld, const MlpPlan& p, int H, const std::string& pre) : p_(p), H_(H), store_(ld.lazy()) {
    const int E = p.numExperts, I = p.expertIntermediateSize;
    // The router reads float activations: which experts run is a discontinuous function of its scores, so they are
    // computed without the activation quantization the large matmuls use. Its weight stays packed (MLX keeps it at
    // 8 bits), and its matmul is split over the threads like any other.
    router_ = ld.matrix(pre + "ffn_gate_inp", E, H);
    if (p.routerBias) routerBias_ = ld.vector(pre + "ffn_gate_inp.bias", E);
    if (p.expertBias) {
      gateBias_ = ld.dense(pre + "ffn_gate_exps.bias", E, I);
      upBias_ = ld.dense(pre + "ffn_up_exps.bias", E, I);
      downBias_ = ld.dense(pre + "ffn_down_exps.bias", E, H);
    }
    if (p.routerNorm) {
      // Gemma 4's router reads rmsnorm(x) * scale / sqrt(H): the 1/sqrt(H) goes into the scale once, so the shared
      // rmsnorm kernel computes it.
      routerScale_ = ld.vector(pre + "ffn_gate_inp.scale", H);
      for (float& v : routerScale_) v /= std::sqrt(static_cast<float>(H));
    }
    if (p.expertScale) expertScale_ = ld.vector(pre + "ffn_down_exps.scale", E);
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

  void forward(Forward& f, const float* in, float* out) const override { forward_routed(f, in, in, out); }

  void forward_routed(Forward& f, const float* routerIn, const float* in, float* out) const override {
    Scratch& s = f.s;
    const int T = f.T, H = H_, E = p_.numExperts, K = p_.topK;
    float* logits = s.route.data();
    const float* scored = routerIn;
    if (p_.routerNorm) {
      // Into moeIn, free until the experts run.
      rmsnorm_rows(f, routerIn, routerScale_.data(), H, s.moeIn.data(), T);
      scored = s.moeIn.data();
    }
    const LinearOut routerOut[1] = {{&router_, logits}};
    linear(f, prepare_acts(f, scored, H, ActMode::Float), routerOut, 1);
    if (!routerBias_.empty())
      for (int t = 0; t < T; t++)
        for (int e = 0; e < E; e++) logits[static_cast<size_t>(t) * E + e] += routerBias_[e];
    // Routing: per token its K experts and weights, then the tokens of each expert in token order.
    std::vector<int> chosen(static_cast<size_t>(T) * K);
    std::vector<float> weight(static_cast<size_t>(T) * K);
    for (int t = 0; t < T; t++)
      route(logits + static_cast<size_t>(t) * E, &chosen[static_cast<size_t>(t) * K], &weight[static_cast<size_t>(t) * K],
            probe_call(f, t));
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
    if (T == 1) {
      decode_experts(f, in, chosen.data(), weight.data(), sum);
    } else {
      for (int e = 0; e < E; e++) {
        const int n = count[e + 1] - count[e];
        if (!n) continue;
        const int* slots = &slotOf[count[e]];
        for (int j = 0; j < n; j++)
          std::memcpy(s.moeIn.data() + static_cast<size_t>(j) * H, in + static_cast<size_t>(slots[j] / K) * H, sizeof(float) * H);
        Forward g = f.rows(n);
        swiglu(g, store_->get(gate_[e], f.pool), store_->get(up_[e], f.pool), store_->get(down_[e], f.pool), s.moeIn.data(),
               s.moeOut.data(), math(e));
        for (int j = 0; j < n; j++) {
          const float w = weight[slots[j]];
          float* dst = sum + static_cast<size_t>(slots[j] / K) * H;
          const float* y = s.moeOut.data() + static_cast<size_t>(j) * H;
          for (int i = 0; i < H; i++) dst[i] += w * y[i];
        }
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
  ExpertMath math(int e) const {
    ExpertMath m;
    m.act = p_.activation;
    m.alpha = static_cast<float>(p_.swigluAlpha);
    m.limit = static_cast<float>(p_.swigluLimit);
    if (p_.expertBias) {
      const int I = p_.expertIntermediateSize;
      m.gateBias = &gateBias_[static_cast<size_t>(e) * I];
      m.upBias = &upBias_[static_cast<size_t>(e) * I];
      m.downBias = &downBias_[static_cast<size_t>(e) * H_];
    }
    return m;
  }

  // One token (decode): its K experts share the input, so their gate and up projections run in one parallel region,
  // and their down projections (each over its own activation row) in another, instead of K regions each.
  void decode_experts(Forward& f, const float* in, const int* ids, const float* w, float* sum) const {
    Scratch& s = f.s;
    const int K = p_.topK, I = p_.expertIntermediateSize, H = H_;
    std::vector<LinearOut> outs;
    for (int k = 0; k < K; k++) {
      outs.push_back({&store_->get(gate_[ids[k]], f.pool), s.gate.data() + static_cast<size_t>(k) * I});
      outs.push_back({&store_->get(up_[ids[k]], f.pool), s.up.data() + static_cast<size_t>(k) * I});
    }
    Acts a = prepare_acts(f, in, H);
    linear(f, a, outs.data(), 2 * K);
    f.pool.parallel_for(K, [&](int k0, int k1) {
      for (int k = k0; k < k1; k++)
        activate_span(f.k, s.gate.data() + static_cast<size_t>(k) * I, s.up.data() + static_cast<size_t>(k) * I, I, I, math(ids[k]));
    });
    Forward rows = f.rows(K);
    const Acts ad = prepare_acts(rows, s.gate.data(), I);
    std::vector<Acts> acts;
    std::vector<LinearOut> downs;
    for (int k = 0; k < K; k++) {
      acts.push_back(acts_row(ad, k));
      downs.push_back({&store_->get(down_[ids[k]], f.pool), s.moeOut.data() + static_cast<size_t>(k) * H});
    }
    linear_each(f, acts.data(), downs.data(), K);
    for (int k = 0; k < K; k++) {
      float* y = s.moeOut.data() + static_cast<size_t>(k) * H;
      add_bias(y, math(ids[k]).downBias, 1, H);
      for (int i = 0; i < H; i++) sum[i] += w[k] * y[i];
    }
  }

  // Evaluate's router probe at row t.
  static ProbeCall probe_call(const Forward& f, int t) {
    RouterProbe* p = f.s.routerProbe;
    if (!p) return {};
    const int pos = f.s.rowPos[t];
    return {&p->gaps[static_cast<size_t>(pos) * p->layers + f.layer], f.layer == p->flipLayer && pos == p->flipPos};
  }

  // The K highest-scoring experts of one token (ties: the lower index) and their weights.
  void route(const float* logits, int* ids, float* w, ProbeCall probe = {}) const {
    const int E = p_.numExperts, K = p_.topK;
    std::vector<float> score(logits, logits + E);
    if (p_.scoring == RouterScoring::SoftmaxTopK) {
      // The topK logits, softmaxed among themselves (gpt-oss): select on the logits as they are.
    } else if (p_.scoring == RouterScoring::Softmax) {
      const float mx = *std::max_element(score.begin(), score.end());
      float z = 0.f;
      for (float& v : score) z += (v = std::exp(v - mx));
      for (float& v : score) v /= z;
    } else {
      for (float& v : score) v = 1.f / (1.f + std::exp(-v));
    }
    std::vector<int> order(E);
    for (int e = 0; e < E; e++) order[e] = e;
    // K + 1 when there is a (K+1)-th: the probe's gap and flip need it.
    const int sorted = std::min(K + 1, E);
    std::partial_sort(order.begin(), order.begin() + sorted, order.end(),
                      [&](int a, int b) { return score[a] > score[b] || (score[a] == score[b] && a < b); });
    if (probe.gap && sorted > K) *probe.gap = logits[order[K - 1]] - logits[order[K]];
    if (probe.flip && sorted > K) std::swap(order[K - 1], order[K]);
    if (p_.scoring == RouterScoring::SoftmaxTopK) {
      const float mx = score[order[0]];
      float z = 0.f;
      for (int k = 0; k < K; k++) z += (w[k] = std::exp(score[order[k]] - mx));
      for (int k = 0; k < K; k++) {
        ids[k] = order[k];
        w[k] /= z;
      }
      return;
    }
    float total = 0.f;
    for (int k = 0; k < K; k++) total += score[order[k]];
    for (int k = 0; k < K; k++) {
      ids[k] = order[k];
      w[k] = (p_.normTopK ? score[order[k]] / total : score[order[k]]) * (p_.expertScale ? expertScale_[order[k]] : 1.f);
    }
  }

  MlpPlan p_;
  int H_;
  std::shared_ptr<LazyWeightStore> store_;
  OwnedWeight router_;
  std::vector<float> routerBias_, sharedScale_;
  std::vector<float> routerScale_, expertScale_;  // [H] (routerNorm, over sqrt(H)), [E] (expertScale)
  std::vector<float> gateBias_, upBias_, downBias_;  // [E][I], [E][I], [E][H] (expertBias)
  std::vector<int> gate_, up_, down_;
  OwnedWeight sharedGate_, sharedUp_, sharedDown_;
};

}  // namespace

std::unique_ptr<FeedForward> make_moe(Loader& ld, const ModelSpec& spec, const LayerPlan& plan, const std::string& prefix) {
  return std::make_unique<MoeFeedForward>(ld, plan.mlp, spec.hiddenSize, prefix);
}

std::unique_ptr<RoutedFeedForward> make_routed_moe(Loader& ld, const ModelSpec& spec, const MlpPlan& plan, const std::string& prefix) {
  return std::make_unique<MoeFeedForward>(ld, plan, spec.hiddenSize, prefix);
}

}  // namespace vmlx
