// What make-model writes for gpt_oss: openai/gpt-oss-20b's config.json fields with mlx-lm's quantization (experts in
// mxfp4, the rest and the routers at 8-bit affine), the tokenizer and generation config of o200k_harmony, and the
// GGUF twins llama.cpp's gpt-oss architecture reads (sliding window, YaRN keys, sinks and biases, MXFP4 experts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { ggufTensorInfos } from '../../src/engine/testmodel/gguf-model.js';
import { modelDims, tensorDefs } from '../../src/engine/testmodel/spec.js';
import { ensureTestModel } from '../helpers/test-models.js';

const MXFP4 = { arch: 'gpt_oss', dtype: 'bf16', bits: 4, quantMode: 'mxfp4' } as const;

function readJson(path: string): any {
  return JSON.parse(readFileSync(path, 'utf8'));
}

test('gpt_oss MLX directory: gpt-oss config fields, mxfp4 experts with 8-bit affine elsewhere, harmony tokenizer', async () => {
  const { dir } = await ensureTestModel({ ...MXFP4, withGguf: true });
  const c = readJson(join(dir, 'config.json'));
  assert.equal(c.model_type, 'gpt_oss');
  assert.deepEqual(c.layer_types, ['sliding_attention', 'full_attention']);
  assert.deepEqual(c.rope_scaling, { beta_fast: 32, beta_slow: 1, factor: 32, original_max_position_embeddings: 4096, rope_type: 'yarn', truncate: false });
  assert.deepEqual([c.num_local_experts, c.num_experts_per_tok, c.experts_per_token, c.swiglu_limit, c.sliding_window], [8, 2, 2, 7, 32]);
  assert.deepEqual([c.attention_bias, c.tie_word_embeddings, c.head_dim, c.vocab_size], [true, false, 32, 201088]);
  assert.deepEqual([c.quantization.group_size, c.quantization.bits, c.quantization.mode], [32, 4, 'mxfp4']);
  assert.deepEqual(c.quantization['model.layers.1.mlp.router'], { group_size: 64, bits: 8, mode: 'affine' });
  assert.deepEqual(c.quantization['model.layers.0.self_attn.q_proj'], { group_size: 64, bits: 8, mode: 'affine' });
  assert.equal(c.quantization['model.layers.0.mlp.experts.gate_proj'], undefined, 'experts take the global mxfp4');
  const names = Object.keys(readJson(join(dir, 'model.safetensors.index.json')).weight_map);
  for (const n of ['model.layers.0.self_attn.sinks', 'model.layers.0.self_attn.o_proj.bias', 'model.layers.0.mlp.router.bias',
    'model.layers.0.mlp.experts.down_proj.bias', 'model.layers.0.mlp.experts.up_proj.scales']) assert.ok(names.includes(n), n);
  assert.ok(!names.includes('model.layers.0.mlp.experts.up_proj.biases'), 'mxfp4 experts have no per-group biases');
  assert.deepEqual(readJson(join(dir, 'generation_config.json')).eos_token_id, [200002, 199999, 200012]);
  assert.match(readJson(join(dir, 'tokenizer_config.json')).chat_template, /<\|channel\|>commentary to=functions\./);
});

test('gpt_oss GGUF twins: gpt-oss metadata (window, YaRN), sinks and biases; the MXFP4 twin holds MXFP4 experts only', async () => {
  const { gguf } = await ensureTestModel({ ...MXFP4, withGguf: true });
  const info = await readGgufFileInfo(gguf!, { readTensorInfo: true });
  const md = info.metadata as any;
  const g = md['gpt-oss'];
  assert.equal(md.general.architecture, 'gpt-oss');
  assert.deepEqual([g.attention.sliding_window, g.expert_count, g.expert_used_count, g.expert_feed_forward_length], [32, 8, 2, 64]);
  assert.deepEqual([g.rope.scaling.type, g.rope.scaling.factor, g.rope.scaling.original_context_length, g.rope.freq_base], ['yarn', 32, 4096, 150000]);
  assert.equal(md.tokenizer.ggml.pre, 'gpt-4o');
  assert.equal(md.tokenizer.ggml.tokens[200005], '<|channel|>');
  const shape = (name: string) => info.fullTensorInfo!.find((t) => t.name === name)?.dimensions.map(Number);
  assert.deepEqual(shape('blk.0.attn_sinks.weight'), [4]);
  assert.deepEqual(shape('blk.1.post_attention_norm.weight'), [64]);
  assert.deepEqual(shape('blk.1.ffn_gate_exps.bias'), [64, 8]);
  assert.deepEqual(shape('blk.1.ffn_down_exps.weight'), [64, 64, 8]);

  // The MXFP4 speed twin (the bench's): MXFP4 experts, Q8_0 attention and embeddings, F32 router, biases and sinks.
  const dims = modelDims('gpt_oss', 'tiny');
  const infos = ggufTensorInfos('gpt_oss', dims, tensorDefs(dims, 'tiny'), 'mxfp4');
  const type = (name: string) => infos.find((t) => t.name === name)?.type;
  assert.deepEqual(
    ['blk.0.ffn_up_exps.weight', 'blk.0.attn_q.weight', 'token_embd.weight', 'output.weight', 'blk.0.ffn_gate_inp.weight', 'blk.0.ffn_up_exps.bias', 'blk.0.attn_sinks.weight'].map(type),
    ['MXFP4', 'Q8_0', 'Q8_0', 'Q8_0', 'F32', 'F32', 'F32'],
  );
});
