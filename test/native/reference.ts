// Float64 reference forward pass of the tiny models (mlx-lm semantics), with the key/value cache rounded to float16
// as the native engine stores it.
import { f16Round } from './numeric.js';
import type { RefLinear, RefModel } from './tiny-model.js';

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

function rope(x: Float64Array, heads: number, hd: number, pos: number, freqs: Float64Array): void {
  const half = hd / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      const a = pos * freqs[i];
      const c = Math.cos(a), s = Math.sin(a);
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
  const K: Float64Array[][] = cfg.layers ? Array.from({ length: cfg.layers }, () => []) : [];
  const V: Float64Array[][] = Array.from({ length: cfg.layers }, () => []);
  const out: Float64Array[] = [];
  for (let pos = 0; pos < tokens.length; pos++) {
    const x = m.embed.w.slice(tokens[pos] * H, (tokens[pos] + 1) * H);
    for (let li = 0; li < cfg.layers; li++) {
      const L = m.layers[li] as Record<string, any>;
      const h = x.slice();
      rmsnorm(h, L.inputNorm, eps);
      const q = matvec(L.q, h, L.qBias);
      const k = matvec(L.k, h, L.kBias);
      const v = matvec(L.v, h, L.vBias);
      if (L.qNorm) {
        for (let i = 0; i < nh; i++) rmsnorm(q, L.qNorm, eps, i * hd, hd);
        for (let i = 0; i < nkv; i++) rmsnorm(k, L.kNorm, eps, i * hd, hd);
      }
      rope(q, nh, hd, pos, freqs);
      rope(k, nkv, hd, pos, freqs);
      K[li].push(k.map((e) => f16Round(e).value));
      V[li].push(v.map((e) => f16Round(e).value));
      const attn = new Float64Array(nh * hd);
      for (let i = 0; i < nh; i++) {
        const kvh = Math.floor(i / (nh / nkv));
        const sc = K[li].map((kk) => {
          let s = 0;
          for (let d = 0; d < hd; d++) s += q[i * hd + d] * kk[kvh * hd + d];
          return s / Math.sqrt(hd);
        });
        const mx = Math.max(...sc);
        const e = sc.map((s) => Math.exp(s - mx));
        const z = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j < e.length; j++)
          for (let d = 0; d < hd; d++) attn[i * hd + d] += (e[j] / z) * V[li][j][kvh * hd + d];
      }
      const o = matvec(L.o, attn);
      for (let i = 0; i < H; i++) x[i] += o[i];
      const h2 = x.slice();
      rmsnorm(h2, L.postNorm, eps);
      const g = matvec(L.gate, h2);
      const u = matvec(L.up, h2);
      for (let i = 0; i < g.length; i++) g[i] = (g[i] / (1 + Math.exp(-g[i]))) * u[i];
      const d = matvec(L.down, g);
      for (let i = 0; i < H; i++) x[i] += d[i];
    }
    const hf = x.slice();
    rmsnorm(hf, m.finalNorm, eps);
    out.push(matvec(m.lmHead, hf));
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
