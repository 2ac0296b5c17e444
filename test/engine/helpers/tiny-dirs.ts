// Hand-made model directories for header-level tests: safetensors files whose headers are real and whose data is
// zero bytes (values do not matter before the addon), plus config.json. No weights generator here.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SIZES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, U32: 4, F64: 8, I8: 1, U8: 1 };

export interface TensorSpec {
  name: string;
  dtype: string;
  shape: number[];
}

/** Writes a safetensors file laid out in the given order (no header padding, like MLX's writer). */
export function safetensorsBytes(tensors: TensorSpec[], metadata: Record<string, string> = { format: 'mlx' }): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1) * (SIZES[t.dtype] ?? 1);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, Buffer.alloc(offset)]);
}

export function tempDir(prefix = 'vmlx-engine-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TinyShape {
  hidden: number;
  inter: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
}

export const TINY: TinyShape = { hidden: 64, inter: 128, layers: 2, heads: 4, kvHeads: 2, headDim: 16, vocab: 256 };

/** Tensors of one linear weight: float, or affine-quantized (U32 codes + BF16 scales/biases). */
export function linearTensors(path: string, out: number, inp: number, q?: { bits: number; groupSize: number }): TensorSpec[] {
  if (!q) return [{ name: `${path}.weight`, dtype: 'BF16', shape: [out, inp] }];
  return [
    { name: `${path}.weight`, dtype: 'U32', shape: [out, (inp * q.bits) / 32] },
    { name: `${path}.scales`, dtype: 'BF16', shape: [out, inp / q.groupSize] },
    { name: `${path}.biases`, dtype: 'BF16', shape: [out, inp / q.groupSize] },
  ];
}

export interface ModelTensorOptions {
  arch: 'qwen3' | 'qwen2' | 'llama';
  shape?: TinyShape;
  quant?: { bits: number; groupSize: number };
  /** Per-module quantization (module path → params, or null = float). */
  perModule?: Record<string, { bits: number; groupSize: number } | null>;
  lmHead?: boolean;
}

export function modelTensors(o: ModelTensorOptions): TensorSpec[] {
  const s = o.shape ?? TINY;
  const q = (path: string) => (o.perModule && path in o.perModule ? (o.perModule[path] ?? undefined) : o.quant);
  const lin = (path: string, out: number, inp: number) => linearTensors(path, out, inp, q(path));
  const t: TensorSpec[] = [...lin('model.embed_tokens', s.vocab, s.hidden)];
  for (let i = 0; i < s.layers; i++) {
    const p = `model.layers.${i}`;
    t.push({ name: `${p}.input_layernorm.weight`, dtype: 'BF16', shape: [s.hidden] });
    t.push({ name: `${p}.post_attention_layernorm.weight`, dtype: 'BF16', shape: [s.hidden] });
    t.push(...lin(`${p}.self_attn.q_proj`, s.heads * s.headDim, s.hidden));
    t.push(...lin(`${p}.self_attn.k_proj`, s.kvHeads * s.headDim, s.hidden));
    t.push(...lin(`${p}.self_attn.v_proj`, s.kvHeads * s.headDim, s.hidden));
    t.push(...lin(`${p}.self_attn.o_proj`, s.hidden, s.heads * s.headDim));
    t.push(...lin(`${p}.mlp.gate_proj`, s.inter, s.hidden));
    t.push(...lin(`${p}.mlp.up_proj`, s.inter, s.hidden));
    t.push(...lin(`${p}.mlp.down_proj`, s.hidden, s.inter));
    if (o.arch === 'qwen3') {
      t.push({ name: `${p}.self_attn.q_norm.weight`, dtype: 'BF16', shape: [s.headDim] });
      t.push({ name: `${p}.self_attn.k_norm.weight`, dtype: 'BF16', shape: [s.headDim] });
    }
    if (o.arch === 'qwen2') {
      t.push({ name: `${p}.self_attn.q_proj.bias`, dtype: 'BF16', shape: [s.heads * s.headDim] });
      t.push({ name: `${p}.self_attn.k_proj.bias`, dtype: 'BF16', shape: [s.kvHeads * s.headDim] });
      t.push({ name: `${p}.self_attn.v_proj.bias`, dtype: 'BF16', shape: [s.kvHeads * s.headDim] });
    }
  }
  t.push({ name: 'model.norm.weight', dtype: 'BF16', shape: [s.hidden] });
  if (o.lmHead) t.push(...lin('lm_head', s.vocab, s.hidden));
  return t;
}

export function configFor(o: ModelTensorOptions, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const s = o.shape ?? TINY;
  const cfg: Record<string, unknown> = {
    model_type: o.arch,
    hidden_size: s.hidden,
    intermediate_size: s.inter,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    num_key_value_heads: s.kvHeads,
    vocab_size: s.vocab,
    rms_norm_eps: 1e-6,
    rope_theta: 1000000,
    max_position_embeddings: 4096,
    tie_word_embeddings: !o.lmHead,
  };
  if (o.arch === 'qwen3' || s.headDim !== s.hidden / s.heads) cfg.head_dim = s.headDim;
  if (o.quant) cfg.quantization = { group_size: o.quant.groupSize, bits: o.quant.bits, mode: 'affine' };
  return { ...cfg, ...extra };
}

/** Writes config.json and a single model.safetensors into `dir`. */
export function writeModelDir(dir: string, o: ModelTensorOptions, configExtra: Record<string, unknown> = {}): void {
  writeFileSync(join(dir, 'config.json'), JSON.stringify(configFor(o, configExtra)));
  writeFileSync(join(dir, 'model.safetensors'), safetensorsBytes(modelTensors(o)));
}
