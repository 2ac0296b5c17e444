// Gated DeltaNet linear attention (Qwen3.5, Qwen3-Next). Per token: in-projections to q/k/v (one fused matrix), the
// output gate z, and per value head b and a; a depthwise causal conv with SiLU over q/k/v; L2-normalised q (scaled
// by 1/sqrt(dk)) and k; then the gated delta rule on each value head's state S [dv][dk]:
//   g = exp(-exp(A_log) * softplus(a + dt_bias)), beta = sigmoid(b)
//   S *= g;  S += beta * (v - S k) k^T;  o = S q
// and finally a per-head RMSNorm of o gated by silu(z), and the output projection.
// The state is a DeltaNetState (cache.h). Tokens of a prefill chunk run the recurrence one after another.
#include <cmath>

#include "blocks/blocks.h"
#include "blocks/linear.h"

namespace vmlx {
namespace {

inline float silu(float x) { return x / (1.f + std::exp(-x)); }
inline float sigmoid(float x) { return 1.f / (1.f + std::exp(-x)); }
inline float softplus(float x) { return x > 20.f ? x : std::log1p(std::exp(x)); }

class GatedDeltaNet : public TokenMixer {
 public:
  GatedDeltaNet(Loader& ld, const DeltaNetPlan& p, int H, const std::string& pre)
      : p_(p), mixed_(ld.scratch().gate), conved_(ld.scratch().up), z_out_(ld.scratch().q), b_out_(ld.scratch().k),
        a_out_(ld.scratch().v), core_(ld.scratch().attn) {
    keyDim_ = p.numKHeads * p.headKDim;
    valueDim_ = p.numVHeads * p.headVDim;
    channels_ = 2 * keyDim_ + valueDim_;
    qkv_ = ld.matrix(pre + "ssm_in_qkv", channels_, H);
    z_ = ld.matrix(pre + "ssm_in_z", valueDim_, H);
    // b and a feed sigmoid and exp(-A·softplus) gates that compound over every later token: they are kept in f32
    // and applied to the f32 activations (numVHeads rows: negligible work), not through int8-quantized activations.
    gatesW_ = ld.dense(pre + "ssm_in_b", p.numVHeads, H);
    const std::vector<float> aW = ld.dense(pre + "ssm_in_a", p.numVHeads, H);
    gatesW_.insert(gatesW_.end(), aW.begin(), aW.end());
    conv_ = ld.floats(pre + "ssm_conv1d", {channels_, p.convKernel, 1});
    const std::vector<float> aLog = ld.vector(pre + "ssm_a_log", p.numVHeads);
    negA_.resize(aLog.size());
    for (size_t i = 0; i < aLog.size(); i++) negA_[i] = -std::exp(aLog[i]);
    dtBias_ = ld.vector(pre + "ssm_dt_bias", p.numVHeads);
    norm_ = ld.vector(pre + "ssm_norm", p.headVDim);
    out_ = ld.matrix(pre + "ssm_out", H, valueDim_);
  }

  std::unique_ptr<LayerState> make_state(int) const override {
    return std::make_unique<DeltaNetState>(p_.convKernel - 1, channels_, p_.numVHeads, p_.headVDim, p_.headKDim);
  }

  void forward(Forward& f, const float* in, float* out) const override {
    const int T = f.T, C = channels_, Hv = p_.numVHeads;
    mixed_.resize(static_cast<size_t>(T) * C);
    conved_.resize(static_cast<size_t>(T) * C);
    z_out_.resize(static_cast<size_t>(T) * valueDim_);
    b_out_.resize(static_cast<size_t>(T) * Hv);
    a_out_.resize(static_cast<size_t>(T) * Hv);
    core_.resize(static_cast<size_t>(T) * valueDim_);
    Acts acts = prepare_acts(f, in, f.spec.hiddenSize);
    const LinearOut proj[2] = {{&qkv_, mixed_.data()}, {&z_, z_out_.data()}};
    linear(f, acts, proj, 2);
    project_gates(f, in);
    // The conv and the recurrence run per sequence, over its rows, on its own state.
    for (int g = 0; g < f.nsegs; g++) convolve(f, f.segs[g], *static_cast<DeltaNetState*>(f.state(g)));
    normalize_qk(f);
    for (int g = 0; g < f.nsegs; g++) recur(f, f.segs[g], *static_cast<DeltaNetState*>(f.state(g)));
    gated_norm(f);
    Acts ao = prepare_acts(f, core_.data(), valueDim_);
    const LinearOut o[1] = {{&out_, out}};
    linear(f, ao, o, 1);
  }

 private:
  // b_out_ and a_out_ [T][numVHeads] from the f32 input rows.
  void project_gates(Forward& f, const float* in) const {
    const int H = f.spec.hiddenSize, Hv = p_.numVHeads;
    f.pool.parallel_for(f.T, [&](int t0, int t1) {
      for (int t = t0; t < t1; t++) {
        const float* x = in + static_cast<size_t>(t) * H;
        for (int r = 0; r < 2 * Hv; r++) {
          const float* w = gatesW_.data() + static_cast<size_t>(r) * H;
          float acc = 0;
          for (int i = 0; i < H; i++) acc += w[i] * x[i];
          (r < Hv ? b_out_ : a_out_)[static_cast<size_t>(t) * Hv + (r % Hv)] = acc;
        }
      }
    });
  }

  // Depthwise causal conv over the segment's T new inputs, preceded by the kernel-1 inputs kept in its state; then
  // SiLU.
  void convolve(Forward& f, const Segment& seg, DeltaNetState& st) const {
    const int T = seg.T, C = channels_, K = p_.convKernel, past = K - 1;
    f.pool.parallel_for(C, [&](int c0, int c1) {
      std::vector<float> window(static_cast<size_t>(past + T));
      for (int c = c0; c < c1; c++) {
        for (int j = 0; j < past; j++) window[j] = st.conv[static_cast<size_t>(j) * C + c];
        for (int t = 0; t < T; t++) window[past + t] = mixed_[static_cast<size_t>(seg.row0 + t) * C + c];
        const float* w = conv_.data() + static_cast<size_t>(c) * K;
        for (int t = 0; t < T; t++) {
          float acc = 0;
          for (int j = 0; j < K; j++) acc += w[j] * window[t + j];
          conved_[static_cast<size_t>(seg.row0 + t) * C + c] = silu(acc);
        }
        for (int j = 0; j < past; j++) st.conv[static_cast<size_t>(j) * C + c] = window[T + j];
      }
    });
  }

  // q and k per key head to unit L2 norm (as mlx-lm: rms_norm with eps 1e-6, scaled), q also by 1/sqrt(dk).
  void normalize_qk(Forward& f) const {
    const int dk = p_.headKDim, C = channels_;
    const float qScale = 1.f / std::sqrt(static_cast<float>(dk));
    f.pool.parallel_for(f.T, [&](int t0, int t1) {
      for (int t = t0; t < t1; t++) {
        float* row = conved_.data() + static_cast<size_t>(t) * C;
        for (int h = 0; h < 2 * p_.numKHeads; h++) {
          float* x = row + static_cast<size_t>(h) * dk;
          double ss = 0;
          for (int i = 0; i < dk; i++) ss += static_cast<double>(x[i]) * x[i];
          float inv = static_cast<float>(1.0 / std::sqrt(ss + dk * 1e-6));
          if (h < p_.numKHeads) inv *= qScale;
          for (int i = 0; i < dk; i++) x[i] *= inv;
        }
      }
    });
  }

  // The gated delta rule, token by token, each value head on its own (heads are independent).
  void recur(Forward& f, const Segment& seg, DeltaNetState& st) const {
    const int T = seg.T, C = channels_, dk = p_.headKDim, dv = p_.headVDim, Hv = p_.numVHeads;
    const int group = Hv / p_.numKHeads;
    f.pool.parallel_for(Hv, [&](int h0, int h1) {
      for (int h = h0; h < h1; h++) {
        float* S = st.recurrent.data() + static_cast<size_t>(h) * dv * dk;
        const int kh = h / group;
        for (int r = seg.row0; r < seg.row0 + T; r++) {
          const float* row = conved_.data() + static_cast<size_t>(r) * C;
          const float* q = row + static_cast<size_t>(kh) * dk;
          const float* k = row + keyDim_ + static_cast<size_t>(kh) * dk;
          const float* v = row + 2 * keyDim_ + static_cast<size_t>(h) * dv;
          const size_t th = static_cast<size_t>(r) * Hv + h;
          const float g = std::exp(negA_[h] * softplus(a_out_[th] + dtBias_[h]));
          const float beta = sigmoid(b_out_[th]);
          float* o = core_.data() + static_cast<size_t>(r) * valueDim_ + static_cast<size_t>(h) * dv;
          for (int i = 0; i < dv; i++) {
            float* s = S + static_cast<size_t>(i) * dk;
            float kv = 0;
            for (int j = 0; j < dk; j++) {
              s[j] *= g;
              kv += s[j] * k[j];
            }
            const float d = (v[i] - kv) * beta;
            float acc = 0;
            for (int j = 0; j < dk; j++) {
              s[j] += d * k[j];
              acc += s[j] * q[j];
            }
            o[i] = acc;
          }
        }
      }
    });
  }

  // Per value head: RMSNorm(o) * w * silu(z).
  void gated_norm(Forward& f) const {
    const int dv = p_.headVDim, Hv = p_.numVHeads;
    const float eps = static_cast<float>(f.spec.rmsNormEps);
    f.pool.parallel_for(f.T * Hv, [&](int r0, int r1) {
      for (int r = r0; r < r1; r++) {
        float* o = core_.data() + static_cast<size_t>(r) * dv;
        const float* z = z_out_.data() + static_cast<size_t>(r) * dv;
        f.k.rmsnorm(o, norm_.data(), eps, dv, o);
        for (int i = 0; i < dv; i++) o[i] *= silu(z[i]);
      }
    });
  }

  DeltaNetPlan p_;
  int keyDim_ = 0, valueDim_ = 0, channels_ = 0;
  OwnedWeight qkv_, z_, out_;
  std::vector<float> gatesW_;  // [2 * numVHeads][hidden]: the b rows, then the a rows
  std::vector<float> conv_, negA_, dtBias_, norm_;
  // Per-pass buffers in the model's scratch (a model runs one forward pass at a time; see Scratch).
  ScratchView mixed_, conved_, z_out_, b_out_, a_out_, core_;
};

}  // namespace

std::unique_ptr<TokenMixer> make_gated_deltanet(Loader& ld, const ModelSpec& spec, const LayerPlan& plan, const std::string& prefix) {
  return std::make_unique<GatedDeltaNet>(ld, plan.deltaNet, spec.hiddenSize, prefix);
}

}  // namespace vmlx
