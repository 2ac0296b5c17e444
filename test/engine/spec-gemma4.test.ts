// The gemma4 plan: per-type head dims and KV heads, k = v on full layers, shared KV layers and their double-wide MLPs,
// proportional RoPE, per-layer inputs, the final soft-cap, the unread towers; and config errors named by field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModelSpec } from '../../src/engine/models/index.js';
import { gemma4KvSources } from '../../src/engine/models/gemma4.js';
import { attentionOf } from '../../src/engine/plan.js';
import { ModelFormatError, UnsupportedModelError } from '../../src/engine/errors.js';
import { ensureTestModel } from '../helpers/test-models.js';
import { textConfigPatch } from '../helpers/text-config-patch.js';

test('gemma4 tiny 4-bit in the mlx-community layout: sliding and full layers, shared KV, per-layer inputs', async () => {
  const { dir } = await ensureTestModel({ arch: 'gemma4', dtype: 'bf16', bits: 4 });
  const { spec, architecture, notes } = buildModelSpec(dir, { threads: 1 });
  assert.equal(architecture, 'gemma4');
  assert.deepEqual([spec.arch, spec.embedScale, spec.normOffset, spec.finalSoftcap, spec.perLayerInputSize], ['gemma4', 8, undefined, 15, 16]);
  assert.deepEqual(notes, ['gemma4: the vision and audio towers are not loaded; images and audio are not supported (text only)']);
  const a = spec.layers.map((l) => attentionOf(l));
  assert.deepEqual(a.map((m) => [m.headDim, m.numKvHeads, m.slidingWindow]), [
    [32, 2, 32], [64, 1, undefined], [32, 2, 32], [64, 1, undefined], [32, 2, 32], [64, 1, undefined],
  ]);
  assert.deepEqual(a.map((m) => m.kvSource), [undefined, undefined, undefined, undefined, 2, 3]);
  assert.deepEqual(a.map((m) => m.valueFromKey ?? false), [false, true, false, true, false, false]);
  assert.ok(a.every((m) => m.queryScale === 1 && m.valueNorm && m.qkNorm));
  assert.deepEqual(a[0]!.rope, { kind: 'neox', theta: 10_000, rotaryDims: 32 });
  assert.deepEqual(a[1]!.rope, { kind: 'neox', theta: 1_000_000, rotaryDims: 64, scaling: { type: 'proportional', rotatedPairs: 8 } });
  assert.deepEqual(spec.layers.map((l) => l.mlp.kind === 'gated' && l.mlp.intermediateSize), [128, 128, 128, 128, 256, 256]);
  const t = spec.tensors;
  // Shared layers plan no k/v (their unused projections stay in the file); full layers plan no v.
  assert.deepEqual(['blk.4.attn_k', 'blk.4.attn_v', 'blk.4.attn_k_norm', 'blk.1.attn_v'].filter((n) => n in t), []);
  assert.equal(t['per_layer_token_embd']?.name, 'language_model.model.embed_tokens_per_layer.weight');
  assert.equal(t['blk.5.layer_output_scale']?.name, 'language_model.model.layers.5.layer_scalar');
  assert.equal(t['blk.0.inp_gate']?.name, 'language_model.model.layers.0.per_layer_input_gate.weight');
  assert.ok(!Object.values(t).some((x) => /^(vision_tower|audio_tower|embed_vision|embed_audio)/.test(x.name)));
  assert.deepEqual(gemma4KvSources(['sliding_attention', 'full_attention', 'sliding_attention', 'sliding_attention'], 1), [-1, -1, -1, 2]);
});

test('gemma4 config errors name config.json and the field', async () => {
  const { dir } = await ensureTestModel({ arch: 'gemma4', dtype: 'bf16', bits: 4 });
  const { withText, fileRe: file, dispose } = textConfigPatch(dir, 'gemma4');
  try {
    assert.throws(withText({ enable_moe_block: true }), (e: unknown) =>
      e instanceof ModelFormatError && new RegExp(`^${file}: field 'num_experts' is required with enable_moe_block$`).test(e.message));
    assert.throws(withText({ num_kv_shared_layers: 5 }), (e: unknown) =>
      e instanceof ModelFormatError && new RegExp(`^${file}: field 'num_kv_shared_layers' \\(5\\): layer 1 \\(full_attention\\) has no earlier layer`).test(e.message));
    const rope = { full_attention: { rope_type: 'yarn' }, sliding_attention: {} };
    assert.throws(withText({ rope_parameters: rope }), (e: unknown) =>
      e instanceof UnsupportedModelError && /rope_parameters\.full_attention\.rope_type 'yarn' is not supported for gemma4/.test(e.message));
    assert.throws(withText({ layer_types: ['full_attention'] }), (e: unknown) =>
      e instanceof ModelFormatError && /field 'layer_types' has 1 entries, expected num_hidden_layers \(6\)/.test(e.message));
  } finally {
    dispose();
  }
});
