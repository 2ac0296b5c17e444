// Float64 reference forward pass of the tiny models (mlx-lm semantics), with the key/value cache rounded to float16
// as the native engine stores it.
import { f16Round } from './numeric.js';
import type { RefLinear, RefModel, TinyMoe } from './tiny-model.js';

function matvec(l: RefLinear, x: Float64Array, bias?: Float64Array): Float64Array {
  const y = new Float64Array(l.rows);
  for (let r = 0; r < l.rows; r++) {
    let s = bias ? bias[r] : 0;
    for (let c = 0; c < l.cols; c++) s += l.w[r * l.cols + c] * x[c];
    y[r] = s;
  }
  return y;
}

function rmsnorm(x: Float64Array, w: Float64Array, eps: number, off = 0, n = x.length): void {
  let ss = 0;
  for (let i = 0; i < n; i++) ss += x[off + i] ** 2;
  const inv = 1 / Math.sqrt(ss / n + eps);
  for (let i = 0; i < n; i++) x[off + i] = x[off + i] * inv * w[i];
}

export function invFreqs(m: RefModel, theta: number): Float64Array {
  const d = m.cfg.headDim;
  const f = new Float64Array(d / 2);
  for (let i = 0; i < d / 2; i++) f[i] = theta ** (-(2 * i) / d);
  const y = m.cfg.ropeScalingPlan;
  if (y?.type === 'linear') return f.map((v) => v / y.factor);
  if (y?.type === 'longrope') return f.map((v, i) => v / y.freqFactors[i]);
  if (y?.type === 'proportional') return f.map((v, i) => (i < y.rotatedPairs ? v : 0));
  if (y?.type === 'yarn') {
    // Pairs below the beta_fast boundary keep their frequency, pairs above beta_slow are divided by the factor,
    // linearly in between (boundaries rounded outwards, as llama.cpp does).
    const corr = (rot: number) => (d * Math.log(y.originalMaxPositionEmbeddings / (rot * 2 * Math.PI))) / (2 * Math.log(theta));
    const lo = Math.max(0, Math.floor(corr(y.betaFast)));
    const hi = Math.min(d - 1, Math.ceil(corr(y.betaSlow)));
    return f.map((v, i) => {
      const keep = 1 - Math.min(1, Math.max(0, (i - lo) / Math.max(0.001, hi - lo)));
      return (v / y.factor) * (1 - keep) + v * keep;
    });
  }
  const r = m.cfg.ropeScaling;
  if (!r) return f;
  const lowWl = r.originalMaxPositionEmbeddings / r.lowFreqFactor;
  const highWl = r.originalMaxPositionEmbeddings / r.highFreqFactor;
  for (let i = 0; i < f.length; i++) {
    const wl = (2 * Math.PI) / f[i];
    if (wl < highWl) continue;
    if (wl > lowWl) f[i] /= r.factor;
    else {
      const s = (r.originalMaxPositionEmbeddings / wl - r.lowFreqFactor) / (r.highFreqFactor - r.lowFreqFactor);
      f[i] = ((1 - s) * f[i]) / r.factor + s * f[i];
    }
  }
  return f;
}

function rope(x: Float64Array, heads: number, hd: number, pos: number, freqs: Float64Array, mag: number): void {
  const half = hd / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      const a = pos * freqs[i];
      const c = mag * Math.cos(a), s = mag * Math.sin(a);
      const x0 = x[h * hd + i], x1 = x[h * hd + i + half];
      x[h * hd + i] = x0 * c - x1 * s;
      x[h * hd + i + half] = x0 * s + x1 * c;
    }
  }
}

/** Logits for every position of `tokens` (teacher forcing). */
export function referenceLogits(m: RefModel, tokens: number[], eps = 1e-6, theta = 10000): Float64Array[] {
  const { cfg } = m;
  const hd = cfg.headDim, nh = cfg.heads, nkv = cfg.kvHeads, H = cfg.hidden;
  const freqs = invFreqs(m, theta);
  const sc = m.cfg.ropeScalingPlan;
  const mag = sc && (sc.type === 'yarn' || sc.type === 'longrope') ? sc.attentionFactor : 1;
  const a = m.cfg.attn ?? {};
  const gemma = cfg.arch === 'gemma';
  // Gemma multiplies by 1 + w.
  const nw = (w: Float64Array) => (gemma ? w.map((v) => v + 1) : w);
  const scale = a.queryScale ?? 1 / Math.sqrt(hd);
  const K: Float64Array[][] = cfg.layers ? Array.from({ length: cfg.layers }, () => []) : [];
  const V: Float64Array[][] = Array.from({ length: cfg.layers }, () => []);
  const out: Float64Array[] = [];
  for (let pos = 0; pos < tokens.length; pos++) {
    const x = m.embed.w.slice(tokens[pos] * H, (tokens[pos] + 1) * H);
    if (gemma) for (let i = 0; i < H; i++) x[i] *= Math.sqrt(H);
    for (let li = 0; li < cfg.layers; li++) {
      const L = m.layers[li] as Record<string, any>;
      const h = x.slice();
      rmsnorm(h, nw(L.inputNorm), eps);
      const q = matvec(L.q, h, L.qBias);
      if (L.qNorm) for (let i = 0; i < nh; i++) rmsnorm(q, nw(L.qNorm), eps, i * hd, hd);
      rope(q, nh, hd, pos, freqs, mag);
      // Gemma 4's shared layers (odd ones here) attend over the previous layer's cache.
      const src = a.shareKv && li % 2 === 1 ? li - 1 : li;
      if (src === li) {
        const k = matvec(L.k, h, L.kBias);
        const v = a.valueFromKey ? k.slice() : matvec(L.v, h, L.vBias);
        if (L.qNorm) for (let i = 0; i < nkv; i++) rmsnorm(k, nw(L.kNorm), eps, i * hd, hd);
        if (a.valueNorm) for (let i = 0; i < nkv; i++) rmsnorm(v, new Float64Array(hd).fill(1), eps, i * hd, hd);
        rope(k, nkv, hd, pos, freqs, mag);
        K[li].push(k.map((e) => f16Round(e).value));
        V[li].push(v.map((e) => f16Round(e).value));
      }
      const attn = new Float64Array(nh * hd);
      for (let i = 0; i < nh; i++) {
        const kvh = Math.floor(i / (nh / nkv));
        // A sliding layer (even index) sees the last `slidingWindow` positions, itself included.
        const first = a.slidingWindow && li % 2 === 0 ? Math.max(0, pos - a.slidingWindow + 1) : 0;
        const logits = K[src].slice(first).map((kk) => {
          let s = 0;
          for (let d = 0; d < hd; d++) s += q[i * hd + d] * kk[kvh * hd + d];
          s *= scale;
          return a.softcap ? a.softcap * Math.tanh(s / a.softcap) : s;
        });
        const sink = L.sinks ? L.sinks[i] : -Infinity;
        const mx = Math.max(sink, ...logits);
        const e = logits.map((s) => Math.exp(s - mx));
        const z = e.reduce((acc, b) => acc + b, Math.exp(sink - mx));
        for (let j = 0; j < e.length; j++)
          for (let d = 0; d < hd; d++) attn[i * hd + d] += (e[j] / z) * V[src][first + j][kvh * hd + d];
      }
      const o = matvec(L.o, attn, L.oBias);
      if (gemma) rmsnorm(o, nw(L.postNorm), eps);
      for (let i = 0; i < H; i++) x[i] += o[i];
      const h2 = x.slice();
      rmsnorm(h2, nw(gemma ? L.preFfnNorm : L.postNorm), eps);
      const d = m.cfg.moe ? moe(m.cfg.moe, L, h2, eps) : gatedMlp(L.gate as RefLinear, L.up as RefLinear, L.down as RefLinear, h2, gemma);
      if (gemma) rmsnorm(d, nw(L.postFfnNorm), eps);
      for (let i = 0; i < H; i++) x[i] += d[i];
    }
    const hf = x.slice();
    rmsnorm(hf, nw(m.finalNorm), eps);
    out.push(matvec(m.lmHead, hf));
  }
  return out;
}

function gatedMlp(gate: RefLinear, up: RefLinear, down: RefLinear, x: Float64Array, gelu = false): Float64Array {
  const g = matvec(gate, x);
  const u = matvec(up, x);
  const c = Math.sqrt(2 / Math.PI);
  for (let i = 0; i < g.length; i++) {
    const v = g[i];
    g[i] = (gelu ? 0.5 * v * (1 + Math.tanh(c * (v + 0.044715 * v ** 3))) : v / (1 + Math.exp(-v))) * u[i];
  }
  return matvec(down, g);
}

/** gpt-oss's expert: biases, gate clamped above, up clamped both ways, gate * sigmoid(alpha * gate) * (up + 1). */
function oaiExpert(gate: RefLinear, up: RefLinear, down: RefLinear, b: Float64Array[], x: Float64Array, alpha: number, limit: number): Float64Array {
  const g = matvec(gate, x, b[0]);
  const u = matvec(up, x, b[1]);
  for (let i = 0; i < g.length; i++) {
    const v = Math.min(g[i]!, limit);
    g[i] = v * sigmoid(alpha * v) * (Math.min(Math.max(u[i]!, -limit), limit) + 1);
  }
  return matvec(down, g, b[2]);
}

/** Expert e of a stacked [E*rows, cols] reference matrix. */
function expert(l: RefLinear, e: number, experts: number): RefLinear {
  const rows = l.rows / experts;
  return { w: l.w.subarray(e * rows * l.cols, (e + 1) * rows * l.cols), rows, cols: l.cols };
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** mlx-lm's sparse MoE block: score, top-k (lower index on ties), optional renormalisation, optional shared expert. */
function moe(cfg: TinyMoe, L: Record<string, RefLinear | Float64Array>, x: Float64Array, eps: number): Float64Array {
  let routerIn = x;
  if (cfg.gemma4) {
    // Gemma 4: rmsnorm(x) without weight, times router.scale / sqrt(hidden).
    routerIn = Float64Array.from(x);
    rmsnorm(routerIn, new Float64Array(x.length).fill(1), eps);
    const scale = L.routerScale as Float64Array;
    for (let i = 0; i < x.length; i++) routerIn[i] *= scale[i]! / Math.sqrt(x.length);
  }
  const logits = matvec(L.router as RefLinear, routerIn, cfg.oai ? (L.routerBias as Float64Array) : undefined);
  let score = Array.from(logits);
  if (cfg.oai) {
    // Top-k on the logits, softmax among the k.
  } else if (cfg.scoring === 'softmax') {
    const mx = Math.max(...score);
    const e = score.map((v) => Math.exp(v - mx));
    const z = e.reduce((a, b) => a + b, 0);
    score = e.map((v) => v / z);
  } else {
    score = score.map(sigmoid);
  }
  const chosen = score.map((_, i) => i).sort((a, b) => score[b]! - score[a]! || a - b).slice(0, cfg.topK);
  const total = chosen.reduce((a, i) => a + score[i]!, 0);
  const top = Math.max(...chosen.map((i) => score[i]!));
  const z = chosen.reduce((a, i) => a + Math.exp(score[i]! - top), 0);
  const out = new Float64Array(x.length);
  for (const e of chosen) {
    const w = (cfg.oai ? Math.exp(score[e]! - top) / z : cfg.normTopK ? score[e]! / total : score[e]!) * (cfg.gemma4 ? (L.expertScale as Float64Array)[e]! : 1);
    const [ge, ue, de] = [L.gateExps, L.upExps, L.downExps].map((l) => expert(l as RefLinear, e, cfg.experts)) as [RefLinear, RefLinear, RefLinear];
    const row = (name: string, n: number) => (L[name] as Float64Array).subarray(e * n, (e + 1) * n);
    const y = cfg.oai
      ? oaiExpert(ge, ue, de, [row('gateExpsBias', cfg.inter), row('upExpsBias', cfg.inter), row('downExpsBias', x.length)], x, cfg.oai.alpha, cfg.oai.limit)
      : gatedMlp(ge, ue, de, x, cfg.gemma4);
    for (let i = 0; i < out.length; i++) out[i] += w * y[i];
  }
  if (cfg.shared) {
    const y = gatedMlp(L.gate as RefLinear, L.up as RefLinear, L.down as RefLinear, x);
    const g = cfg.shared.gated ? sigmoid(matvec(L.sharedGate as RefLinear, x)[0]!) : 1;
    for (let i = 0; i < out.length; i++) out[i] += g * y[i];
  }
  return out;
}

export function logSoftmax(l: Float64Array): Float64Array {
  let mx = -Infinity;
  for (const v of l) mx = Math.max(mx, v);
  let z = 0;
  for (const v of l) z += Math.exp(v - mx);
  const lz = mx + Math.log(z);
  return l.map((v) => v - lz);
}
