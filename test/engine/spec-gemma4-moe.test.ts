// The gemma4 plan of the mixture-of-experts variant (26B-A4B's layout): experts beside every layer's dense MLP, the
// router's 8-bit override, its input scale and per-expert scales; config errors named by field; and the plan rule
// that only the gemma4 composition runs experts beside a dense MLP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModelSpec } from '../../src/engine/models/index.js';
import { modelPlanSchema } from '../../src/engine/plan.js';
import { ModelFormatError } from '../../src/engine/errors.js';
import { ensureTestModel } from '../helpers/test-models.js';
import { textConfigPatch } from '../helpers/text-config-patch.js';

test('gemma4 MoE tiny 4-bit: experts beside the dense MLP in every layer, the router at 8 bits', async () => {
  const { dir } = await ensureTestModel({ arch: 'gemma4', shape: 'gemma4-moe-tiny', dtype: 'bf16', bits: 4 });
  const { spec } = buildModelSpec(dir, { threads: 1 });
  assert.equal(spec.perLayerInputSize, undefined);
  assert.equal(spec.layers.length, 6);
  for (const layer of spec.layers) {
    assert.deepEqual(layer.mlp, { kind: 'gated', activation: 'gelu_tanh', intermediateSize: 128 });
    assert.deepEqual(layer.moe, {
      kind: 'moe', activation: 'gelu_tanh', numExperts: 8, topK: 2, expertIntermediateSize: 64, scoring: 'softmax', normTopK: true,
      routerNorm: true, expertScale: true,
    });
  }
  const t = spec.tensors;
  const p = 'language_model.model.layers.3';
  assert.equal(t['blk.3.ffn_gate_inp']?.name, `${p}.router.proj.weight`);
  assert.deepEqual([t['blk.3.ffn_gate_inp']?.quant?.bits, t['blk.3.ffn_gate_inp']?.quant?.groupSize], [8, 64]);
  assert.equal(t['blk.3.ffn_gate_inp.scale']?.name, `${p}.router.scale`);
  assert.equal(t['blk.3.ffn_down_exps.scale']?.name, `${p}.router.per_expert_scale`);
  assert.deepEqual(t['blk.3.ffn_up_exps']?.shape, [8, 64, 8]);
  assert.equal(t['blk.3.ffn_up_exps']?.quant?.bits, 4);
  assert.deepEqual(['pre_ffw_norm_2', 'post_ffw_norm_1', 'post_ffw_norm_2', 'ffn_norm', 'post_ffw_norm'].map((n) => t[`blk.3.${n}`]?.name), [
    `${p}.pre_feedforward_layernorm_2.weight`, `${p}.post_feedforward_layernorm_1.weight`, `${p}.post_feedforward_layernorm_2.weight`,
    `${p}.pre_feedforward_layernorm.weight`, `${p}.post_feedforward_layernorm.weight`,
  ]);
  assert.ok(!Object.keys(t).some((n) => n.startsWith('per_layer') || n.endsWith('inp_gate')));
});

test('gemma4 MoE config errors name config.json and the field', async () => {
  const { dir } = await ensureTestModel({ arch: 'gemma4', shape: 'gemma4-moe-tiny', dtype: 'bf16', bits: 4 });
  const { withText, fileRe: file, dispose } = textConfigPatch(dir, 'gemma4-moe');
  try {
    const fails = (patch: Record<string, unknown>, message: string) =>
      assert.throws(withText(patch), (e: unknown) => e instanceof ModelFormatError && new RegExp(`^${file}: ${message}$`).test(e.message));
    fails({ top_k_experts: null }, `field 'top_k_experts' is required with enable_moe_block`);
    fails({ moe_intermediate_size: null }, `field 'moe_intermediate_size' is required with enable_moe_block`);
    fails({ top_k_experts: 9 }, `field 'top_k_experts' \\(9\\) must be <= num_experts \\(8\\)`);
    fails({ expert_intermediate_size: 32 }, `field 'expert_intermediate_size' \\(32\\) disagrees with moe_intermediate_size \\(64\\)`);
    fails({ enable_moe_block: false }, `field 'enable_moe_block' is not true, but the weights hold experts \\(language_model\\.model\\.layers\\.0\\.router\\.proj\\)`);
    // llama.cpp's converter also reads the expert width as expert_intermediate_size.
    const { spec } = withText({ moe_intermediate_size: null, expert_intermediate_size: 64 })();
    assert.equal(spec.layers[0]!.moe?.expertIntermediateSize, 64);
  } finally {
    dispose();
  }
});

test('the plan refuses experts beside a dense MLP outside the gemma4 composition', async () => {
  const { dir } = await ensureTestModel({ arch: 'gemma4', shape: 'gemma4-moe-tiny', dtype: 'bf16', bits: 4 });
  const { spec } = buildModelSpec(dir, { threads: 1 });
  assert.ok(modelPlanSchema.safeParse(spec).success);
  const r = modelPlanSchema.safeParse({ ...spec, arch: 'gemma' });
  assert.ok(!r.success && r.error.issues.some((i) => /layers\[\]\.moe .* needs arch 'gemma4'/.test(i.message)));
});
