// The qwen3_5 / qwen3_5_moe plans: which layers are Gated DeltaNet and which gated attention, the partial rotary,
// the language_model. prefix, the MoE MLP with its shared expert, and config errors named by field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModelSpec } from '../../src/engine/models/index.js';
import { linearLayers } from '../../src/engine/models/qwen3_5.js';
import { ModelFormatError } from '../../src/engine/errors.js';
import { ensureTestModel } from '../helpers/test-models.js';
import { textConfigPatch } from '../helpers/text-config-patch.js';

test('qwen3_5 tiny 4-bit: three DeltaNet layers then gated attention, partial rotary, language_model. tensors', async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3_5', dtype: 'bf16', bits: 4 });
  const built = buildModelSpec(dir, { threads: 1 });
  assert.equal(built.architecture, 'qwen3_5');
  assert.deepEqual(built.spec.layers.map((l) => l.mixer.kind), ['gated_deltanet', 'gated_deltanet', 'gated_deltanet', 'attention']);
  assert.deepEqual(built.spec.layers[0]!.mixer, { kind: 'gated_deltanet', numKHeads: 2, numVHeads: 4, headKDim: 32, headVDim: 32, convKernel: 4 });
  const attn = built.spec.layers[3]!.mixer;
  assert.ok(attn.kind === 'attention' && attn.outputGate && attn.qkNorm);
  assert.deepEqual(attn.rope, { kind: 'neox', theta: 10_000_000, rotaryDims: 16 });
  const t = built.spec.tensors;
  assert.equal(t['blk.0.ssm_conv1d']?.name, 'language_model.model.layers.0.linear_attn.conv1d.weight');
  assert.deepEqual(t['blk.0.ssm_conv1d']?.shape, [256, 4, 1]);
  assert.deepEqual([t['blk.0.ssm_in_qkv']?.quant?.bits, t['blk.0.ffn_down']?.quant?.bits, t['blk.3.attn_q']?.quant?.bits], [4, 8, 4]);
  assert.equal(t['blk.3.attn_q']?.shape[0], 2 * 4 * 64, 'q_proj rows hold query and gate');
  assert.deepEqual(built.notes, ['qwen3_5: the vision tower is not loaded; images are not supported (text only)']);
});

test('qwen3_5_moe tiny: every MLP is a MoE with a gated shared expert; routers and shared gates at 8 bits', async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3_5_moe', dtype: 'bf16', bits: 4 });
  const built = buildModelSpec(dir, { threads: 1 });
  for (const layer of built.spec.layers) {
    assert.deepEqual(layer.mlp, {
      kind: 'moe', activation: 'silu', numExperts: 8, topK: 2, expertIntermediateSize: 64, scoring: 'softmax',
      normTopK: true, sharedExpert: { intermediateSize: 64, gated: true },
    });
  }
  const t = built.spec.tensors;
  assert.deepEqual([t['blk.1.ffn_gate_inp']?.quant?.bits, t['blk.1.ffn_gate_inp_shexp']?.quant?.bits, t['blk.1.ffn_up_shexp']?.quant?.bits], [8, 8, 4]);
});

test('qwen3_5: a conv kernel wider than the engine takes (16) is named in the config error', async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3_5', dtype: 'bf16', bits: 4 });
  const { withText, fileRe, dispose } = textConfigPatch(dir, 'qwen3_5');
  try {
    assert.throws(withText({ linear_conv_kernel_dim: 17 }), (e: unknown) => {
      assert.ok(e instanceof ModelFormatError, String(e));
      assert.match(e.message, new RegExp(`^${fileRe}: field 'linear_conv_kernel_dim': .*<=16$`));
      return true;
    });
  } finally {
    dispose();
  }
});

test('qwen3_5 layer kinds: layer_types, else every full_attention_interval-th layer; a wrong-length list is named', () => {
  const base = { linear_num_key_heads: 1, linear_num_value_heads: 1, linear_key_head_dim: 8, linear_value_head_dim: 8, linear_conv_kernel_dim: 4 };
  assert.deepEqual(linearLayers(base, 4, 'c.json'), [true, true, true, false]);
  assert.deepEqual(linearLayers({ ...base, full_attention_interval: 2 }, 4, 'c.json'), [true, false, true, false]);
  assert.deepEqual(linearLayers({ ...base, layer_types: ['full_attention', 'linear_attention'] }, 2, 'c.json'), [false, true]);
  assert.throws(
    () => linearLayers({ ...base, layer_types: ['full_attention'] }, 2, '/m/config.json'),
    (e: unknown) => e instanceof ModelFormatError && /^\/m\/config\.json: field 'layer_types' has 1 entries, expected num_hidden_layers \(2\)$/.test(e.message),
  );
});
