// Gated DeltaNet linear attention (Qwen3.5, Qwen3-Next). Per token: in-projections to q/k/v (one fused matrix), the
// output gate z, and per value head b and a; a depthwise causal conv with SiLU over q/k/v; L2-normalised q (scaled
// by 1/sqrt(dk)) and k; then the gated delta rule on each value head's state S [dv][dk]:
//   g = exp(-exp(A_log) * softplus(a + dt_bias)), beta = sigmoid(b)
//   S *= g;  S += beta * (v - S k) k^T;  o = S q
// and finally a per-head RMSNorm of o gated by silu(z), and the output projection.
// The state is a DeltaNetState (cache.h). Tokens of a prefill chunk run the recurrence one after another. The conv,
// the normalisations and the recurrence are kernels (KernelSet::conv_silu, l2_normalize, delta_rule, rmsnorm_gated).
// Qwen3-Next stores the in-projections fused per key head (ssm_in_qkvz rows: for each key head q, k, then the v and
// z rows of its value heads; ssm_in_ba: its b rows, then its a rows): one matmul whose rows are split per token.
#include <algorithm>
#include <cmath>
#include <string>

#include "blocks/blocks.h"
#include "blocks/linear.h"
#include "errors.h"

namespace vmlx {
namespace {

inline float sigmoid(float x) { return 1.f / (1.f + std::exp(-x)); }
inline float softplus(float x) { return x > 20.f ? x : std::log1p(std::exp(x)); }

class GatedDeltaNet : public TokenMixer {
 public:
  GatedDeltaNet(Loader& ld, const DeltaNetPlan& p, int H, const std::string& pre)
      : p_(p), mixed_(ld.scratch().gate), conved_(ld.scratch().up), z_out_(ld.scratch().q), gates_(ld.scratch().k),
        core_(ld.scratch().attn), fusedOut_(ld.scratch().v) {
    keyDim_ = p.numKHeads * p.headKDim;
    valueDim_ = p.numVHeads * p.headVDim;
    channels_ = 2 * keyDim_ + valueDim_;
    // b and a feed sigmoid and exp(-A·softplus) gates that compound over every later token: they are kept in f32
    // and applied to the f32 activations (numVHeads rows: negligible work), not through int8-quantized activations.
    fused_ = ld.has(pre + "ssm_in_qkvz");
    if (fused_) {
      qkv_ = ld.matrix(pre + "ssm_in_qkvz", channels_ + valueDim_, H);
      const std::vector<float> ba = ld.dense(pre + "ssm_in_ba", 2 * p.numVHeads, H);
      // Into the split layout: every b row (value-head order), then every a row.
      const int group = p.numVHeads / p.numKHeads;
      gatesW_.resize(ba.size());
      for (int h = 0; h < p.numVHeads; h++) {
        const size_t bRow = static_cast<size_t>(h / group) * 2 * group + h % group;
        std::copy_n(ba.begin() + bRow * H, H, gatesW_.begin() + static_cast<size_t>(h) * H);
        std::copy_n(ba.begin() + (bRow + group) * H, H, gatesW_.begin() + static_cast<size_t>(p.numVHeads + h) * H);
      }
    } else {
      qkv_ = ld.matrix(pre + "ssm_in_qkv", channels_, H);
      z_ = ld.matrix(pre + "ssm_in_z", valueDim_, H);
      gatesW_ = ld.dense(pre + "ssm_in_b", p.numVHeads, H);
      const std::vector<float> aW = ld.dense(pre + "ssm_in_a", p.numVHeads, H);
      gatesW_.insert(gatesW_.end(), aW.begin(), aW.end());
    }
    gatesView_ = PackedWeight{WeightKind::F32, 2 * p.numVHeads, H, 0, 0, 0, (2 * p.numVHeads + kTileRows - 1) / kTileRows,
                              reinterpret_cast<const uint8_t*>(gatesW_.data()), false, nullptr, nullptr};
    if (p.convKernel < 1 || p.convKernel > kMaxConvKernel)
      throw EngineError(pre + "ssm_conv1d: conv kernel width " + std::to_string(p.convKernel) + " is not in 1.." +
                        std::to_string(kMaxConvKernel));
    // Stored [channels][K]; the kernel reads tap j of consecutive channels, so it is kept as [K][channels].
    const std::vector<float> conv = ld.floats(pre + "ssm_conv1d", {channels_, p.convKernel, 1});
    convT_.resize(conv.size());
    for (int c = 0; c < channels_; c++)
      for (int j = 0; j < p.convKernel; j++) convT_[static_cast<size_t>(j) * channels_ + c] = conv[static_cast<size_t>(c) * p.convKernel + j];
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
    gates_.resize(static_cast<size_t>(T) * 2 * Hv);
    core_.resize(static_cast<size_t>(T) * valueDim_);
    Acts acts = prepare_acts(f, in, f.spec.hiddenSize);
    if (fused_) {
      fusedOut_.resize(static_cast<size_t>(T) * (C + valueDim_));
      const LinearOut proj[1] = {{&qkv_, fusedOut_.data()}};
      linear(f, acts, proj, 1);
      split_fused(f);
    } else {
      const LinearOut proj[2] = {{&qkv_, mixed_.data()}, {&z_, z_out_.data()}};
      linear(f, acts, proj, 2);
    }
    project_gates(f, in);
    decay_gates(f);
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
  // The fused projection's rows per key head [q | k | v of its value heads | z of its value heads] into mixed_
  // (all q, all k, all v) and z_out_.
  void split_fused(Forward& f) const {
    const int C = channels_, dk = p_.headKDim, Kh = p_.numKHeads;
    const int gv = (p_.numVHeads / Kh) * p_.headVDim;
    f.pool.parallel_for(f.T, [&](int t0, int t1) {
      for (int t = t0; t < t1; t++) {
        const float* src = fusedOut_.data() + static_cast<size_t>(t) * (C + valueDim_);
        float* mixed = mixed_.data() + static_cast<size_t>(t) * C;
        float* z = z_out_.data() + static_cast<size_t>(t) * valueDim_;
        for (int g = 0; g < Kh; g++, src += 2 * dk + 2 * gv) {
          std::copy_n(src, dk, mixed + static_cast<size_t>(g) * dk);
          std::copy_n(src + dk, dk, mixed + keyDim_ + static_cast<size_t>(g) * dk);
          std::copy_n(src + 2 * dk, gv, mixed + 2 * keyDim_ + static_cast<size_t>(g) * gv);
          std::copy_n(src + 2 * dk + gv, gv, z + static_cast<size_t>(g) * gv);
        }
      }
    });
  }

  // gates_ [T][b | a] (numVHeads each) from the f32 input rows, through the kernel set's float matmul (threads take
  // ranges of tokens; there are only two tiles of rows).
  void project_gates(Forward& f, const float* in) const {
    const int H = f.spec.hiddenSize, n = 2 * p_.numVHeads;
    f.pool.parallel_for(f.T, [&](int t0, int t1) {
      Acts a{};
      a.mode = ActMode::Float;
      a.T = t1 - t0;
      a.cols = H;
      a.x = in + static_cast<size_t>(t0) * H;
      f.k.matmul(gatesView_, a, gates_.data() + static_cast<size_t>(t0) * n, n, 0, gatesView_.tiles);
    });
  }

  // In gates_, per token and value head: b becomes beta = sigmoid(b), a becomes the decay
  // g = exp(-exp(A_log) * softplus(a + dt_bias)).
  void decay_gates(Forward& f) const {
    const int Hv = p_.numVHeads;
    for (int t = 0; t < f.T; t++) {
      float* b = gates_.data() + static_cast<size_t>(t) * 2 * Hv;
      float* a = b + Hv;
      for (int h = 0; h < Hv; h++) {
        a[h] = std::exp(negA_[h] * softplus(a[h] + dtBias_[h]));
        b[h] = sigmoid(b[h]);
      }
    }
  }

  // Depthwise causal conv over the segment's T new inputs, preceded by the kernel-1 inputs kept in its state; then
  // SiLU. Threads take ranges of channels; each then moves its channels' last K-1 inputs into the state.
  void convolve(Forward& f, const Segment& seg, DeltaNetState& st) const {
    const int T = seg.T, C = channels_, K = p_.convKernel, past = K - 1;
    const float* x = mixed_.data() + static_cast<size_t>(seg.row0) * C;
    f.pool.parallel_for(C, [&](int c0, int c1) {
      const ConvSpan span{st.conv.data(), x, static_cast<size_t>(C), convT_.data(),
                          conved_.data() + static_cast<size_t>(seg.row0) * C, static_cast<size_t>(C), T, C, K, c0, c1};
      f.k.conv_silu(span);
      // Row j of the new history is input T + j - past: from x, or (short segments) a later row of the old history,
      // which ascending j has not overwritten yet.
      for (int j = 0; j < past; j++) {
        const int i = T + j - past;
        const float* src = i >= 0 ? x + static_cast<size_t>(i) * C : st.conv.data() + static_cast<size_t>(past + i) * C;
        float* dst = st.conv.data() + static_cast<size_t>(j) * C;
        for (int c = c0; c < c1; c++) dst[c] = src[c];
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
        for (int h = 0; h < 2 * p_.numKHeads; h++)
          f.k.l2_normalize(row + static_cast<size_t>(h) * dk, dk, dk * 1e-6f, h < p_.numKHeads ? qScale : 1.f);
      }
    });
  }

  // The gated delta rule, token by token, each value head on its own (heads are independent).
  void recur(Forward& f, const Segment& seg, DeltaNetState& st) const {
    const int T = seg.T, C = channels_, dk = p_.headKDim, dv = p_.headVDim, Hv = p_.numVHeads;
    const int group = Hv / p_.numKHeads;
    f.pool.parallel_for(Hv, [&](int h0, int h1) {
      for (int h = h0; h < h1; h++) {
        const int kh = h / group;
        const float* row = conved_.data() + static_cast<size_t>(seg.row0) * C;
        const float* beta = gates_.data() + static_cast<size_t>(seg.row0) * 2 * Hv + h;
        DeltaRuleSpan span{st.recurrent.data() + static_cast<size_t>(h) * dv * dk, dk, dv, T,
                           row + static_cast<size_t>(kh) * dk, row + keyDim_ + static_cast<size_t>(kh) * dk, static_cast<size_t>(C),
                           row + 2 * keyDim_ + static_cast<size_t>(h) * dv, static_cast<size_t>(C),
                           beta + Hv, beta, static_cast<size_t>(2 * Hv),
                           core_.data() + static_cast<size_t>(seg.row0) * valueDim_ + static_cast<size_t>(h) * dv, static_cast<size_t>(valueDim_)};
        f.k.delta_rule(span);
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
        f.k.rmsnorm_gated(o, norm_.data(), z, eps, dv, o);
      }
    });
  }

  DeltaNetPlan p_;
  int keyDim_ = 0, valueDim_ = 0, channels_ = 0;
  bool fused_ = false;  // Qwen3-Next's per-key-head fused in-projections (qkv_ then holds ssm_in_qkvz, z_ is unused)
  OwnedWeight qkv_, z_, out_;
  std::vector<float> gatesW_;  // [2 * numVHeads][hidden]: the b rows, then the a rows
  PackedWeight gatesView_{};   // gatesW_ as an F32 matmul weight
  std::vector<float> convT_, negA_, dtBias_, norm_;
  // Per-pass buffers in the model's scratch (a model runs one forward pass at a time; see Scratch). fusedOut_ holds
  // qwen3_next's fused projection before it is split into mixed_ and z_out_.
  ScratchView mixed_, conved_, z_out_, gates_, core_, fusedOut_;
};

}  // namespace

std::unique_ptr<TokenMixer> make_gated_deltanet(Loader& ld, const ModelSpec& spec, const LayerPlan& plan, const std::string& prefix) {
  return std::make_unique<GatedDeltaNet>(ld, plan.deltaNet, spec.hiddenSize, prefix);
}

}  // namespace vmlx
