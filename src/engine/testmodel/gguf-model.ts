// How an HF/MLX model maps onto llama.cpp's GGUF: metadata keys, tensor names, the llama q/k row permutation for
// llama.cpp's NORM rope, and the llama3 rope_freqs tensor (notes/engine.md §7.3).
import type { GgufKv, GgmlType, GgufTensorInfo } from './gguf-writer.js';
import type { GgufTokenizer } from './tokenizer-files.js';
import { gptOssGgufMetadata } from './gpt-oss-spec.js';
import { gemma4GgufMetadata, gemma4GgufName, gemma4RopeFreqs } from './gemma4-spec.js';
import { rotaryDims } from './hybrid-spec.js';
import { bf16BitsToF32, f32ToBf16Bits } from './numeric.js';
import { isGemma3, type GgufType, type HybridDims, type ModelDims, type TensorDef, type TestArch } from './spec.js';

/** HF tensor name (the stored name: `.weight` included for linears) → GGUF name. */
export function ggufTensorName(storedHfName: string, arch?: TestArch): string {
  // A multimodal checkpoint's text model carries a prefix the GGUF text model does not.
  const hfName = storedHfName.startsWith('language_model.') ? storedHfName.slice('language_model.'.length) : storedHfName;
  if (hfName === 'model.embed_tokens.weight') return 'token_embd.weight';
  if (hfName === 'model.norm.weight') return 'output_norm.weight';
  if (hfName === 'lm_head.weight') return 'output.weight';
  const gemma4 = arch === 'gemma4' ? gemma4GgufName(hfName) : undefined;
  if (gemma4) return gemma4;
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hfName);
  if (!m) throw new RangeError(`no GGUF name for ${hfName}`);
  const map: Record<string, string> = {
    'input_layernorm.weight': 'attn_norm.weight',
    'self_attn.q_proj.weight': 'attn_q.weight',
    'self_attn.qkv_proj.weight': 'attn_qkv.weight',
    'mlp.gate_up_proj.weight': 'ffn_up.weight',
    'self_attn.k_proj.weight': 'attn_k.weight',
    'self_attn.v_proj.weight': 'attn_v.weight',
    'self_attn.o_proj.weight': 'attn_output.weight',
    'self_attn.q_proj.bias': 'attn_q.bias',
    'self_attn.o_proj.bias': 'attn_output.bias',
    'self_attn.sinks': 'attn_sinks.weight',
    'self_attn.k_proj.bias': 'attn_k.bias',
    'self_attn.v_proj.bias': 'attn_v.bias',
    'self_attn.q_norm.weight': 'attn_q_norm.weight',
    'self_attn.k_norm.weight': 'attn_k_norm.weight',
    // Gemma's post_attention_layernorm closes the attention sandwich; its MLP input norm is pre_feedforward_layernorm.
    // qwen35 also names it after its place (after attention), not after the block it feeds.
    'post_attention_layernorm.weight': arch && (isGemma3(arch) || arch === 'qwen3_5' || arch === 'qwen3_5_moe' || arch === 'qwen3_next' || arch === 'gpt_oss' || arch === 'gemma4') ? 'post_attention_norm.weight' : 'ffn_norm.weight',
    'pre_feedforward_layernorm.weight': 'ffn_norm.weight',
    'post_feedforward_layernorm.weight': 'post_ffw_norm.weight',
    'linear_attn.in_proj_qkv.weight': 'attn_qkv.weight',
    'linear_attn.in_proj_z.weight': 'attn_gate.weight',
    // qwen3next's fused in-projections as they are (per key head), which its graph splits itself.
    'linear_attn.in_proj_qkvz.weight': 'ssm_in.weight',
    'linear_attn.in_proj_ba.weight': 'ssm_ba.weight',
    'linear_attn.in_proj_b.weight': 'ssm_beta.weight',
    'linear_attn.in_proj_a.weight': 'ssm_alpha.weight',
    'linear_attn.conv1d.weight': 'ssm_conv1d.weight',
    'linear_attn.A_log': 'ssm_a',
    'linear_attn.dt_bias': 'ssm_dt.bias',
    'linear_attn.norm.weight': 'ssm_norm.weight',
    'linear_attn.out_proj.weight': 'ssm_out.weight',
    'mlp.gate_proj.weight': 'ffn_gate.weight',
    'mlp.up_proj.weight': 'ffn_up.weight',
    'mlp.down_proj.weight': 'ffn_down.weight',
    // Mixture of experts: the router and the stacked experts (llama.cpp's merged *_exps tensors).
    'mlp.gate.weight': 'ffn_gate_inp.weight',
    'mlp.shared_expert.gate_proj.weight': 'ffn_gate_shexp.weight',
    'mlp.shared_expert.up_proj.weight': 'ffn_up_shexp.weight',
    'mlp.shared_expert.down_proj.weight': 'ffn_down_shexp.weight',
    'mlp.shared_expert_gate.weight': 'ffn_gate_inp_shexp.weight',
    'mlp.switch_mlp.gate_proj.weight': 'ffn_gate_exps.weight',
    'mlp.switch_mlp.up_proj.weight': 'ffn_up_exps.weight',
    'mlp.switch_mlp.down_proj.weight': 'ffn_down_exps.weight',
    // gpt-oss: the router and the experts carry biases.
    'mlp.router.weight': 'ffn_gate_inp.weight',
    'mlp.router.bias': 'ffn_gate_inp.bias',
    'mlp.experts.gate_proj.weight': 'ffn_gate_exps.weight',
    'mlp.experts.up_proj.weight': 'ffn_up_exps.weight',
    'mlp.experts.down_proj.weight': 'ffn_down_exps.weight',
    'mlp.experts.gate_proj.bias': 'ffn_gate_exps.bias',
    'mlp.experts.up_proj.bias': 'ffn_up_exps.bias',
    'mlp.experts.down_proj.bias': 'ffn_down_exps.bias',
  };
  const tail = map[m[2]];
  if (!tail) throw new RangeError(`no GGUF name for ${hfName}`);
  return `blk.${m[1]}.${tail}`;
}

/** The stored (HF) name of a tensor definition's main tensor. */
export function storedName(def: TensorDef): string {
  return def.kind === 'linear' || def.kind === 'embedding' || def.kind === 'experts' ? `${def.name}.weight` : def.name;
}

/** GGUF storage type of one tensor for the requested file flavour. */
export function ggufTypeFor(def: TensorDef, flavour: GgufType, arch?: TestArch): GgmlType {
  // llama-quantize leaves MoE routers (ffn_gate_inp) in F32.
  // Block types need rows of whole 32-element blocks (Gemma 4's per-layer projection has 16 columns).
  if (flavour === 'f32' || flavour === 'q4_0-f32' || def.shape.length === 1 || def.shape[def.shape.length - 1]! % 32 !== 0 || def.kind === 'conv' || def.kind === 'bias' || def.name.endsWith('mlp.gate') || def.name.endsWith('mlp.router') || def.name.endsWith('router.proj') || def.name.endsWith('shared_expert_gate')) return 'F32';
  if (flavour === 'q8_0') return 'Q8_0';
  // gpt-oss's mxfp4 models hold only the experts in mxfp4 (everything else at 8 bits), and so does their twin.
  if (flavour === 'mxfp4' && arch === 'gpt_oss') return def.kind === 'experts' ? 'MXFP4' : 'Q8_0';
  // mxfp4: the weights an mxfp4 MLX model holds in mxfp4 (the same values); the embedding and output at Q8_0.
  if (flavour === 'mxfp4') return def.kind === 'embedding' || def.name.endsWith('lm_head') ? 'Q8_0' : 'MXFP4';
  // Q4_0 files keep the embedding (and a separate output) at Q8_0, as the speed notes' llama.cpp baseline did.
  return def.kind === 'embedding' || def.name.endsWith('lm_head') ? 'Q8_0' : 'Q4_0';
}

/** llama.cpp architectures whose converter permutes q/k rows for the NORM (adjacent-pair) rope. */
const NORM_ROPE_ARCHS = new Set(['llama', 'mistral3', 'smollm3']);

/** Whether this tensor's rows are permuted for llama.cpp's NORM (adjacent-pair) rope. */
export function needsRopePermute(arch: TestArch, def: TensorDef): boolean {
  return NORM_ROPE_ARCHS.has(ggufArch(arch)) && /self_attn\.(q|k)_proj$/.test(def.name);
}

/** llama.cpp's architecture for a model_type, as its converter picks it (MistralForCausalLM is written as llama). */
export function ggufArch(arch: TestArch): string {
  if (arch === 'mistral') return 'llama';
  if (arch === 'qwen3_moe') return 'qwen3moe';
  if (isGemma3(arch)) return 'gemma3';
  if (arch === 'qwen3_5') return 'qwen35';
  if (arch === 'qwen3_5_moe') return 'qwen35moe';
  if (arch === 'qwen3_next') return 'qwen3next';
  if (arch === 'gpt_oss') return 'gpt-oss';
  return arch;
}

/**
 * Gemma 3 scales embeddings by sqrt(hidden_size) rounded to bfloat16 (mlx-lm, and transformers on bf16 weights);
 * llama.cpp by the float sqrt. They differ where the root is not a bf16 value (1152: 34 against 33.94, 0.17%). The
 * twin then stores the token embeddings times bf16(root)/root, so llama.cpp computes the same product, and the
 * unscaled matrix as a separate output.weight for the tied output projection. Returns that factor, or null.
 */
export function gemmaEmbedScaleFix(arch: TestArch, dims: ModelDims): number | null {
  if (!isGemma3(arch)) return null;
  const root = Math.fround(Math.sqrt(dims.hiddenSize));
  const rounded = bf16BitsToF32(f32ToBf16Bits(root));
  return rounded === root ? null : rounded / root;
}

/** llama.cpp's converter stores Gemma's RMSNorm weights as 1 + w (the engine adds the 1 at load instead). */
export function ggufNormOffset(arch: TestArch, def: TensorDef): number {
  return isGemma3(arch) && def.kind === 'norm' ? 1 : 0;
}

/**
 * Per head, rows [0, d/2) are the "real" halves and [d/2, d) the "imaginary" halves in HF's rotate-half layout;
 * llama.cpp's NORM rope wants them interleaved (row 2i = half-row i, row 2i+1 = half-row d/2+i).
 */
export function permuteRopeRows(src: Float32Array, rows: number, cols: number, headDim: number): Float32Array {
  const out = new Float32Array(src.length);
  const half = headDim / 2;
  for (let r = 0; r < rows; r++) {
    const head = Math.floor(r / headDim);
    const within = r % headDim;
    const dst = head * headDim + (within < half ? 2 * within : 2 * (within - half) + 1);
    out.set(src.subarray(r * cols, (r + 1) * cols), dst * cols);
  }
  return out;
}

/** llama3 rope scaling as llama.cpp wants it: one divisor per frequency (1 = unchanged, factor = fully scaled). */
export function llama3RopeDivisors(dims: ModelDims): Float32Array {
  const s = dims.ropeScaling;
  if (!s) throw new RangeError('llama3RopeDivisors: the model has no rope scaling');
  const half = dims.headDim / 2;
  const out = new Float32Array(half);
  const lowWavelen = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
  const highWavelen = s.originalMaxPositionEmbeddings / s.highFreqFactor;
  for (let i = 0; i < half; i++) {
    const freq = 1 / dims.ropeTheta ** ((2 * i) / dims.headDim);
    const wavelen = (2 * Math.PI) / freq;
    if (wavelen < highWavelen) out[i] = 1;
    else if (wavelen > lowWavelen) out[i] = s.factor;
    else {
      const smooth = (s.originalMaxPositionEmbeddings / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
      out[i] = 1 / ((1 - smooth) / s.factor + smooth);
    }
  }
  return out;
}

export function ggufMetadata(arch: TestArch, dims: ModelDims, tok: GgufTokenizer, name: string, flavour: GgufType): Array<[string, GgufKv]> {
  const p = ggufArch(arch);
  const kv: Array<[string, GgufKv]> = [
    ['general.architecture', { type: 'string', value: p }],
    ['general.name', { type: 'string', value: name }],
    ['general.alignment', { type: 'u32', value: 32 }],
    // llama_ftype: 0 ALL_F32, 2 MOSTLY_Q4_0, 7 MOSTLY_Q8_0, 38 MOSTLY_MXFP4_MOE
    ['general.file_type', { type: 'u32', value: { f32: 0, 'q4_0-f32': 0, q4_0: 2, q8_0: 7, mxfp4: 38 }[flavour] }],
    [`${p}.context_length`, { type: 'u32', value: dims.maxPositionEmbeddings }],
    [`${p}.embedding_length`, { type: 'u32', value: dims.hiddenSize }],
    [`${p}.block_count`, { type: 'u32', value: dims.numLayers }],
    [`${p}.feed_forward_length`, { type: 'u32', value: dims.intermediateSize }],
    [`${p}.attention.head_count`, { type: 'u32', value: dims.numHeads }],
    [`${p}.attention.head_count_kv`, { type: 'u32', value: dims.numKvHeads }],
    [`${p}.attention.key_length`, { type: 'u32', value: dims.headDim }],
    [`${p}.attention.value_length`, { type: 'u32', value: dims.headDim }],
    [`${p}.attention.layer_norm_rms_epsilon`, { type: 'f32', value: dims.rmsNormEps }],
    [`${p}.rope.freq_base`, { type: 'f32', value: dims.ropeTheta }],
    [`${p}.rope.dimension_count`, { type: 'u32', value: phiRotaryDims(dims) ?? rotaryDims(dims) }],
    [`${p}.vocab_size`, { type: 'u32', value: dims.vocabSize }],
  ];
  if (dims.moe) {
    kv.push(
      [`${p}.expert_count`, { type: 'u32', value: dims.moe.numExperts }],
      [`${p}.expert_used_count`, { type: 'u32', value: dims.moe.topK }],
      [`${p}.expert_feed_forward_length`, { type: 'u32', value: dims.moe.expertIntermediateSize }],
    );
    const shared = dims.moe.sharedExpertIntermediateSize;
    if (shared) kv.push([`${p}.expert_shared_feed_forward_length`, { type: 'u32', value: shared }]);
  }
  if (dims.hybrid) kv.push(...hybridMetadata(p, dims, dims.hybrid));
  if (dims.gptOss) kv.push(...gptOssGgufMetadata(p, dims.gptOss));
  if (dims.gemma4) {
    // Its per-layer arrays and full-layer head dims replace the scalar keys above.
    const own = gemma4GgufMetadata(p, dims, dims.gemma4);
    const keys = new Set(own.map(([k]) => k));
    kv.splice(0, kv.length, ...kv.filter(([k]) => !keys.has(k)), ...own);
  }
  if (flavour !== 'f32' && flavour !== 'q4_0-f32') kv.push(['general.quantization_version', { type: 'u32', value: 2 }]);
  const phi = dims.phi;
  if (phi) {
    kv.push(
      [`${p}.rope.scaling.attn_factor`, { type: 'f32', value: phiAttentionFactor(dims) }],
      [`${p}.rope.scaling.original_context_length`, { type: 'u32', value: phi.originalMaxPositionEmbeddings }],
    );
  }
  const g = dims.gemma;
  if (g) {
    kv.push([`${p}.attention.sliding_window`, { type: 'u32', value: g.slidingWindow }]);
    if (g.linearRopeFactor) {
      kv.push([`${p}.rope.scaling.type`, { type: 'string', value: 'linear' }], [`${p}.rope.scaling.factor`, { type: 'f32', value: g.linearRopeFactor }]);
    }
  }
  kv.push(
    ['tokenizer.ggml.model', { type: 'string', value: tok.model }],
    ['tokenizer.ggml.pre', { type: 'string', value: tok.pre }],
    ['tokenizer.ggml.tokens', { type: 'string[]', value: tok.tokens }],
    ['tokenizer.ggml.token_type', { type: 'i32[]', value: tok.tokenTypes }],
  );
  if (tok.scores) kv.push(['tokenizer.ggml.scores', { type: 'f32[]', value: tok.scores }]);
  else kv.push(['tokenizer.ggml.merges', { type: 'string[]', value: tok.merges }]);
  kv.push(
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: tok.bosTokenId }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: tok.eosTokenId }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: tok.addBos }],
  );
  if (tok.padTokenId !== null) kv.push(['tokenizer.ggml.padding_token_id', { type: 'u32', value: tok.padTokenId }]);
  if (tok.chatTemplate) kv.push(['tokenizer.chat_template', { type: 'string', value: tok.chatTemplate }]);
  return kv;
}

export function ggufTensorInfos(arch: TestArch, dims: ModelDims, defs: TensorDef[], flavour: GgufType): GgufTensorInfo[] {
  // qwen35moe's shared-expert gate is a vector [hidden] where the checkpoint has a Linear [1, hidden] (same bytes).
  const shapeOf = (d: TensorDef) => (d.name.endsWith('shared_expert_gate') ? [d.shape[1]] : d.shape);
  const infos: GgufTensorInfo[] = defs.filter((d) => d.kind !== 'vision').map((d) => ({ name: ggufTensorName(storedName(d), arch), shape: shapeOf(d), type: ggufTypeFor(d, flavour, arch) }));
  if (dims.gemma4) infos.push(gemma4RopeFreqs(dims.gemma4).info);
  const embed = infos.find((i) => i.name === 'token_embd.weight');
  if (embed && dims.tied && gemmaEmbedScaleFix(arch, dims) !== null) infos.push({ ...embed, name: 'output.weight' });
  if (arch === 'llama' && dims.ropeScaling) infos.push({ name: 'rope_freqs.weight', shape: [dims.headDim / 2], type: 'F32' });
  const rot = phiRotaryDims(dims);
  if (rot) {
    infos.push({ name: 'rope_factors_long.weight', shape: [rot / 2], type: 'F32' }, { name: 'rope_factors_short.weight', shape: [rot / 2], type: 'F32' });
  }
  return infos;
}

/** Phi-3's rotary dims (partial_rotary_factor of the head), or null for other families. */
export function phiRotaryDims(dims: ModelDims): number | null {
  return dims.phi ? Math.round(dims.headDim * dims.phi.partialRotaryFactor) : null;
}

/** longrope's magnitude correction, as llama.cpp's converter computes it: sqrt(1 + ln(s) / ln(original)). */
export function phiAttentionFactor(dims: ModelDims): number {
  const orig = dims.phi!.originalMaxPositionEmbeddings;
  const scale = dims.maxPositionEmbeddings / orig;
  return scale <= 1 ? 1 : Math.sqrt(1 + Math.log(scale) / Math.log(orig));
}

/**
 * qwen35's and qwen3next's Gated DeltaNet keys (the converter's names: state size = key head dim, group count = key heads, time-step
 * rank = value heads) and its interleaved M-RoPE sections. Text positions are equal in every section, so sections
 * that cover all rotary pairs make it the plain NeoX rotation of the rotated dims.
 */
function hybridMetadata(p: string, dims: ModelDims, hy: HybridDims): Array<[string, GgufKv]> {
  if (hy.headKDim !== hy.headVDim) throw new RangeError(`${p} GGUF needs equal key and value head dims`);
  const pairs = rotaryDims(dims) / 2;
  const a = Math.ceil(pairs / 3);
  // qwen3next rotates with plain NeoX RoPE (no sections).
  const sections: Array<[string, GgufKv]> = hy.fusedInProj ? [] : [[`${p}.rope.dimension_sections`, { type: 'i32[]', value: [a, a, pairs - 2 * a, 0] }]];
  return [
    [`${p}.ssm.conv_kernel`, { type: 'u32', value: hy.convKernel }],
    [`${p}.ssm.state_size`, { type: 'u32', value: hy.headKDim }],
    [`${p}.ssm.group_count`, { type: 'u32', value: hy.numKHeads }],
    [`${p}.ssm.time_step_rank`, { type: 'u32', value: hy.numVHeads }],
    [`${p}.ssm.inner_size`, { type: 'u32', value: hy.headVDim * hy.numVHeads }],
    [`${p}.full_attention_interval`, { type: 'u32', value: hy.fullAttentionInterval }],
    ...sections,
  ];
}
