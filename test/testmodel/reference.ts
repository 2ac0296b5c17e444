// A plain TypeScript forward pass over an MLX-format model directory, accumulating in float64: the oracle that
// checks the generator's files (and, through llama.cpp, its GGUF twin). It reads the files on its own (header
// parsing, unaligned copies, affine dequantization from the stored codes) and shares no code with the generator
// beyond the f16 conversion used to model the engines' f16 KV cache.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { f16BitsToF32, f32ToF16Bits } from '../../src/engine/testmodel/numeric.js';
import { ReferenceMoe, type DenseMatrix, type RouteRecord } from './reference-moe.js';

export interface StEntry {
  dtype: string;
  shape: number[];
  /** Absolute byte offset in the file. */
  offset: number;
  byteLength: number;
}

export function readSafetensorsHeader(buf: Buffer): Map<string, StEntry> {
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out = new Map<string, StEntry>();
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    out.set(name, { dtype: e.dtype, shape: e.shape, offset: 8 + n + e.data_offsets[0], byteLength: e.data_offsets[1] - e.data_offsets[0] });
  }
  return out;
}

/** Reads a float tensor (F32/BF16) as float32 values; copies, so unaligned offsets are fine. */
export function readFloat(buf: Buffer, e: StEntry): Float32Array {
  const bytes = Buffer.from(buf.subarray(e.offset, e.offset + e.byteLength));
  if (e.dtype === 'F32') return new Float32Array(bytes.buffer, bytes.byteOffset, e.byteLength / 4).slice();
  if (e.dtype === 'BF16') {
    const out = new Float32Array(e.byteLength / 2);
    const u = new Uint32Array(out.buffer);
    for (let i = 0; i < out.length; i++) u[i] = bytes.readUInt16LE(2 * i) << 16;
    return out;
  }
  throw new Error(`reference: unsupported dtype ${e.dtype}`);
}

export function readU32(buf: Buffer, e: StEntry): Uint32Array {
  return readU32At(buf, e.offset, e.byteLength / 4);
}

function readU32At(buf: Buffer, offset: number, words: number): Uint32Array {
  const out = new Uint32Array(words);
  for (let i = 0; i < words; i++) out[i] = buf.readUInt32LE(offset + 4 * i);
  return out;
}

type Matrix = DenseMatrix;

/** A float tensor's rows [row0, row0 + rows) of `cols` values (F32/BF16), as float32. */
function readFloatRows(buf: Buffer, e: StEntry, row0: number, rows: number, cols: number): Float32Array {
  const size = e.dtype === 'F32' ? 4 : 2;
  return readFloat(buf, { ...e, offset: e.offset + row0 * cols * size, byteLength: rows * cols * size });
}

/**
 * Rows [row0, row0 + rows) of `<name>.weight` (stacked [E, out, in] tensors count as [E·out, in]), dequantizing
 * w = scale·q + bias when `<name>.scales` exists; bits and group size follow from the shapes.
 */
function loadRows(buf: Buffer, hdr: Map<string, StEntry>, name: string, row0: number, rows: number, inDim: number): Matrix {
  const w = hdr.get(`${name}.weight`);
  if (!w) throw new Error(`reference: missing ${name}.weight`);
  const s = hdr.get(`${name}.scales`);
  if (!s) return { rows, cols: inDim, data: readFloatRows(buf, w, row0, rows, inDim) };
  const words = w.shape[w.shape.length - 1];
  const groups = s.shape[s.shape.length - 1];
  const bits = (32 * words) / inDim;
  const group = inDim / groups;
  const codes = readU32At(buf, w.offset + row0 * words * 4, rows * words);
  const scales = readFloatRows(buf, s, row0, rows, groups);
  const biases = readFloatRows(buf, hdr.get(`${name}.biases`)!, row0, rows, groups);
  const data = new Float32Array(rows * inDim);
  const perWord = 32 / bits;
  const mask = (1 << bits) - 1;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < inDim; c++) {
      const word = codes[r * words + Math.floor(c / perWord)];
      const q = (word >>> ((c % perWord) * bits)) & mask;
      const g = r * groups + Math.floor(c / group);
      data[r * inDim + c] = scales[g] * q + biases[g];
    }
  }
  return { rows, cols: inDim, data };
}

function loadMatrix(buf: Buffer, hdr: Map<string, StEntry>, name: string, inDim: number): Matrix {
  const w = hdr.get(`${name}.weight`);
  if (!w) throw new Error(`reference: missing ${name}.weight`);
  return loadRows(buf, hdr, name, 0, w.shape[0], inDim);
}

interface Layer {
  inNorm: Float32Array; postNorm: Float32Array;
  q: Matrix; k: Matrix; v: Matrix; o: Matrix;
  /** The dense MLP, or the mixture of experts (qwen3_moe). */
  mlp: { gate: Matrix; up: Matrix; down: Matrix } | ReferenceMoe;
  qBias?: Float32Array; kBias?: Float32Array; vBias?: Float32Array; qNorm?: Float32Array; kNorm?: Float32Array;
}

export class ReferenceModel {
  private constructor(
    readonly arch: string,
    private readonly cfg: Record<string, any>,
    private readonly embed: Matrix,
    private readonly head: Matrix,
    private readonly finalNorm: Float32Array,
    private readonly layers: Layer[],
    private readonly invFreq: Float64Array,
  ) {}

  /** Store K and V rounded to f16, as vmlx's and llama.cpp's default KV caches do. */
  kvF16 = true;
  /**
   * Attention as ggml's CPU flash-attention kernel rounds it (Q in f16, the V·softmax sum kept in f16 across the
   * positions): to measure how far llama.cpp's own rounding moves what follows, e.g. the MoE routers' logits.
   */
  llamaFlashF16 = false;

  static load(dir: string): ReferenceModel {
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, any>;
    const buf = readFileSync(join(dir, 'model.safetensors'));
    const hdr = readSafetensorsHeader(buf);
    const h = cfg.hidden_size as number;
    const hd = (cfg.head_dim as number | undefined) ?? h / cfg.num_attention_heads;
    const vec = (name: string) => readFloat(buf, hdr.get(name)!);
    const opt = (name: string) => (hdr.has(name) ? vec(name) : undefined);
    const embed = loadMatrix(buf, hdr, 'model.embed_tokens', h);
    const head = cfg.tie_word_embeddings ? embed : loadMatrix(buf, hdr, 'lm_head', h);
    const moe = ReferenceMoe.config(cfg);
    const layers: Layer[] = [];
    for (let i = 0; i < cfg.num_hidden_layers; i++) {
      const p = `model.layers.${i}`;
      layers.push({
        inNorm: vec(`${p}.input_layernorm.weight`), postNorm: vec(`${p}.post_attention_layernorm.weight`),
        q: loadMatrix(buf, hdr, `${p}.self_attn.q_proj`, h), k: loadMatrix(buf, hdr, `${p}.self_attn.k_proj`, h),
        v: loadMatrix(buf, hdr, `${p}.self_attn.v_proj`, h),
        o: loadMatrix(buf, hdr, `${p}.self_attn.o_proj`, cfg.num_attention_heads * hd),
        mlp: moe
          ? new ReferenceMoe(moe, loadMatrix(buf, hdr, `${p}.mlp.gate`, h), `${p}.mlp`,
              (name, row0, rows, cols) => loadRows(buf, hdr, name, row0, rows, cols), matVec)
          : {
              gate: loadMatrix(buf, hdr, `${p}.mlp.gate_proj`, h), up: loadMatrix(buf, hdr, `${p}.mlp.up_proj`, h),
              down: loadMatrix(buf, hdr, `${p}.mlp.down_proj`, cfg.intermediate_size),
            },
        qBias: opt(`${p}.self_attn.q_proj.bias`), kBias: opt(`${p}.self_attn.k_proj.bias`), vBias: opt(`${p}.self_attn.v_proj.bias`),
        qNorm: opt(`${p}.self_attn.q_norm.weight`), kNorm: opt(`${p}.self_attn.k_norm.weight`),
      });
    }
    return new ReferenceModel(cfg.model_type, cfg, embed, head, vec('model.norm.weight'), layers, ropeInvFreq(cfg, hd));
  }

  /**
   * Log-softmax over the vocabulary for the next token after each prefix of `tokens`, for the positions from
   * `opts.from` on (default 0: all; out[i - from] is position i). `opts.onRoute` sees every MoE layer's routing.
   */
  logprobs(tokens: number[], opts: { from?: number; onRoute?: (layer: number, pos: number, r: RouteRecord) => void } = {}): Float64Array[] {
    const from = opts.from ?? 0;
    const c = this.cfg;
    const h = c.hidden_size as number;
    const nh = c.num_attention_heads as number;
    const nkv = c.num_key_value_heads as number;
    const hd = (c.head_dim as number | undefined) ?? h / nh;
    const eps = c.rms_norm_eps as number;
    const keys: Float64Array[][] = this.layers.map(() => []);
    const values: Float64Array[][] = this.layers.map(() => []);
    const out: Float64Array[] = [];
    tokens.forEach((tok, pos) => {
      const x = Float64Array.from(this.embed.data.subarray(tok * h, (tok + 1) * h));
      this.layers.forEach((L, li) => {
        const xn = rmsNorm(x, L.inNorm, eps);
        const q = matVec(L.q, xn, L.qBias);
        const k = matVec(L.k, xn, L.kBias);
        const v = matVec(L.v, xn, L.vBias);
        for (let head = 0; head < nh; head++) this.rope(q, head * hd, hd, pos, L.qNorm, eps);
        for (let head = 0; head < nkv; head++) this.rope(k, head * hd, hd, pos, L.kNorm, eps);
        // Both engines keep the KV cache in f16; rounding here makes the oracle as tight as they are with each other.
        keys[li].push(this.kvF16 ? roundF16(k) : k);
        values[li].push(this.kvF16 ? roundF16(v) : v);
        const attn = new Float64Array(nh * hd);
        for (let head = 0; head < nh; head++) {
          const kvh = Math.floor(head / (nh / nkv));
          const out = attn.subarray(head * hd, (head + 1) * hd);
          if (this.llamaFlashF16) flashF16(q.subarray(head * hd, (head + 1) * hd), keys[li], values[li], kvh * hd, out);
          else exactAttention(q.subarray(head * hd, (head + 1) * hd), keys[li], values[li], kvh * hd, out);
        }
        const o = matVec(L.o, attn);
        for (let i = 0; i < h; i++) x[i] += o[i];
        const xn2 = rmsNorm(x, L.postNorm, eps);
        const dn = L.mlp instanceof ReferenceMoe ? L.mlp.forward(xn2, opts.onRoute && ((r) => opts.onRoute!(li, pos, r))) : denseMlp(L.mlp, xn2);
        for (let i = 0; i < h; i++) x[i] += dn[i];
      });
      if (pos < from) return;
      const logits = matVec(this.head, rmsNorm(x, this.finalNorm, eps));
      let m = -Infinity;
      for (const l of logits) m = Math.max(m, l);
      let z = 0;
      for (const l of logits) z += Math.exp(l - m);
      const lse = m + Math.log(z);
      for (let i = 0; i < logits.length; i++) logits[i] -= lse;
      out.push(logits);
    });
    return out;
  }

  /** Optional per-head RMSNorm (Qwen3), then rotate-half ("NeoX") RoPE on one head in place. */
  private rope(x: Float64Array, off: number, hd: number, pos: number, norm: Float32Array | undefined, eps: number): void {
    if (norm) {
      let ss = 0;
      for (let d = 0; d < hd; d++) ss += x[off + d] ** 2;
      const r = 1 / Math.sqrt(ss / hd + eps);
      for (let d = 0; d < hd; d++) x[off + d] *= r * norm[d];
    }
    const half = hd / 2;
    for (let i = 0; i < half; i++) {
      const a = pos * this.invFreq[i];
      const c = Math.cos(a), s = Math.sin(a);
      const x0 = x[off + i], x1 = x[off + i + half];
      x[off + i] = x0 * c - x1 * s;
      x[off + i + half] = x1 * c + x0 * s;
    }
  }
}

/** Inverse frequencies, with HF's llama3 scaling when config.rope_scaling says so. */
export function ropeInvFreq(cfg: Record<string, any>, hd: number): Float64Array {
  const theta = cfg.rope_theta as number;
  const out = new Float64Array(hd / 2);
  const s = cfg.rope_scaling as Record<string, number | string> | null | undefined;
  for (let i = 0; i < hd / 2; i++) {
    const f = 1 / theta ** ((2 * i) / hd);
    if (!s || s.rope_type !== 'llama3') {
      out[i] = f;
      continue;
    }
    const factor = s.factor as number, low = s.low_freq_factor as number, high = s.high_freq_factor as number;
    const orig = s.original_max_position_embeddings as number;
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < orig / high) out[i] = f;
    else if (wavelen > orig / low) out[i] = f / factor;
    else {
      const smooth = (orig / wavelen - low) / (high - low);
      out[i] = (1 - smooth) * (f / factor) + smooth * f;
    }
  }
  return out;
}

function roundF16(x: Float64Array): Float64Array {
  return x.map((v) => f16BitsToF32(f32ToF16Bits(v)));
}

/** One head's softmax(q·K/√d)·V in float64 over keys/values [t][off..off+d). */
function exactAttention(q: Float64Array, keys: Float64Array[], values: Float64Array[], off: number, out: Float64Array): void {
  const hd = q.length;
  const scores = keys.map((kk) => {
    let s = 0;
    for (let d = 0; d < hd; d++) s += q[d] * kk[off + d];
    return s / Math.sqrt(hd);
  });
  const m = Math.max(...scores);
  const w = scores.map((s) => Math.exp(s - m));
  const z = w.reduce((a, b) => a + b, 0);
  values.forEach((vv, t) => {
    for (let d = 0; d < hd; d++) out[d] += (w[t] / z) * vv[off + d];
  });
}

/** The same with ggml's CPU flash-attention roundings: Q in f16, an online softmax whose V sum is rounded to f16 at every step. */
function flashF16(q: Float64Array, keys: Float64Array[], values: Float64Array[], off: number, out: Float64Array): void {
  const hd = q.length;
  const q16 = roundF16(q);
  const acc = new Float64Array(hd);
  let m = -Infinity, z = 0;
  keys.forEach((kk, t) => {
    let s = 0;
    for (let d = 0; d < hd; d++) s += q16[d] * kk[off + d];
    s /= Math.sqrt(hd);
    let ms = 1, vs = 1;
    if (s > m) {
      ms = Math.exp(m - s);
      m = s;
      for (let d = 0; d < hd; d++) acc[d] = toF16(acc[d] * ms);
    } else vs = Math.exp(s - m);
    for (let d = 0; d < hd; d++) acc[d] = toF16(acc[d] + values[t][off + d] * vs);
    z = z * ms + vs;
  });
  for (let d = 0; d < hd; d++) out[d] = acc[d] / z;
}

function toF16(v: number): number {
  return f16BitsToF32(f32ToF16Bits(v));
}

function denseMlp(m: { gate: Matrix; up: Matrix; down: Matrix }, x: Float64Array): Float64Array {
  const g = matVec(m.gate, x);
  const u = matVec(m.up, x);
  for (let i = 0; i < g.length; i++) g[i] = (g[i] / (1 + Math.exp(-g[i]))) * u[i];
  return matVec(m.down, g);
}

function rmsNorm(x: Float64Array, w: Float32Array, eps: number): Float64Array {
  let ss = 0;
  for (const v of x) ss += v * v;
  const r = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, i) => v * r * w[i]);
}

function matVec(m: Matrix, x: Float64Array, bias?: Float32Array): Float64Array {
  const out = new Float64Array(m.rows);
  const { cols, data } = m;
  for (let r = 0; r < m.rows; r++) {
    let s = 0;
    const base = r * cols;
    for (let c = 0; c < cols; c++) s += data[base + c] * x[c];
    out[r] = bias ? s + bias[r] : s;
  }
  return out;
}
