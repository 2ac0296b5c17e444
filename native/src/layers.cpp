#include "layers.h"

#include <algorithm>
#include <cmath>


namespace vmlx {

Acts prepare_acts(Forward& f, const float* x, int cols) {
  Scratch& s = f.s;
  Acts a{};
  a.T = f.T;
  a.cols = cols;
  a.x = x;
  a.q = s.aq.data();
  a.qStride = (cols + 63) / 64 * 64;
  a.blocks = (cols + kActBlock - 1) / kActBlock;
  a.qscale = s.aScale.data();
  for (int l = 0; l < 3; l++) a.gsum[l] = s.aSum[l].data();
  f.pool.parallel_for(f.T, [&](int t0, int t1) {
    for (int t = t0; t < t1; t++) f.k.quantize_row(a, t);
  });
  return a;
}

void linear(Forward& f, const Acts& a, const LinearOut* outs, int n) {
  int total = 0;
  for (int i = 0; i < n; i++) total += outs[i].w->w.tiles;
  f.pool.parallel_for(total, [&](int b, int e) {
    int base = 0;
    for (int i = 0; i < n; i++) {
      const PackedWeight& w = outs[i].w->w;
      const int lo = std::max(b, base), hi = std::min(e, base + w.tiles);
      if (lo < hi) f.k.matmul(w, a, outs[i].y, w.rows, lo - base, hi - base);
      base += w.tiles;
    }
  });
}

void rmsnorm_rows(Forward& f, const float* in, const float* w, int n, float* out, int rows) {
  const float eps = static_cast<float>(f.spec.rmsNormEps);
  f.pool.parallel_for(rows, [&](int r0, int r1) {
    for (int r = r0; r < r1; r++) f.k.rmsnorm(in + static_cast<size_t>(r) * n, w, eps, n, out + static_cast<size_t>(r) * n);
  });
}

namespace {

void add_rows(float* x, const float* b, int T, int n) {
  for (int t = 0; t < T; t++)
    for (int i = 0; i < n; i++) x[static_cast<size_t>(t) * n + i] += b[i];
}

// NeoX (rotate-half) RoPE on `heads` heads of one token.
void rope_token(float* x, int heads, int hd, const float* cs, const float* sn) {
  const int half = hd / 2;
  for (int h = 0; h < heads; h++) {
    float* v = x + h * hd;
    for (int i = 0; i < half; i++) {
      const float x0 = v[i], x1 = v[i + half];
      v[i] = x0 * cs[i] - x1 * sn[i];
      v[i + half] = x0 * sn[i] + x1 * cs[i];
    }
  }
}

}  // namespace

void attention_block(Forward& f, const Layer& L, int layer, AttentionOptions opt) {
  const ModelSpec& sp = f.spec;
  Scratch& s = f.s;
  const int H = sp.hiddenSize, hd = sp.headDim, nh = sp.numHeads, nkv = sp.numKvHeads;
  const int qd = nh * hd, kd = nkv * hd;
  rmsnorm_rows(f, s.x.data(), L.inputNorm.data(), H, s.h.data(), f.T);
  Acts a = prepare_acts(f, s.h.data(), H);
  const LinearOut qkv[3] = {{&L.q, s.q.data()}, {&L.k, s.k.data()}, {&L.v, s.v.data()}};
  linear(f, a, qkv, 3);
  const float eps = static_cast<float>(sp.rmsNormEps);
  const int half = hd / 2;
  const size_t plane = static_cast<size_t>(f.kv.maxContext) * hd;
  f.pool.parallel_for(f.T, [&](int t0, int t1) {
    for (int t = t0; t < t1; t++) {
      float* q = s.q.data() + static_cast<size_t>(t) * qd;
      float* k = s.k.data() + static_cast<size_t>(t) * kd;
      const float* v = s.v.data() + static_cast<size_t>(t) * kd;
      if (opt.qkvBias) {
        add_rows(q, L.qBias.data(), 1, qd);
        add_rows(k, L.kBias.data(), 1, kd);
        add_rows(const_cast<float*>(v), L.vBias.data(), 1, kd);
      }
      if (opt.qkNorm) {
        for (int h = 0; h < nh; h++) f.k.rmsnorm(q + h * hd, L.qNorm.data(), eps, hd, q + h * hd);
        for (int h = 0; h < nkv; h++) f.k.rmsnorm(k + h * hd, L.kNorm.data(), eps, hd, k + h * hd);
      }
      const float* cs = s.cosTab.data() + static_cast<size_t>(t) * half;
      const float* sn = s.sinTab.data() + static_cast<size_t>(t) * half;
      rope_token(q, nh, hd, cs, sn);
      rope_token(k, nkv, hd, cs, sn);
      const int pos = f.pos0 + t;
      for (int h = 0; h < nkv; h++) {
        uint16_t* kc = f.kv.k.get() + (static_cast<size_t>(layer) * nkv + h) * plane + static_cast<size_t>(pos) * hd;
        uint16_t* vc = f.kv.v.get() + (static_cast<size_t>(layer) * nkv + h) * plane + static_cast<size_t>(pos) * hd;
        f.k.to_f16(k + h * hd, kc, hd);
        f.k.to_f16(v + h * hd, vc, hd);
      }
    }
  });
  // Work items: (KV head, chunk of its query heads, block of tokens), at most kMaxAttendRows query rows each, so the
  // kernel converts every cached key and value once for all rows. Items of one KV head are adjacent and dealt out
  // round-robin: both threads read the same head's cache at the same time (and causal lengths interleave).
  const int group = nh / nkv;
  const int headsPer = std::min(group, kMaxAttendRows);
  const int headChunks = (group + headsPer - 1) / headsPer;
  const int tokensPer = std::max(1, kMaxAttendRows / headsPer);
  const int tokenBlocks = (f.T + tokensPer - 1) / tokensPer;
  const int perHead = headChunks * tokenBlocks;
  const float scale = 1.f / std::sqrt(static_cast<float>(hd));
  f.pool.run([&](int ith, int nth) {
    float* scores = s.scores.data() + static_cast<size_t>(ith) * kMaxAttendRows * f.kv.maxContext;
    for (int i = ith; i < nkv * perHead; i += nth) {
      const int kvh = i / perHead, hc = (i % perHead) / tokenBlocks, tb = i % tokenBlocks;
      const size_t off = (static_cast<size_t>(layer) * nkv + kvh) * plane;
      AttendRows ar{};
      ar.k = f.kv.k.get() + off;
      ar.v = f.kv.v.get() + off;
      ar.dim = hd;
      ar.stride = hd;
      ar.scale = scale;
      ar.scores = scores;
      const int h0 = kvh * group + hc * headsPer, h1 = std::min(kvh * group + group, h0 + headsPer);
      for (int t = tb * tokensPer; t < std::min(f.T, (tb + 1) * tokensPer); t++)
        for (int h = h0; h < h1; h++) {
          ar.q[ar.rows] = s.q.data() + static_cast<size_t>(t) * qd + h * hd;
          ar.out[ar.rows] = s.attn.data() + static_cast<size_t>(t) * qd + h * hd;
          ar.lens[ar.rows] = f.pos0 + t + 1;
          ar.rows++;
        }
      f.k.attend_rows(ar);
    }
  });
  Acts ao = prepare_acts(f, s.attn.data(), qd);
  const LinearOut o[1] = {{&L.o, s.h.data()}};
  linear(f, ao, o, 1);
  const size_t n = static_cast<size_t>(f.T) * H;
  for (size_t i = 0; i < n; i++) s.x[i] += s.h[i];
}

void mlp_block(Forward& f, const Layer& L) {
  const ModelSpec& sp = f.spec;
  Scratch& s = f.s;
  const int H = sp.hiddenSize, I = sp.intermediateSize;
  rmsnorm_rows(f, s.x.data(), L.postNorm.data(), H, s.h.data(), f.T);
  Acts a = prepare_acts(f, s.h.data(), H);
  const LinearOut gu[2] = {{&L.gate, s.gate.data()}, {&L.up, s.up.data()}};
  linear(f, a, gu, 2);
  f.pool.parallel_for(f.T, [&](int t0, int t1) {
    const size_t at = static_cast<size_t>(t0) * I;
    f.k.silu_mul(s.gate.data() + at, s.up.data() + at, (t1 - t0) * I);
  });
  Acts ad = prepare_acts(f, s.gate.data(), I);
  const LinearOut d[1] = {{&L.down, s.h.data()}};
  linear(f, ad, d, 1);
  const size_t n = static_cast<size_t>(f.T) * H;
  for (size_t i = 0; i < n; i++) s.x[i] += s.h[i];
}

std::vector<double> rope_inv_freq_default(const ModelSpec& spec) {
  std::vector<double> f(spec.headDim / 2);
  for (int i = 0; i < spec.headDim / 2; i++) f[i] = std::pow(spec.ropeTheta, -2.0 * i / spec.headDim);
  return f;
}

}  // namespace vmlx
