// Grouped-query attention: q/k/v projections (optional biases, optional per-head q/k RMSNorm, optional unweighted v
// RMSNorm, v taken from the k projection, or k/v shared from an earlier layer's cache), RoPE, the KV cache
// store, causal attention over the cache (full or a sliding window, optional per-head sinks, soft-capped logits,
// the family's query scale), an optional sigmoid output gate (emitted by q_proj beside each query head, as
// Qwen3.5 does), and the output projection (optional bias).
#include <algorithm>
#include <atomic>
#include <cmath>

#include "blocks/blocks.h"
#include "blocks/linear.h"
#include "blocks/rope.h"

namespace vmlx {
namespace {

class Attention : public TokenMixer {
 public:
  Attention(Loader& ld, const AttentionPlan& p, int H, const std::string& pre) : p_(p), queryGate_(ld.scratch().gate) {
    const int qd = p.numHeads * p.headDim, kd = p.numKvHeads * p.headDim;
    const bool ownKv = p.kvSource < 0;
    q_ = ld.matrix(pre + "attn_q", p.outputGate ? 2 * qd : qd, H);
    if (ownKv) k_ = ld.matrix(pre + "attn_k", kd, H);
    if (ownKv && !p.valueFromKey) v_ = ld.matrix(pre + "attn_v", kd, H);
    o_ = ld.matrix(pre + "attn_output", H, qd);
    if (p.outputBias) oBias_ = ld.vector(pre + "attn_output.bias", H);
    if (p.sinks) sinks_ = ld.vector(pre + "attn_sinks", p.numHeads);
    if (p.qkvBias) {
      qBias_ = ld.vector(pre + "attn_q.bias", qd);
      kBias_ = ld.vector(pre + "attn_k.bias", kd);
      vBias_ = ld.vector(pre + "attn_v.bias", kd);
    }
    if (p.qkNorm) {
      qNorm_ = ld.norm(pre + "attn_q_norm", p.headDim);
      if (ownKv) kNorm_ = ld.norm(pre + "attn_k_norm", p.headDim);
    }
    if (p.valueNorm) vNorm_.assign(p.headDim, 1.f);
  }

  // A sliding window keeps the window plus one prefill chunk (every key of a chunk is stored before any query of it
  // attends), unless the whole sequence fits in that anyway.
  std::unique_ptr<LayerState> make_state(int maxContext) const override {
    if (p_.kvSource >= 0) return nullptr;  // reads the source layer's cache
    const int ring = p_.slidingWindow + Model::kChunk - 1;
    if (p_.slidingWindow > 0 && ring < maxContext) return std::make_unique<RingKvCache>(p_.numKvHeads, p_.headDim, p_.slidingWindow, ring);
    return std::make_unique<FullKvCache>(p_.numKvHeads, p_.headDim, maxContext);
  }
  std::unique_ptr<LayerState> make_paged_state(KvPool& pool, int) const override {
    if (p_.kvSource >= 0) return nullptr;  // reads the source layer's cache
    return std::make_unique<PagedKvCache>(pool, p_.numKvHeads, p_.headDim, p_.slidingWindow);
  }

  void forward(Forward& f, const float* in, float* out) const override {
    // A layer sharing another layer's k/v attends over that layer's cache, already filled for these tokens.
    const bool ownKv = p_.kvSource < 0;
    Scratch& s = f.s;
    const int hd = p_.headDim, nh = p_.numHeads, nkv = p_.numKvHeads;
    const int qd = nh * hd, kd = nkv * hd;
    Acts a = prepare_acts(f, in, f.spec.hiddenSize);
    if (p_.outputGate) queryGate_.resize(static_cast<size_t>(f.T) * 2 * qd);
    const LinearOut qkv[3] = {{&q_, p_.outputGate ? queryGate_.data() : s.q.data()}, {&k_, s.k.data()}, {&v_, s.v.data()}};
    linear(f, a, qkv, !ownKv ? 1 : p_.valueFromKey ? 2 : 3);
    if (p_.outputGate) split_query_gate(f, qd);
    const float eps = static_cast<float>(f.spec.rmsNormEps);
    const RopeTable* rope = p_.rope.kind == RopeKind::None ? nullptr : &rope_table(s, p_.rope);
    const int half = p_.rope.rotaryDims / 2;
    f.pool.parallel_for(f.T, [&](int t0, int t1) {
      for (int t = t0; t < t1; t++) {
        float* q = s.q.data() + static_cast<size_t>(t) * qd;
        float* k = s.k.data() + static_cast<size_t>(t) * kd;
        float* v = s.v.data() + static_cast<size_t>(t) * kd;
        if (p_.qkvBias) {
          for (int i = 0; i < qd; i++) q[i] += qBias_[i];
          for (int i = 0; i < kd; i++) k[i] += kBias_[i], v[i] += vBias_[i];
        }
        if (p_.qkNorm)
          for (int h = 0; h < nh; h++) f.k.rmsnorm(q + h * hd, qNorm_.data(), eps, hd, q + h * hd);
        const float* cs = rope ? rope->cos.data() + static_cast<size_t>(t) * half : nullptr;
        const float* sn = rope ? rope->sin.data() + static_cast<size_t>(t) * half : nullptr;
        if (rope) rope_apply(q, nh, hd, p_.rope.rotaryDims, cs, sn);
        if (!ownKv) continue;
        if (p_.valueFromKey) std::copy(k, k + kd, v);
        if (p_.qkNorm)
          for (int h = 0; h < nkv; h++) f.k.rmsnorm(k + h * hd, kNorm_.data(), eps, hd, k + h * hd);
        if (p_.valueNorm)
          for (int h = 0; h < nkv; h++) f.k.rmsnorm(v + h * hd, vNorm_.data(), eps, hd, v + h * hd);
        if (rope) rope_apply(k, nkv, hd, p_.rope.rotaryDims, cs, sn);
        KvCache& kv = cache(f, s.rowSeg[t]);
        const int pos = s.rowPos[t];
        for (int h = 0; h < nkv; h++) kv.store(h, pos, k + h * hd, v + h * hd, f.k.to_f16);
      }
    });
    // Work items: (segment, KV head, chunk of its query heads, block of the segment's tokens), at most
    // kMaxAttendRows query rows each, so the kernel converts every cached key and value once for all rows. Items of
    // one KV head are adjacent and claimed in order: both threads read the same head's cache at the same time
    // (and causal lengths interleave). Each row's result depends only on its own query and cache, never on which
    // rows share its item, so a sequence's output does not depend on the batch around it.
    const int group = nh / nkv;
    const int headsPer = std::min(group, kMaxAttendRows);
    const int headChunks = (group + headsPer - 1) / headsPer;
    const int tokensPer = std::max(1, kMaxAttendRows / headsPer);
    std::vector<int> firstItem(f.nsegs + 1, 0);
    for (int g = 0; g < f.nsegs; g++) firstItem[g + 1] = firstItem[g] + nkv * headChunks * ((f.segs[g].T + tokensPer - 1) / tokensPer);
    const float scale = p_.queryScale > 0 ? static_cast<float>(p_.queryScale) : 1.f / std::sqrt(static_cast<float>(hd));
    const int window = p_.slidingWindow;
    // The first position a query at `pos` sees.
    auto window_start = [window](int pos) { return window > 0 ? std::max(0, pos - window + 1) : 0; };
    const size_t scoresPer = static_cast<size_t>(kMaxAttendRows) * f.max_context();
    // Items are claimed in order from a shared counter: a batch's sequences differ in length, so equal shares would
    // leave one thread waiting.
    std::atomic<int> nextItem{0};
    f.pool.run([&](int ith, int) {
      float* scores = s.scores.data() + static_cast<size_t>(ith) * scoresPer;
      int g = 0;
      for (int item = nextItem.fetch_add(1, std::memory_order_relaxed); item < firstItem[f.nsegs];
           item = nextItem.fetch_add(1, std::memory_order_relaxed)) {
        while (item >= firstItem[g + 1]) g++;
        const Segment& seg = f.segs[g];
        const KvCache& kv = cache(f, g);
        const int tokenBlocks = (seg.T + tokensPer - 1) / tokensPer, perHead = headChunks * tokenBlocks;
        const int i = item - firstItem[g];
        const int kvh = i / perHead, hc = (i % perHead) / tokenBlocks, tb = i % tokenBlocks;
        const int tBegin = tb * tokensPer, tEnd = std::min(seg.T, (tb + 1) * tokensPer);
        const int from = window_start(seg.pos0 + tBegin), to = seg.pos0 + tEnd - 1;
        AttendRows ar{};
        ar.softcap = static_cast<float>(p_.softcap);
        ar.dim = hd;
        ar.scale = scale;
        ar.scores = scores;
        const int h0 = kvh * group + hc * headsPer, h1 = std::min(kvh * group + group, h0 + headsPer);
        for (int t = tBegin; t < tEnd; t++)
          for (int h = h0; h < h1; h++) {
            const size_t row = static_cast<size_t>(seg.row0 + t);
            ar.q[ar.rows] = s.q.data() + row * qd + h * hd;
            ar.out[ar.rows] = s.attn.data() + row * qd + h * hd;
            ar.lens[ar.rows] = seg.pos0 + t + 1;  // absolute positions until a span is chosen
            ar.starts[ar.rows] = window_start(seg.pos0 + t);
            ar.sink[ar.rows] = p_.sinks ? &sinks_[h] : nullptr;
            ar.rows++;
          }
        const int shift = kv.block_shift();
        if (shift >= 0) {
          // A paged cache: one call over the blocks holding [from, to], positions absolute.
          thread_local std::vector<const uint16_t*> kRows, vRows;
          const size_t blocks = static_cast<size_t>(to >> shift) + 1;
          if (kRows.size() < blocks) kRows.resize(blocks), vRows.resize(blocks);
          ar.stride = kv.block_rows(kvh, from >> shift, to >> shift, kRows.data(), vRows.data());
          ar.kBlocks = kRows.data();
          ar.vBlocks = vRows.data();
          ar.blockShift = shift;
        } else {
          const KvSpan span = kv.span(kvh, from, to);
          ar.k = span.k;
          ar.v = span.v;
          ar.stride = span.stride;
          for (int r = 0; r < ar.rows; r++) ar.lens[r] -= span.first, ar.starts[r] -= span.first;
        }
        f.k.attend_rows(ar);
      }
    });
    if (p_.outputGate) apply_gate(f, qd);
    Acts ao = prepare_acts(f, s.attn.data(), qd);
    const LinearOut o[1] = {{&o_, out}};
    linear(f, ao, o, 1);
    if (p_.outputBias)
      for (int t = 0; t < f.T; t++)
        for (int i = 0; i < f.spec.hiddenSize; i++) out[static_cast<size_t>(t) * f.spec.hiddenSize + i] += oBias_[i];
  }

 private:
  // Segment g's cache of this layer: its own, or (kvSource) the earlier layer's whose keys and values it shares.
  KvCache& cache(const Forward& f, int g) const {
    LayerState* st = p_.kvSource < 0 ? f.state(g) : f.segs[g].seq->layers[p_.kvSource].get();
    return *static_cast<KvCache*>(st);
  }

  // queryGate_ rows are per head [query | gate]: queries go to s.q, gates stay in the first half of each row.
  void split_query_gate(Forward& f, int qd) const {
    const int hd = p_.headDim;
    f.pool.parallel_for(f.T, [&](int t0, int t1) {
      for (int t = t0; t < t1; t++) {
        float* row = queryGate_.data() + static_cast<size_t>(t) * 2 * qd;
        float* q = f.s.q.data() + static_cast<size_t>(t) * qd;
        for (int h = 0; h < p_.numHeads; h++)
          for (int i = 0; i < hd; i++) q[h * hd + i] = row[2 * h * hd + i];
        for (int h = 0; h < p_.numHeads; h++)
          for (int i = 0; i < hd; i++) row[h * hd + i] = row[2 * h * hd + hd + i];
      }
    });
  }

  void apply_gate(Forward& f, int qd) const {
    f.pool.parallel_for(f.T, [&](int t0, int t1) {
      for (int t = t0; t < t1; t++) {
        float* o = f.s.attn.data() + static_cast<size_t>(t) * qd;
        const float* g = queryGate_.data() + static_cast<size_t>(t) * 2 * qd;
        for (int i = 0; i < qd; i++) o[i] *= 1.f / (1.f + std::exp(-g[i]));
      }
    });
  }

  AttentionPlan p_;
  OwnedWeight q_, k_, v_, o_;
  std::vector<float> qBias_, kBias_, vBias_, oBias_, qNorm_, kNorm_, sinks_;
  std::vector<float> vNorm_;  // ones: v's RMSNorm has no weight
  // [T][2 * qd] when the layer has an output gate: the feed-forward's gate buffer, free while attention runs.
  ScratchView queryGate_;
};

}  // namespace

std::unique_ptr<TokenMixer> make_token_mixer(Loader& ld, const ModelSpec& spec, const LayerPlan& plan, const std::string& prefix) {
  switch (plan.mixer) {
    case MixerKind::Attention: return std::make_unique<Attention>(ld, plan.attention, spec.hiddenSize, prefix);
    case MixerKind::GatedDeltaNet: return make_gated_deltanet(ld, spec, plan, prefix);
  }
  return nullptr;
}

}  // namespace vmlx
