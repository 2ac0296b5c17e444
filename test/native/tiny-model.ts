// A tiny random model written as an MLX-style safetensors file (unaligned tensors, MLX affine packing), the
// NativeModelPlan that describes it, and a float64 reference forward pass to check the native engine against.
import { writeFileSync } from 'node:fs';
import type { NativeModelPlan, NativeTensorRef, PlanTensor, RopeScaling } from '../../src/engine/plan.js';
import { f16Round, toBf16 } from './numeric.js';

export interface TinyConfig {
  /** gemma: sandwich norms, (1 + w) norms, q/k norms, GeLU, sqrt(hidden) embedding scale (the native 'gemma' layer). */
  arch: 'qwen3' | 'qwen2' | 'llama' | 'gemma';
  hidden: number;
  inter: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
  tied: boolean;
  quant?: { bits: 4 | 8; groupSize: number };
  floatDtype: 'F32' | 'F16' | 'BF16';
  ropeScaling?: { factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositionEmbeddings: number };
  /** Any other RoPE scaling of the plan (yarn, longrope); wins over ropeScaling. */
  ropeScalingPlan?: RopeScaling;
  /** Attention features: the window applies to even layers only (mixed full and sliding layers, as gpt-oss). */
  attn?: {
    slidingWindow?: number; sinks?: boolean; softcap?: number; queryScale?: number; outputBias?: boolean;
    /** Gemma 4: v RMS-normed without weight; v taken from the k projection; odd layers attend over the previous layer's cache. */
    valueNorm?: boolean; valueFromKey?: boolean; shareKv?: boolean;
  };
  /** A mixture-of-experts MLP in every layer instead of the dense one (`inter` unused). */
  moe?: TinyMoe;
  seed: number;
}

export interface TinyMoe {
  experts: number;
  topK: number;
  inter: number;
  scoring: 'softmax' | 'sigmoid';
  normTopK: boolean;
  shared?: { inter: number; gated: boolean };
  /** gpt-oss: router and expert biases, softmax over the top-k logits, the clamped SwiGLU (scoring is ignored). */
  oai?: { alpha: number; limit: number };
  /** Gemma 4: the router reads rmsnorm(x) without weight · router.scale / sqrt(hidden), each chosen expert's weight is
   * times router.per_expert_scale, GeGLU experts. */
  gemma4?: boolean;
}

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  uniform(): number {
    return this.u32() / 4294967296;
  }
  normal(): number {
    const u = Math.max(this.uniform(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform());
  }
}

interface StoredTensor {
  name: string;
  dtype: 'F32' | 'F16' | 'BF16' | 'U32';
  shape: number[];
  bytes: Uint8Array;
}

/** Float values as stored (rounded to the dtype), plus their bytes. */
function floatTensor(name: string, dtype: 'F32' | 'F16' | 'BF16', shape: number[], values: Float64Array): { t: StoredTensor; v: Float64Array } {
  const n = values.length;
  const stored = new Float64Array(n);
  let bytes: Uint8Array;
  if (dtype === 'F32') {
    const f = new Float32Array(n);
    for (let i = 0; i < n; i++) stored[i] = f[i] = values[i];
    bytes = new Uint8Array(f.buffer);
  } else {
    const h = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      const r = dtype === 'F16' ? f16Round(values[i]) : toBf16(values[i]);
      h[i] = r.bits;
      stored[i] = r.value;
    }
    bytes = new Uint8Array(h.buffer);
  }
  return { t: { name, dtype, shape, bytes }, v: stored };
}

export interface RefLinear {
  w: Float64Array; // [rows, cols] dequantized
  rows: number;
  cols: number;
}

export interface RefModel {
  cfg: TinyConfig;
  embed: RefLinear;
  lmHead: RefLinear;
  finalNorm: Float64Array;
  layers: Array<Record<string, RefLinear | Float64Array>>;
}

export interface TinyModel {
  spec: NativeModelPlan;
  ref: RefModel;
}

/** Writes the model to `file` and returns its spec and reference weights. */
export function writeTinyModel(cfg: TinyConfig, file: string): TinyModel {
  const rng = new Rng(cfg.seed);
  const tensors: StoredTensor[] = [];
  const weights: Array<{ bits?: number; groupSize?: number; names: string[] }> = [];
  const qd = cfg.heads * cfg.headDim;
  const kd = cfg.kvHeads * cfg.headDim;

  function linear(name: string, rows: number, cols: number, std: number): RefLinear {
    const n = rows * cols;
    if (cfg.quant) {
      const { bits, groupSize } = cfg.quant;
      const words = new Uint32Array((n * bits) / 32);
      for (let i = 0; i < words.length; i++) words[i] = rng.u32();
      const groups = cols / groupSize;
      const levels = (1 << bits) - 1;
      const sc = new Float64Array(rows * groups);
      const bi = new Float64Array(rows * groups);
      for (let i = 0; i < sc.length; i++) {
        const s = ((2 * std) / levels) * (0.5 + rng.uniform()) * (rng.uniform() < 0.5 ? -1 : 1); // negative scales too
        sc[i] = s;
        bi[i] = -s * (levels / 2) + std * 0.2 * rng.normal();
      }
      const s = floatTensor(`${name}.scales`, 'BF16', [rows, groups], sc);
      const b = floatTensor(`${name}.biases`, 'BF16', [rows, groups], bi);
      tensors.push({ name: `${name}.weight`, dtype: 'U32', shape: [rows, (cols * bits) / 32], bytes: new Uint8Array(words.buffer) }, s.t, b.t);
      const bytes = new Uint8Array(words.buffer);
      const w = new Float64Array(n);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const bit = (r * cols + c) * bits; // rows are whole words, so the stream is continuous across rows
          const byte = bytes[bit >> 3];
          const q = bits === 8 ? byte : (byte >> (bit & 7)) & 15;
          const g = r * groups + Math.floor(c / groupSize);
          w[r * cols + c] = s.v[g] * q + b.v[g];
        }
      }
      weights.push({ bits, groupSize, names: [`${name}.weight`, `${name}.scales`, `${name}.biases`] });
      return { w, rows, cols };
    }
    const vals = new Float64Array(n);
    for (let i = 0; i < n; i++) vals[i] = std * rng.normal();
    const t = floatTensor(`${name}.weight`, cfg.floatDtype, [rows, cols], vals);
    tensors.push(t.t);
    weights.push({ names: [`${name}.weight`] });
    return { w: t.v, rows, cols };
  }
  function stacked(name: string, experts: number, rows: number, cols: number, std: number): RefLinear {
    const l = linear(name, experts * rows, cols, std);
    for (const t of tensors.slice(cfg.quant ? -3 : -1)) t.shape = [experts, rows, t.shape[1]! ];
    return l;
  }
  /** Per-expert bias rows [experts, n] (a float tensor, not a weight). */
  function biases(name: string, experts: number, n: number): Float64Array {
    const v = vector(name, experts * n, 0, 0.3);
    tensors[tensors.length - 1]!.shape = [experts, n];
    return v;
  }
  function vector(name: string, n: number, mean: number, std: number): Float64Array {
    const vals = new Float64Array(n);
    for (let i = 0; i < n; i++) vals[i] = mean + std * rng.normal();
    const t = floatTensor(name, cfg.floatDtype, [n], vals);
    tensors.push(t.t);
    return t.v;
  }

  const embed = linear('model.embed_tokens', cfg.vocab, cfg.hidden, 0.5);
  const layers: RefModel['layers'] = [];
  for (let i = 0; i < cfg.layers; i++) {
    const p = `model.layers.${i}`;
    const L: Record<string, RefLinear | Float64Array> = {};
    // Gemma stores w and multiplies by 1 + w: its norm weights are drawn around 0.
    const normMean = cfg.arch === 'gemma' ? 0 : 1;
    L.inputNorm = vector(`${p}.input_layernorm.weight`, cfg.hidden, normMean, 0.1);
    L.postNorm = vector(`${p}.post_attention_layernorm.weight`, cfg.hidden, normMean, 0.1);
    if (cfg.arch === 'gemma') {
      L.preFfnNorm = vector(`${p}.pre_feedforward_layernorm.weight`, cfg.hidden, 0, 0.1);
      L.postFfnNorm = vector(`${p}.post_feedforward_layernorm.weight`, cfg.hidden, 0, 0.1);
    }
    L.q = linear(`${p}.self_attn.q_proj`, qd, cfg.hidden, 0.15);
    L.k = linear(`${p}.self_attn.k_proj`, kd, cfg.hidden, 0.15);
    L.v = linear(`${p}.self_attn.v_proj`, kd, cfg.hidden, 0.15);
    L.o = linear(`${p}.self_attn.o_proj`, cfg.hidden, qd, 0.15);
    if (cfg.moe) {
      const { experts: e, inter, shared } = cfg.moe;
      L.router = linear(`${p}.mlp.gate`, e, cfg.hidden, 0.6);
      // Stacked experts [E, rows, cols]: written as one [E*rows, cols] matrix, then given their 3-D shapes.
      L.gateExps = stacked(`${p}.mlp.switch_mlp.gate_proj`, e, inter, cfg.hidden, 0.15);
      L.upExps = stacked(`${p}.mlp.switch_mlp.up_proj`, e, inter, cfg.hidden, 0.15);
      L.downExps = stacked(`${p}.mlp.switch_mlp.down_proj`, e, cfg.hidden, inter, 0.15);
      if (cfg.moe.gemma4) {
        L.routerScale = vector(`${p}.router.scale`, cfg.hidden, Math.sqrt(cfg.hidden), 1);
        L.expertScale = vector(`${p}.router.per_expert_scale`, e, 1, 0.3);
      }
      if (cfg.moe.oai) {
        L.routerBias = vector(`${p}.mlp.router.bias`, e, 0, 0.5);
        L.gateExpsBias = biases(`${p}.mlp.experts.gate_proj.bias`, e, inter);
        L.upExpsBias = biases(`${p}.mlp.experts.up_proj.bias`, e, inter);
        L.downExpsBias = biases(`${p}.mlp.experts.down_proj.bias`, e, cfg.hidden);
      }
      if (shared) {
        L.gate = linear(`${p}.mlp.shared_expert.gate_proj`, shared.inter, cfg.hidden, 0.15);
        L.up = linear(`${p}.mlp.shared_expert.up_proj`, shared.inter, cfg.hidden, 0.15);
        L.down = linear(`${p}.mlp.shared_expert.down_proj`, cfg.hidden, shared.inter, 0.15);
        if (shared.gated) L.sharedGate = linear(`${p}.mlp.shared_expert_gate`, 1, cfg.hidden, 0.3);
      }
    } else {
      L.gate = linear(`${p}.mlp.gate_proj`, cfg.inter, cfg.hidden, 0.15);
      L.up = linear(`${p}.mlp.up_proj`, cfg.inter, cfg.hidden, 0.15);
      L.down = linear(`${p}.mlp.down_proj`, cfg.hidden, cfg.inter, 0.15);
    }
    if (cfg.arch === 'qwen2') {
      L.qBias = vector(`${p}.self_attn.q_proj.bias`, qd, 0, 0.2);
      L.kBias = vector(`${p}.self_attn.k_proj.bias`, kd, 0, 0.2);
      L.vBias = vector(`${p}.self_attn.v_proj.bias`, kd, 0, 0.2);
    }
    if (cfg.arch === 'qwen3' || cfg.arch === 'gemma') {
      L.qNorm = vector(`${p}.self_attn.q_norm.weight`, cfg.headDim, normMean, 0.1);
      L.kNorm = vector(`${p}.self_attn.k_norm.weight`, cfg.headDim, normMean, 0.1);
    }
    if (cfg.attn?.sinks) L.sinks = vector(`${p}.self_attn.sinks`, cfg.heads, 0.5, 1.5);
    if (cfg.attn?.outputBias) L.oBias = vector(`${p}.self_attn.o_proj.bias`, cfg.hidden, 0, 0.2);
    layers.push(L);
  }
  const finalNorm = vector('model.norm.weight', cfg.hidden, cfg.arch === 'gemma' ? 0 : 1, 0.1);
  const lmHead = cfg.tied ? embed : linear('lm_head', cfg.vocab, cfg.hidden, 0.3);

  // MLX-like layout: header without padding (odd data start), data in shuffled order.
  const order = tensors.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.u32() % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const rel = new Map<string, [number, number]>();
  let cursor = 0;
  for (const i of order) {
    rel.set(tensors[i].name, [cursor, cursor + tensors[i].bytes.length]);
    cursor += tensors[i].bytes.length;
  }
  const header: Record<string, unknown> = { __metadata__: { format: 'mlx' } };
  for (const t of tensors) header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: rel.get(t.name) };
  let json = JSON.stringify(header);
  if ((8 + Buffer.byteLength(json)) % 2 === 0) json += ' ';
  const jb = Buffer.from(json);
  const out = Buffer.alloc(8 + jb.length + cursor);
  out.writeBigUInt64LE(BigInt(jb.length), 0);
  jb.copy(out, 8);
  for (const t of tensors) out.set(t.bytes, 8 + jb.length + rel.get(t.name)![0]);
  writeFileSync(file, out);

  const byName = new Map(tensors.map((t) => [t.name, t]));
  const ref = (name: string): NativeTensorRef => {
    const t = byName.get(name)!;
    return { name, file, offset: 8 + jb.length + rel.get(name)![0], byteLength: t.bytes.length, dtype: t.dtype, shape: t.shape };
  };
  let wi = 0;
  const nextWeight = (): PlanTensor => {
    const { bits, groupSize, names } = weights[wi++];
    if (names.length === 1) return ref(names[0]);
    return { ...ref(names[0]), quant: { mode: 'affine', bits: bits!, groupSize: groupSize!, scales: ref(names[1]), biases: ref(names[2]) } };
  };
  const table: NativeModelPlan['tensors'] = { token_embd: nextWeight(), output_norm: ref('model.norm.weight') };
  const gemma = cfg.arch === 'gemma';
  const spec: NativeModelPlan = {
    arch: gemma ? 'gemma' : 'decoder', hiddenSize: cfg.hidden, vocabSize: cfg.vocab, rmsNormEps: 1e-6, layers: [], tensors: table, threads: 2,
    ...(gemma ? { embedScale: Math.sqrt(cfg.hidden), normOffset: 1 } : {}),
  };
  const scaling: RopeScaling | undefined = cfg.ropeScalingPlan ?? (cfg.ropeScaling ? { type: 'llama3', ...cfg.ropeScaling } : undefined);
  const rope = { kind: 'neox' as const, theta: 10000, rotaryDims: cfg.headDim, ...(scaling ? { scaling } : {}) };
  const a = cfg.attn ?? {};
  for (let i = 0; i < cfg.layers; i++) {
    const p = `model.layers.${i}`;
    const b = `blk.${i}.`;
    table[`${b}attn_norm`] = ref(`${p}.input_layernorm.weight`);
    if (gemma) {
      table[`${b}post_attention_norm`] = ref(`${p}.post_attention_layernorm.weight`);
      table[`${b}ffn_norm`] = ref(`${p}.pre_feedforward_layernorm.weight`);
      table[`${b}post_ffw_norm`] = ref(`${p}.post_feedforward_layernorm.weight`);
    } else {
      table[`${b}ffn_norm`] = ref(`${p}.post_attention_layernorm.weight`);
    }
    for (const name of ['attn_q', 'attn_k', 'attn_v', 'attn_output']) table[b + name] = nextWeight();
    const m = cfg.moe;
    const ffn = !m ? ['ffn_gate', 'ffn_up', 'ffn_down']
      : ['ffn_gate_inp', 'ffn_gate_exps', 'ffn_up_exps', 'ffn_down_exps',
        ...(m.shared ? ['ffn_gate_shexp', 'ffn_up_shexp', 'ffn_down_shexp', ...(m.shared.gated ? ['ffn_gate_inp_shexp'] : [])] : [])];
    for (const name of ffn) table[b + name] = nextWeight();
    if (m?.gemma4) {
      table[`${b}ffn_gate_inp.scale`] = ref(`${p}.router.scale`);
      table[`${b}ffn_down_exps.scale`] = ref(`${p}.router.per_expert_scale`);
    }
    if (m?.oai) {
      table[`${b}ffn_gate_inp.bias`] = ref(`${p}.mlp.router.bias`);
      for (const [t, hf] of [['gate', 'gate_proj'], ['up', 'up_proj'], ['down', 'down_proj']]) table[`${b}ffn_${t}_exps.bias`] = ref(`${p}.mlp.experts.${hf}.bias`);
    }
    if (cfg.arch === 'qwen2') {
      table[`${b}attn_q.bias`] = ref(`${p}.self_attn.q_proj.bias`);
      table[`${b}attn_k.bias`] = ref(`${p}.self_attn.k_proj.bias`);
      table[`${b}attn_v.bias`] = ref(`${p}.self_attn.v_proj.bias`);
    }
    if (cfg.arch === 'qwen3' || gemma) {
      table[`${b}attn_q_norm`] = ref(`${p}.self_attn.q_norm.weight`);
      table[`${b}attn_k_norm`] = ref(`${p}.self_attn.k_norm.weight`);
    }
    const shared = a.shareKv && i % 2 === 1;
    if (a.valueFromKey || shared) delete table[`${b}attn_v`];
    if (shared) for (const name of ['attn_k', 'attn_k_norm']) delete table[b + name];
    if (a.sinks) table[`${b}attn_sinks`] = ref(`${p}.self_attn.sinks`);
    if (a.outputBias) table[`${b}attn_output.bias`] = ref(`${p}.self_attn.o_proj.bias`);
    spec.layers.push({
      mixer: {
        kind: 'attention', numHeads: cfg.heads, numKvHeads: cfg.kvHeads, headDim: cfg.headDim, qkNorm: cfg.arch === 'qwen3' || gemma, qkvBias: cfg.arch === 'qwen2', rope,
        ...(a.sinks ? { sinks: true } : {}),
        ...(a.outputBias ? { outputBias: true } : {}),
        ...(a.softcap ? { softcap: a.softcap } : {}),
        ...(a.queryScale ? { queryScale: a.queryScale } : {}),
        ...(a.slidingWindow && i % 2 === 0 ? { slidingWindow: a.slidingWindow } : {}),
        ...(a.valueNorm ? { valueNorm: true } : {}),
        ...(a.valueFromKey && !shared ? { valueFromKey: true } : {}),
        ...(shared ? { kvSource: i - 1 } : {}),
      },
      mlp: m
        ? {
          kind: 'moe', activation: m.oai ? 'swiglu_oai' : m.gemma4 ? 'gelu_tanh' : 'silu', numExperts: m.experts, topK: m.topK, expertIntermediateSize: m.inter,
          scoring: m.oai ? 'softmax_topk' : m.scoring, normTopK: m.normTopK,
          ...(m.oai ? { swiglu: m.oai, routerBias: true, expertBias: true } : {}),
          ...(m.gemma4 ? { routerNorm: true, expertScale: true } : {}),
          ...(m.shared ? { sharedExpert: { intermediateSize: m.shared.inter, gated: m.shared.gated } } : {}),
        }
        : { kind: 'gated', activation: gemma ? 'gelu_tanh' : 'silu', intermediateSize: cfg.inter },
    });
  }
  if (!cfg.tied) table['output'] = nextWeight();
  return { spec, ref: { cfg, embed, lmHead, finalNorm, layers } };
}
