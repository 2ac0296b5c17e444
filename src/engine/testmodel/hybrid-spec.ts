// The Qwen3.5 hybrid test models: dims and per-layer tensors in the mlx-community layout (text model under
// `language_model.`, Gated DeltaNet layers with in_proj_qkv / in_proj_z / in_proj_b / in_proj_a, conv1d stored as
// [channels, kernel, 1], A_log and dt_bias; every full_attention_interval-th layer a gated full-attention layer whose
// q_proj emits query and gate per head).
import type { HybridDims, ModelDims, TensorDef, TestShape } from './spec.js';

const QWEN_VOCAB = 151936;

/** moe: qwen3_5_moe (8 experts of 64, 2 per token, a shared expert of 64 in tiny; Qwen3.5-35B-A3B's 256 of 512). */
export function qwen3_5Dims(shape: TestShape, moe = false): ModelDims {
  const experts = shape === 'tiny'
    ? { numExperts: 8, topK: 2, expertIntermediateSize: 64, normTopK: true, sharedExpertIntermediateSize: 64 }
    : { numExperts: 256, topK: 8, expertIntermediateSize: 512, normTopK: true, sharedExpertIntermediateSize: 512 };
  const common = { weightPrefix: 'language_model.', visionTower: false, moe: moe ? experts : null, gemma: null, phi: null, qkvBias: false, qkNorm: true, ropeScaling: null };
  if (shape === 'qwen3.5-0.8b') {
    // Qwen3.5-0.8B's widths (head_dim 256, 16 key and 16 value heads of 128 in the DeltaNet layers) with 8 of its
    // 24 layers; the Qwen3 vocabulary stands in for its own (no Qwen3.5 tokenizer package).
    return {
      ...common, hiddenSize: 1024, intermediateSize: 3584, numLayers: 8, numHeads: 8, numKvHeads: 2, headDim: 256,
      vocabSize: QWEN_VOCAB, tied: true, rmsNormEps: 1e-6, ropeTheta: 10_000_000, maxPositionEmbeddings: 262144,
      hybrid: { numKHeads: 16, numVHeads: 16, headKDim: 128, headVDim: 128, convKernel: 4, fullAttentionInterval: 4, partialRotaryFactor: 0.25 },
    };
  }
  if (shape === 'qwen3.5-35b-a3b-4l') {
    if (!moe) throw new RangeError(`shape ${shape} needs --arch qwen3_5_moe`);
    // Qwen3.5-35B-A3B with 4 of its 40 layers (three Gated DeltaNet, one gated full attention): 16 query and 2 KV
    // heads of 256, DeltaNet 16 key and 32 value heads of 128, 256 experts of 512 (8 per token) and a shared expert
    // of 512, untied, its vocabulary's 248320 rows (the Qwen3 tokenizer stands in).
    return {
      ...common, hiddenSize: 2048, intermediateSize: 512, numLayers: 4, numHeads: 16, numKvHeads: 2, headDim: 256,
      vocabSize: 248320, tied: false, rmsNormEps: 1e-6, ropeTheta: 10_000_000, maxPositionEmbeddings: 262144,
      hybrid: { numKHeads: 16, numVHeads: 32, headKDim: 128, headVDim: 128, convKernel: 4, fullAttentionInterval: 4, partialRotaryFactor: 0.25 },
    };
  }
  if (shape !== 'tiny') throw new RangeError(`shape ${shape} needs another --arch (qwen3_5 has tiny and qwen3.5-0.8b; qwen3_5_moe tiny and qwen3.5-35b-a3b-4l)`);
  // Four layers (three DeltaNet, one full attention). Twice as many value heads as key heads, as Qwen3.5-9B has,
  // so the grouping of value heads onto key heads is exercised; head_dim 64 with a quarter rotated.
  return {
    ...common, hiddenSize: 64, intermediateSize: 128, numLayers: 4, numHeads: 4, numKvHeads: 2, headDim: 64,
    vocabSize: QWEN_VOCAB, tied: true, rmsNormEps: 1e-6, ropeTheta: 10_000_000, maxPositionEmbeddings: 262144,
    hybrid: { numKHeads: 2, numVHeads: 4, headKDim: 32, headVDim: 32, convKernel: 4, fullAttentionInterval: 4, partialRotaryFactor: 0.25 },
  };
}

/**
 * Qwen3-Next (qwen3_next): every MLP a mixture of experts with a shared expert, the DeltaNet in-projections fused per
 * key head, the text model at the top level, untied. Tiny: the qwen3_5_moe tiny body (llama.cpp's qwen3next needs
 * equal key and value head dims and experts in every layer, as the real model has).
 */
export function qwen3NextDims(shape: TestShape): ModelDims {
  const common = { weightPrefix: '', visionTower: false, gemma: null, phi: null, qkvBias: false, qkNorm: true, ropeScaling: null, tied: false };
  if (shape === 'qwen3-next-80b-a3b-2l') {
    // Qwen3-Next-80B-A3B's config.json with 2 of its 48 layers: 16 query and 2 KV heads of 256, DeltaNet 16 key and
    // 32 value heads of 128, 512 experts of 512 (10 per token) and a shared expert of 512, its 151936 vocabulary
    // rows, untied (intermediate_size is its config's; no layer of it is dense). The one departure is the layer
    // pattern: full_attention_interval 2 (a DeltaNet layer, then a full-attention one) instead of 4, as four layers
    // of 512 experts would make a 4.1 GB file and a 28 GB F32 twin. ~2.2 GB at 4 bits.
    return {
      ...common, hiddenSize: 2048, intermediateSize: 5120, numLayers: 2, numHeads: 16, numKvHeads: 2, headDim: 256,
      vocabSize: QWEN_VOCAB, rmsNormEps: 1e-6, ropeTheta: 10_000_000, maxPositionEmbeddings: 262144,
      moe: { numExperts: 512, topK: 10, expertIntermediateSize: 512, normTopK: true, sharedExpertIntermediateSize: 512 },
      hybrid: { numKHeads: 16, numVHeads: 32, headKDim: 128, headVDim: 128, convKernel: 4, fullAttentionInterval: 2, partialRotaryFactor: 0.25, fusedInProj: true },
    };
  }
  if (shape !== 'tiny') throw new RangeError(`shape ${shape} needs another --arch (qwen3_next has tiny and qwen3-next-80b-a3b-2l)`);
  const tiny = qwen3_5Dims('tiny', true);
  return { ...tiny, ...common, hybrid: { ...tiny.hybrid!, fusedInProj: true } };
}

export function isLinearLayer(hy: HybridDims, i: number): boolean {
  return (i + 1) % hy.fullAttentionInterval !== 0;
}

export function hybridLayerDefs(dims: ModelDims, hy: HybridDims, p: string, i: number, lin: (fanIn: number) => number): TensorDef[] {
  const h = dims.hiddenSize;
  const ff = dims.intermediateSize;
  const defs: TensorDef[] = [{ name: `${p}.input_layernorm.weight`, kind: 'norm', shape: [h], std: 0.1 }];
  if (isLinearLayer(hy, i)) {
    const la = `${p}.linear_attn`;
    const keyDim = hy.numKHeads * hy.headKDim;
    const valueDim = hy.numVHeads * hy.headVDim;
    const channels = 2 * keyDim + valueDim;
    // Qwen3-Next: per key head, its q, k, v and z rows in one matrix, its b and a rows in another.
    const inProj: Array<[string, number]> = hy.fusedInProj
      ? [['in_proj_qkvz', channels + valueDim], ['in_proj_ba', 2 * hy.numVHeads]]
      : [['in_proj_qkv', channels], ['in_proj_z', valueDim], ['in_proj_b', hy.numVHeads], ['in_proj_a', hy.numVHeads]];
    for (const [name, rows] of inProj) defs.push({ name: `${la}.${name}`, kind: 'linear', shape: [rows, h], std: lin(h) });
    defs.push(
      { name: `${la}.conv1d.weight`, kind: 'conv', shape: [channels, hy.convKernel], storedShape: [channels, hy.convKernel, 1], std: 0.5 },
      // exp(A_log) around 1-4 and dt_bias around 0: decays between fast and slow, as trained models have.
      { name: `${la}.A_log`, kind: 'bias', shape: [hy.numVHeads], std: 0.5, mean: 0.7 },
      { name: `${la}.dt_bias`, kind: 'bias', shape: [hy.numVHeads], std: 0.5 },
      { name: `${la}.norm.weight`, kind: 'norm', shape: [hy.headVDim], std: 0.1 },
      { name: `${la}.out_proj`, kind: 'linear', shape: [h, valueDim], std: lin(valueDim) },
    );
  } else {
    const qOut = dims.numHeads * dims.headDim;
    const kvOut = dims.numKvHeads * dims.headDim;
    defs.push(
      { name: `${p}.self_attn.q_proj`, kind: 'linear', shape: [2 * qOut, h], std: lin(h) },
      { name: `${p}.self_attn.k_proj`, kind: 'linear', shape: [kvOut, h], std: lin(h) },
      { name: `${p}.self_attn.v_proj`, kind: 'linear', shape: [kvOut, h], std: lin(h) },
      { name: `${p}.self_attn.q_norm.weight`, kind: 'norm', shape: [dims.headDim], std: 0.1 },
      { name: `${p}.self_attn.k_norm.weight`, kind: 'norm', shape: [dims.headDim], std: 0.1 },
      { name: `${p}.self_attn.o_proj`, kind: 'linear', shape: [h, qOut], std: lin(qOut) },
    );
  }
  defs.push({ name: `${p}.post_attention_layernorm.weight`, kind: 'norm', shape: [h], std: 0.1 });
  if (dims.moe) {
    const { numExperts: e, expertIntermediateSize: fe, sharedExpertIntermediateSize: fs = 0 } = dims.moe;
    // A router spread wide enough that tokens pick different experts, like a trained router.
    defs.push(
      { name: `${p}.mlp.gate`, kind: 'linear', shape: [e, h], std: 2 / Math.sqrt(h) },
      { name: `${p}.mlp.switch_mlp.gate_proj`, kind: 'experts', shape: [e, fe, h], std: lin(h) },
      { name: `${p}.mlp.switch_mlp.up_proj`, kind: 'experts', shape: [e, fe, h], std: lin(h) },
      { name: `${p}.mlp.switch_mlp.down_proj`, kind: 'experts', shape: [e, h, fe], std: lin(fe) },
    );
    if (fs > 0) {
      defs.push(
        { name: `${p}.mlp.shared_expert.gate_proj`, kind: 'linear', shape: [fs, h], std: lin(h) },
        { name: `${p}.mlp.shared_expert.up_proj`, kind: 'linear', shape: [fs, h], std: lin(h) },
        { name: `${p}.mlp.shared_expert.down_proj`, kind: 'linear', shape: [h, fs], std: lin(fs) },
        { name: `${p}.mlp.shared_expert_gate`, kind: 'linear', shape: [1, h], std: lin(h) },
      );
    }
    return defs;
  }
  defs.push(
    { name: `${p}.mlp.gate_proj`, kind: 'linear', shape: [ff, h], std: lin(h) },
    { name: `${p}.mlp.up_proj`, kind: 'linear', shape: [ff, h], std: lin(h) },
    { name: `${p}.mlp.down_proj`, kind: 'linear', shape: [h, ff], std: lin(ff) },
  );
  return defs;
}

/** The rotated dims of each attention head (HF: int(head_dim * partial_rotary_factor)). */
export function rotaryDims(dims: ModelDims): number {
  return dims.hybrid ? Math.floor(dims.headDim * dims.hybrid.partialRotaryFactor) : dims.headDim;
}

/**
 * llama.cpp's qwen35 / qwen3next GGUF twin of one tensor's values (the converter's transforms): A_log becomes -exp(A_log), and
 * when value heads outnumber key heads, every value-head axis moves from grouped order (value heads of key head 0
 * first) to tiled order (the first value head of every key head first), which is how ggml broadcasts key heads.
 */
export function ggufHybridValues(dims: ModelDims, def: TensorDef, vals: Float32Array): Float32Array {
  const hy = dims.hybrid;
  if (!hy) return vals;
  let out = vals;
  if (def.name.endsWith('.linear_attn.A_log')) out = out.map((v) => -Math.exp(v));
  // qwen3next keeps the grouped order (its graph repeats each key head over its value heads).
  if (hy.numVHeads === hy.numKHeads || hy.fusedInProj || !def.name.includes('.linear_attn.')) return out;
  const keyDim = hy.numKHeads * hy.headKDim;
  const tail = def.name.slice(def.name.lastIndexOf('.linear_attn.') + '.linear_attn.'.length);
  const cols = def.shape.length === 2 ? def.shape[1] : 1;
  switch (tail) {
    case 'in_proj_qkv':
    case 'conv1d.weight':
      return reorderRows(out, cols, 2 * keyDim, hy, hy.headVDim);
    case 'in_proj_z':
      return reorderRows(out, cols, 0, hy, hy.headVDim);
    case 'in_proj_b':
    case 'in_proj_a':
    case 'A_log':
    case 'dt_bias':
      return reorderRows(out, cols, 0, hy, 1);
    case 'out_proj':
      return reorderCols(out, def.shape[0], cols, hy, hy.headVDim);
    default:
      return out;
  }
}

/** Grouped value head g·r + j (key head g, j-th of r) → tiled position j·numKHeads + g. */
function tiledHead(hy: HybridDims, head: number): number {
  const r = hy.numVHeads / hy.numKHeads;
  return (head % r) * hy.numKHeads + Math.floor(head / r);
}

function reorderRows(src: Float32Array, cols: number, firstRow: number, hy: HybridDims, rowsPerHead: number): Float32Array {
  const out = src.slice();
  for (let head = 0; head < hy.numVHeads; head++) {
    const from = firstRow + head * rowsPerHead;
    const to = firstRow + tiledHead(hy, head) * rowsPerHead;
    out.set(src.subarray(from * cols, (from + rowsPerHead) * cols), to * cols);
  }
  return out;
}

function reorderCols(src: Float32Array, rows: number, cols: number, hy: HybridDims, colsPerHead: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let r = 0; r < rows; r++) {
    for (let head = 0; head < hy.numVHeads; head++) {
      const from = r * cols + head * colsPerHead;
      out.set(src.subarray(from, from + colsPerHead), r * cols + tiledHead(hy, head) * colsPerHead);
    }
  }
  return out;
}
