import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGenerationConfig, parseModelConfig } from '../../src/engine/config.js';
import { ModelFormatError, UnsupportedModelError } from '../../src/engine/errors.js';

const FILE = '/m/config.json';

const base = {
  model_type: 'llama',
  hidden_size: 2048,
  intermediate_size: 8192,
  num_hidden_layers: 16,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  vocab_size: 128256,
  rms_norm_eps: 1e-5,
  max_position_embeddings: 131072,
};

const llama3Scaling = { factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 };

test('Llama 3.2: head_dim from hidden/heads, rope_theta + rope_scaling (old spelling)', () => {
  const c = parseModelConfig({ ...base, rope_theta: 500000, rope_scaling: { rope_type: 'llama3', ...llama3Scaling }, tie_word_embeddings: true }, FILE);
  assert.equal(c.headDim, 64);
  assert.equal(c.numKvHeads, 8);
  assert.equal(c.ropeTheta, 500000);
  assert.deepEqual(c.ropeScaling, { type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
  assert.equal(c.tieWordEmbeddings, true);
  assert.equal(c.quantization, null);
});

test('newer transformers: rope_parameters carries theta and scaling', () => {
  const c = parseModelConfig({ ...base, rope_parameters: { rope_type: 'llama3', rope_theta: 500000, ...llama3Scaling } }, FILE);
  assert.equal(c.ropeTheta, 500000);
  assert.equal(c.ropeScaling?.factor, 32);
  const d = parseModelConfig({ ...base, rope_parameters: { rope_type: 'default', rope_theta: 1e6 } }, FILE);
  assert.equal(d.ropeTheta, 1e6);
  assert.equal(d.ropeScaling, null);
  assert.equal(d.tieWordEmbeddings, undefined);
});

test('Qwen3: explicit head_dim differs from hidden/heads; kv heads default to heads', () => {
  const c = parseModelConfig({ ...base, model_type: 'qwen3', hidden_size: 1024, num_attention_heads: 16, num_key_value_heads: undefined, head_dim: 128 }, FILE);
  assert.equal(c.headDim, 128);
  assert.equal(c.numKvHeads, 16);
  assert.equal(c.ropeTheta, 10000);
});

test('quantization with per-module overrides (objects and false), mode defaulting to affine', () => {
  const c = parseModelConfig(
    {
      ...base,
      quantization: {
        group_size: 64,
        bits: 4,
        lm_head: { group_size: 32, bits: 8 },
        'model.layers.0.mlp.down_proj': false,
        'model.layers.1.self_attn.v_proj': { bits: 8 },
      },
    },
    FILE,
  );
  assert.deepEqual(c.quantization?.global, { bits: 4, groupSize: 64, mode: 'affine' });
  assert.deepEqual(c.quantization?.overrides.get('lm_head'), { bits: 8, groupSize: 32, mode: 'affine' });
  assert.equal(c.quantization?.overrides.get('model.layers.0.mlp.down_proj'), false);
  assert.deepEqual(c.quantization?.overrides.get('model.layers.1.self_attn.v_proj'), { bits: 8, groupSize: 64, mode: 'affine' });
  // quantization_config alone (HF tooling's copy) is read too
  const d = parseModelConfig({ ...base, quantization_config: { group_size: 128, bits: 8, mode: 'affine' } }, FILE);
  assert.equal(d.quantization?.global.groupSize, 128);
  // A per-module entry in another mode takes that mode's defaults, not the global bits/group size (mxfp4: 4 / 32).
  const e = parseModelConfig({ ...base, quantization: { group_size: 64, bits: 8, mode: 'affine', 'model.layers.0.mlp.experts': { mode: 'mxfp4' } } }, FILE);
  assert.deepEqual(e.quantization?.overrides.get('model.layers.0.mlp.experts'), { bits: 4, groupSize: 32, mode: 'mxfp4' });
  // An entry without a mode is affine (MLX's to_quantized default), also beside a global mxfp4 block.
  const f = parseModelConfig({ ...base, quantization: { group_size: 32, bits: 4, mode: 'mxfp4', 'model.layers.0.mlp.router': { group_size: 64, bits: 8 } } }, FILE);
  assert.deepEqual(f.quantization?.overrides.get('model.layers.0.mlp.router'), { bits: 8, groupSize: 64, mode: 'affine' });
});

test('unsupported architecture, bit width, mode, rope type: one line naming file and field', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ ...base, model_type: 'mamba' }, /^\/m\/config\.json: model_type 'mamba' is not supported \(supported: qwen3, qwen2, llama, mistral, mistral3, smollm3, qwen3_moe, gemma3_text, gemma3, phi3, qwen3_5, qwen3_5_moe, qwen3_next, gpt_oss, gemma4_text, gemma4\)$/],
    [{ ...base, quantization: { group_size: 64, bits: 7 } }, /^\/m\/config\.json: quantization\.bits 7 is not supported for mode affine \(supported: 2, 3, 4, 5, 6, 8\)$/],
    [{ ...base, quantization: { group_size: 64, bits: 4, lm_head: { bits: 7 } } }, /quantization\.lm_head\.bits 7 is not supported for mode affine/],
    [{ ...base, quantization: { group_size: 16, bits: 4, mode: 'nvfp4' } }, /quantization\.mode 'nvfp4' is not supported \(supported: affine, mxfp4\)/],
    [{ ...base, quantization: { group_size: 64, bits: 4, mode: 'mxfp4' } }, /quantization\.group_size 64 is not supported for mode mxfp4 \(supported: 32\)/],
    [{ ...base, quantization: { group_size: 32, bits: 8, mode: 'mxfp4' } }, /quantization\.bits 8 is not supported for mode mxfp4 \(supported: 4\)/],
    [{ ...base, quantization: { group_size: 48, bits: 4 } }, /quantization\.group_size 48 is not supported/],
    [{ ...base, rope_scaling: { type: 'dynamic', factor: 4 } }, /rope_scaling\.rope_type 'dynamic' is not supported .*\(supported: default, linear, llama3, yarn; longrope for phi3\)$/],
    [{ ...base, quantization_config: { quant_method: 'gptq', bits: 4, group_size: 128 } }, /quantization_config\.quant_method 'gptq' is not supported/],
  ];
  for (const [cfg, re] of cases) {
    assert.throws(() => parseModelConfig(cfg, FILE), (e: unknown) => e instanceof UnsupportedModelError && re.test(e.message) && !e.message.includes('\n'));
  }
});

test('malformed fields name the field', () => {
  assert.throws(() => parseModelConfig({ ...base, hidden_size: '2048' }, FILE), (e: unknown) => e instanceof ModelFormatError && /field 'hidden_size'/.test(e.message));
  assert.throws(() => parseModelConfig({ ...base, model_type: undefined }, FILE), /field 'model_type' is missing/);
  assert.throws(() => parseModelConfig({ ...base, num_key_value_heads: 5 }, FILE), /num_key_value_heads/);
  assert.throws(() => parseModelConfig({ ...base, rope_scaling: { rope_type: 'llama3', factor: 8 } }, FILE), /rope_scaling\.low_freq_factor' is required/);
  assert.throws(() => parseModelConfig({ ...base, rope_scaling: { rope_type: 'yarn', factor: 32 } }, FILE), /rope_scaling\.original_max_position_embeddings' is required for yarn/);
});

test('yarn rope scaling: betas default to 32 / 1, the magnitude correction to 1 + 0.1 ln(factor) unless attention_factor is given', () => {
  const gptOss = { rope_type: 'yarn', factor: 32, beta_fast: 32, beta_slow: 1, original_max_position_embeddings: 4096, truncate: false };
  const c = parseModelConfig({ ...base, rope_scaling: gptOss }, FILE);
  assert.deepEqual(c.ropeScaling, { type: 'yarn', factor: 32, betaFast: 32, betaSlow: 1, originalMaxPositionEmbeddings: 4096, attentionFactor: 1 + 0.1 * Math.log(32) });
  const d = parseModelConfig({ ...base, rope_scaling: { type: 'yarn', factor: 4, original_max_position_embeddings: 32768, attention_factor: 0.8 } }, FILE);
  assert.deepEqual(d.ropeScaling, { type: 'yarn', factor: 4, betaFast: 32, betaSlow: 1, originalMaxPositionEmbeddings: 32768, attentionFactor: 0.8 });
  // mscale / mscale_all_dim (DeepSeek's spelling): the ratio of the two corrections; equal values cancel.
  const e = parseModelConfig({ ...base, rope_scaling: { type: 'yarn', factor: 40, original_max_position_embeddings: 4096, mscale: 1, mscale_all_dim: 1 } }, FILE);
  assert.equal(e.ropeScaling?.type === 'yarn' && e.ropeScaling.attentionFactor, 1);
});

test('generation_config: eos as number or list; do_sample false means greedy', () => {
  assert.deepEqual(parseGenerationConfig({ eos_token_id: [128001, 128008, 128009], temperature: 0.6, top_p: 0.9, do_sample: true }, 'g'), {
    eosTokenIds: [128001, 128008, 128009],
    temperature: 0.6,
    topP: 0.9,
  });
  assert.deepEqual(parseGenerationConfig({ eos_token_id: 151645, top_k: 20, repetition_penalty: 1.05 }, 'g'), {
    eosTokenIds: [151645],
    topK: 20,
    repetitionPenalty: 1.05,
  });
  assert.equal(parseGenerationConfig({ do_sample: false, temperature: 0.7 }, 'g').temperature, 0);
  assert.throws(() => parseGenerationConfig({ eos_token_id: 'x' }, 'g'), /field 'eos_token_id'/);
});

test('mistral3: the text model comes from text_config (untied unless it says so), quantization from the top level', () => {
  const text = { ...base, model_type: 'mistral', head_dim: 128, rope_theta: 1e9 };
  const c = parseModelConfig({ model_type: 'mistral3', text_config: text, vision_config: { model_type: 'pixtral' }, quantization: { group_size: 64, bits: 4 } }, FILE);
  assert.deepEqual([c.modelType, c.hiddenSize, c.headDim, c.ropeTheta, c.tieWordEmbeddings, c.hasVision], ['mistral3', 2048, 128, 1e9, false, true]);
  assert.equal(c.quantization?.global.bits, 4);
  assert.equal(parseModelConfig({ ...base, model_type: 'mistral' }, FILE).hasVision, false);
  assert.throws(
    () => parseModelConfig({ model_type: 'mistral3', text_config: { ...text, model_type: 'ministral3' } }, FILE),
    (e: unknown) => e instanceof UnsupportedModelError && /^\/m\/config\.json: text_config\.model_type 'ministral3' is not supported for mistral3 \(supported: mistral, llama\)$/.test(e.message),
  );
  assert.throws(() => parseModelConfig({ model_type: 'mistral3' }, FILE), (e: unknown) => e instanceof ModelFormatError && /field 'text_config' is missing/.test(e.message));
});

test('gemma3: a text_config as the 4B checkpoint ships it gets the text model defaults, tied, with linear RoPE scaling', () => {
  const text = { model_type: 'gemma3_text', hidden_size: 2560, intermediate_size: 10240, num_hidden_layers: 34, sliding_window: 1024, rope_scaling: { factor: 8, rope_type: 'linear' } };
  const c = parseModelConfig({ model_type: 'gemma3', text_config: text, vision_config: { model_type: 'siglip_vision_model' } }, FILE);
  assert.deepEqual(
    [c.modelType, c.numHeads, c.numKvHeads, c.headDim, c.vocabSize, c.rmsNormEps, c.ropeTheta, c.tieWordEmbeddings, c.hasVision],
    ['gemma3', 8, 4, 256, 262208, 1e-6, 1e6, true, true],
  );
  assert.deepEqual(c.ropeScaling, { type: 'linear', factor: 8 });
  assert.equal(c.raw.query_pre_attn_scalar, 256);
  // Fields the text_config does give win over the defaults.
  assert.equal(parseModelConfig({ model_type: 'gemma3', text_config: { ...text, num_attention_heads: 16 } }, FILE).numHeads, 16);
  assert.throws(() => parseModelConfig({ ...base, rope_scaling: { rope_type: 'linear' } }, FILE), /rope_scaling\.factor' is required for linear rope scaling/);
});
