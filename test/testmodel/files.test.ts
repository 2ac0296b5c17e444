// What make-model writes: the mlx-community directory (unaligned MLX-style safetensors, index, config with
// quantization overrides, tokenizer files) and the GGUF twin (metadata, tokenizer, exact F32 weights, llama q/k
// permutation, rope_freqs), plus the CLI's error handling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { ensureTestModel, testModelCacheRoot } from '../helpers/test-models.js';
import { readFloat, readSafetensorsHeader, readU32 } from './reference.js';

const root = join(testModelCacheRoot(), '..', '..');

function readJson(path: string): any {
  return JSON.parse(readFileSync(path, 'utf8'));
}

test('MLX directory: unaligned safetensors covering the file, index and config agree, 8-bit override applied', async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen2', dtype: 'bf16', bits: 4 });
  const buf = readFileSync(join(dir, 'model.safetensors'));
  const hdr = readSafetensorsHeader(buf);
  const meta = JSON.parse(buf.subarray(8, 8 + Number(buf.readBigUInt64LE(0))).toString()).__metadata__;
  assert.deepEqual(meta, { format: 'mlx' });
  let end = 0;
  let total = 0;
  for (const [name, e] of hdr) {
    assert.equal(e.offset % 2, 1, `${name} starts at an odd offset`);
    end = Math.max(end, e.offset + e.byteLength);
    total += e.byteLength;
  }
  assert.equal(end, buf.length);
  assert.equal(total, buf.length - (8 + Number(buf.readBigUInt64LE(0))), 'tensors cover the data section without holes');

  const index = readJson(join(dir, 'model.safetensors.index.json'));
  assert.deepEqual(Object.keys(index.weight_map).sort(), [...hdr.keys()].sort());
  assert.equal(index.metadata.total_size, total);

  const cfg = readJson(join(dir, 'config.json'));
  assert.equal(cfg.model_type, 'qwen2');
  assert.deepEqual(cfg.quantization, {
    group_size: 64, bits: 4, mode: 'affine',
    'model.layers.0.mlp.down_proj': { group_size: 64, bits: 8, mode: 'affine' },
    lm_head: { group_size: 64, bits: 8, mode: 'affine' },
  });
  assert.deepEqual(cfg.quantization_config, cfg.quantization);
  // 4-bit: in/8 words per row; the 8-bit override: in/4 words; scales/biases BF16 per 64-group.
  assert.deepEqual(hdr.get('model.layers.1.mlp.down_proj.weight')!.shape, [64, 128 / 8]);
  assert.deepEqual(hdr.get('model.layers.0.mlp.down_proj.weight')!.shape, [64, 128 / 4]);
  assert.deepEqual(hdr.get('lm_head.weight')!.shape, [151936, 64 / 4]);
  assert.equal(hdr.get('model.embed_tokens.scales')!.dtype, 'BF16');
  assert.equal(hdr.get('model.embed_tokens.weight')!.dtype, 'U32');
  // Qwen2's Linear bias stays float, next to the quantization biases.
  assert.equal(hdr.get('model.layers.0.self_attn.q_proj.bias')!.dtype, 'BF16');
  assert.ok(hdr.has('model.layers.0.self_attn.q_proj.biases'));
  assert.ok(!hdr.has('model.layers.0.input_layernorm.scales'), 'norms are never quantized');
  // qwen2 carries the chat template as its own file, as newer transformers write it.
  assert.ok(existsSync(join(dir, 'chat_template.jinja')));
  assert.equal(readJson(join(dir, 'tokenizer_config.json')).chat_template, undefined);
  assert.deepEqual(readJson(join(dir, 'generation_config.json')).eos_token_id, [151645, 151643]);
});

test('GGUF twin of a 4-bit llama: metadata, tokenizer, exact dequantized F32 weights, permuted q rows, rope_freqs', async () => {
  const { dir, gguf } = await ensureTestModel({ arch: 'llama', dtype: 'bf16', bits: 4, withGguf: true });
  const info = await readGgufFileInfo(gguf!, { readTensorInfo: true });
  const md = info.metadata as any;
  assert.equal(md.general.architecture, 'llama');
  assert.equal(md.llama.embedding_length, 64);
  assert.equal(md.llama.attention.head_count_kv, 2);
  assert.equal(md.tokenizer.ggml.model, 'gpt2');
  assert.equal(md.tokenizer.ggml.pre, 'llama-bpe');
  assert.equal(md.tokenizer.ggml.tokens.length, 128256);
  assert.equal(md.tokenizer.ggml.tokens[128009], '<|eot_id|>');
  assert.equal(md.tokenizer.ggml.token_type[128009], 3);
  assert.equal(md.tokenizer.ggml.token_type[1000], 1);
  assert.equal(md.tokenizer.ggml.merges.length, 280147);
  assert.equal(md.tokenizer.ggml.bos_token_id, 128000);
  assert.equal(md.tokenizer.ggml.add_bos_token, true);
  assert.match(md.tokenizer.chat_template, /tools/);

  const tensors = new Map(info.tensorInfo!.map((t) => [t.name, t]));
  assert.ok(!tensors.has('output.weight'), 'tied: no separate output tensor');
  const bin = readFileSync(gguf!);
  const f32Rows = (name: string, rows: number[], cols: number) => {
    const t = tensors.get(name)!;
    assert.equal(t.ggmlType, 0, `${name} is F32`);
    return rows.map((r) => Array.from(new Float32Array(bin.buffer.slice(bin.byteOffset + Number(t.fileOffset) + r * cols * 4,
      bin.byteOffset + Number(t.fileOffset) + (r + 1) * cols * 4))));
  };
  const st = readFileSync(join(dir, 'model.safetensors'));
  const hdr = readSafetensorsHeader(st);
  const dequantRow = (name: string, r: number, cols: number, bits: number) => {
    const w = readU32(st, hdr.get(`${name}.weight`)!);
    const s = readFloat(st, hdr.get(`${name}.scales`)!);
    const b = readFloat(st, hdr.get(`${name}.biases`)!);
    const per = 32 / bits, wpr = cols / per, gpr = cols / 64;
    return Array.from({ length: cols }, (_, c) =>
      Math.fround(s[r * gpr + Math.floor(c / 64)] * ((w[r * wpr + Math.floor(c / per)] >>> ((c % per) * bits)) & ((1 << bits) - 1))
        + b[r * gpr + Math.floor(c / 64)]));
  };
  // Embedding rows, including the last one: bit-exact dequantized values.
  const [row5, rowLast] = f32Rows('token_embd.weight', [5, 128255], 64);
  assert.deepEqual(row5, dequantRow('model.embed_tokens', 5, 64, 4));
  assert.deepEqual(rowLast, dequantRow('model.embed_tokens', 128255, 64, 4));
  // q rows: GGUF row 1 of head 0 is HF row hd/2 = 8 (llama.cpp's NORM rope wants pairs adjacent).
  const [q0, q1] = f32Rows('blk.0.attn_q.weight', [0, 1], 64);
  assert.deepEqual(q0, dequantRow('model.layers.0.self_attn.q_proj', 0, 64, 4));
  assert.deepEqual(q1, dequantRow('model.layers.0.self_attn.q_proj', 8, 64, 4));
  // The 8-bit override survives into the twin exactly.
  const [d0] = f32Rows('blk.0.ffn_down.weight', [0], 128);
  assert.deepEqual(d0, dequantRow('model.layers.0.mlp.down_proj', 0, 128, 8));
  const rf = tensors.get('rope_freqs.weight')!;
  assert.deepEqual(rf.dimensions.map(Number), [8]);
});

test('GGUF speed twins: Q4_0 with Q8_0 embedding, or Q8_0 throughout', async () => {
  for (const [type, linear] of [['q4_0', 2], ['q8_0', 8]] as const) {
    const { gguf } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4, withGguf: type });
    const info = await readGgufFileInfo(gguf!, { readTensorInfo: true });
    const types = new Map(info.tensorInfo!.map((t) => [t.name, t.ggmlType]));
    assert.equal(types.get('token_embd.weight'), 8);
    assert.equal(types.get('blk.1.ffn_up.weight'), linear);
    assert.equal(types.get('blk.1.attn_q_norm.weight'), 0);
    assert.equal((info.metadata as any).qwen3.attention.key_length, 32);
  }
});

test('make-model CLI: writes a model, prints its usage on --help, and rejects bad arguments with one line and exit code 2', () => {
  const script = join(root, 'dist', 'scripts', 'make-model.js');
  const out = mkdtempSync(join(tmpdir(), 'vmlx-mm-'));
  try {
    const ok = spawnSync(process.execPath, [script, '--arch', 'llama', '--dtype', 'f32', '--seed', '3', '--out', join(out, 'm'), '--quiet'], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /wrote .*\/m \(/);
    assert.equal(readJson(join(out, 'm', 'config.json')).torch_dtype, 'float32');
    const help = spawnSync(process.execPath, [script, '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^usage: npm run make-model -- --arch ARCH --out DIR/);
    assert.match(help.stdout, /--arch qwen3\|qwen2\|llama/);
    for (const [args, msg] of [
      [['--arch', 'gpt2', '--out', out], /--arch must be one of qwen3\|qwen2\|llama\|mistral\|mistral3\|smollm3\|qwen3_moe/],
      [['--arch', 'qwen3', '--bits', '7', '--out', out], /--bits must be 2, 3, 4, 5, 6 or 8 \(got 7\)/],
      [['--arch', 'qwen3', '--shape', 'llama-3.2-1b', '--out', out], /llama-3.2-1b needs --arch llama/],
      [['--arch', 'qwen3'], /--out DIR is required/],
      [['--arch', 'qwen3', '--out', out, '--bogus'], /bogus/],
      [['--arch', 'qwen3', '--quant-mode', 'nf4', '--out', out], /--quant-mode must be one of affine\|mxfp4 \(got nf4\)/],
      [['--arch', 'qwen3', '--quant-mode', 'mxfp4', '--bits', '8', '--out', out], /--quant-mode mxfp4 needs --bits 4 \(got 8\)/],
      [['--arch', 'qwen3', '--quant-mode', 'mxfp4', '--group-size', '64', '--out', out], /--quant-mode mxfp4 needs --group-size 32 \(got 64\)/],
      [['--arch', 'qwen3', '--quant-mode', 'affine', '--out', out], /--quant-mode affine needs --bits/],
    ] as const) {
      const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, msg);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('mxfp4: U32 codes and U8 E8M0 scales without biases, config mode mxfp4 beside 8-bit affine overrides; the codes decode to the GGUF twin', async () => {
  const { dir, gguf } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4, quantMode: 'mxfp4', withGguf: true });
  const buf = readFileSync(join(dir, 'model.safetensors'));
  const hdr = readSafetensorsHeader(buf);
  const q = hdr.get('model.layers.1.mlp.up_proj.weight')!;
  const s = hdr.get('model.layers.1.mlp.up_proj.scales')!;
  assert.deepEqual([q.dtype, q.shape, s.dtype, s.shape], ['U32', [192, 8], 'U8', [192, 2]]);
  assert.equal(hdr.has('model.layers.1.mlp.up_proj.biases'), false);
  const cfg = readJson(join(dir, 'config.json'));
  assert.deepEqual([cfg.quantization.mode, cfg.quantization.bits, cfg.quantization.group_size], ['mxfp4', 4, 32]);
  assert.deepEqual(cfg.quantization['model.layers.0.mlp.down_proj'], { group_size: 64, bits: 8, mode: 'affine' });
  // Row 0 of up_proj: element k is E2M1 code k (LSB-first nibbles) times 2^(e-127) of its group: the twin's F32 values.
  const info = await readGgufFileInfo(gguf!, { readTensorInfo: true });
  const t = info.fullTensorInfo!.find((x) => x.name === 'blk.1.ffn_up.weight')!;
  assert.equal(t.ggmlType, 0);
  const bin = readFileSync(gguf!);
  const words = readU32(buf, q);
  const mags = [0, 0.5, 1, 1.5, 2, 3, 4, 6];
  let nonZero = 0;
  for (let k = 0; k < 64; k++) {
    const c = (words[k >>> 3]! >>> (4 * (k & 7))) & 15;
    const want = (c & 8 ? -1 : 1) * mags[c & 7]! * 2 ** (buf[s.offset + (k >>> 5)]! - 127);
    assert.equal(bin.readFloatLE(Number(t.fileOffset) + 4 * k), want, `element ${k}`);
    if (want !== 0) nonZero++;
  }
  assert.ok(nonZero > 32, 'the codes are not mostly zero');
});

test('MXFP4 GGUF twin of an mxfp4 model: the same E8M0 bytes and E2M1 codes in llama.cpp\'s block layout', async () => {
  const { dir, gguf } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4, quantMode: 'mxfp4', withGguf: 'mxfp4' });
  const st = readFileSync(join(dir, 'model.safetensors'));
  const hdr = readSafetensorsHeader(st);
  const words = readU32(st, hdr.get('model.layers.1.mlp.up_proj.weight')!);
  const scales = hdr.get('model.layers.1.mlp.up_proj.scales')!;
  const info = await readGgufFileInfo(gguf!, { readTensorInfo: true });
  assert.equal(info.metadata.general.file_type, 38);
  const t = info.fullTensorInfo!.find((x) => x.name === 'blk.1.ffn_up.weight')!;
  assert.equal(t.ggmlType, 39, 'MXFP4');
  assert.equal(info.fullTensorInfo!.find((x) => x.name === 'token_embd.weight')!.ggmlType, 8, 'Q8_0 embedding');
  const bin = readFileSync(gguf!);
  // Row 0 (64 columns): two blocks of 17 bytes.
  for (let b = 0; b < 2; b++) {
    const at = Number(t.fileOffset) + 17 * b;
    assert.equal(bin[at], st[scales.offset + b], `block ${b} exponent`);
    for (let j = 0; j < 32; j++) {
      const k = 32 * b + j;
      const mlx = (words[k >>> 3]! >>> (4 * (k & 7))) & 15;
      const byte = bin[at + 1 + (j % 16)]!;
      assert.equal(j < 16 ? byte & 15 : byte >> 4, mlx, `element ${k}`);
    }
  }
});
