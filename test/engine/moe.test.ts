// Mixture of experts (qwen3_moe in the mlx-community layout): the plan names the router and the stacked experts
// with their own quantization, the addon keeps the experts in the mapped file until a token is routed to them (and
// counts only the topK experts in the bytes a token reads), and bad MoE configs are one-line errors naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAddon } from '../../src/engine/addon.js';
import { ModelFormatError } from '../../src/engine/errors.js';
import { buildModelSpec, specWeightBytes } from '../../src/engine/models/index.js';
import { ensureTestModel } from '../helpers/test-models.js';

const LAYERS = 2;
const EXPERTS = 8;
const TOP_K = 2;

test('qwen3_moe 4-bit: every layer plans a mixture of experts; routers at 8 bits, stacked 4-bit experts', async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3_moe', dtype: 'bf16', bits: 4 });
  const built = buildModelSpec(dir, { threads: 1 });
  assert.equal(built.architecture, 'qwen3_moe');
  for (const layer of built.spec.layers) {
    assert.deepEqual(layer.mlp, {
      kind: 'moe', activation: 'silu', numExperts: EXPERTS, topK: TOP_K, expertIntermediateSize: 64, scoring: 'softmax', normTopK: true,
    });
  }
  const t = built.spec.tensors;
  assert.equal(t['blk.1.ffn_gate_inp']?.name, 'model.layers.1.mlp.gate.weight');
  assert.deepEqual([t['blk.1.ffn_gate_inp']?.quant?.bits, t['blk.1.ffn_gate_exps']?.quant?.bits, t['output']?.quant?.bits], [8, 4, 8]);
  assert.deepEqual(t['blk.0.ffn_gate_exps']?.shape, [EXPERTS, 64, 8]);
  assert.deepEqual(t['blk.0.ffn_down_exps']?.quant?.scales.shape, [EXPERTS, 64, 1]);
  assert.equal(t['blk.0.ffn_up_exps']?.name, 'model.layers.0.mlp.switch_mlp.up_proj.weight');
  assert.equal(t['blk.0.ffn_gate'], undefined, 'no dense MLP');
});

test('experts stay in the mapped file until a token is routed to them; a token reads only its topK experts', async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3_moe', dtype: 'bf16', bits: 4 });
  const { spec } = buildModelSpec(dir, { threads: 1 });
  const model = await loadAddon().loadModel(spec);
  try {
    const slots = LAYERS * 3 * EXPERTS;
    assert.deepEqual(model.lazyWeights(), { slots, packed: 0, packedBytes: 0 });
    const s = model.createSession(64);
    await s.evaluate(Int32Array.from([9707]), 1);
    const one = model.lazyWeights();
    // One token: its topK experts in each layer, three matrices each.
    assert.equal(one.packed, LAYERS * 3 * TOP_K);
    assert.ok(one.packedBytes > 0);
    await s.evaluate(Int32Array.from({ length: 48 }, (_, i) => 1000 + 97 * i), 1);
    const many = model.lazyWeights();
    assert.ok(many.packed > one.packed && many.packed <= slots, `packed ${many.packed} of ${slots}`);
    s.dispose();
    // The experts of every layer are 8 * 3 * 64 * 64 4-bit weights; a token reads 2 of the 8.
    const expertFileBytes = (name: string) => {
      const e = spec.tensors[name]!;
      return e.byteLength + (e.quant?.scales.byteLength ?? 0) + (e.quant?.biases?.byteLength ?? 0);
    };
    let allExperts = 0;
    for (let i = 0; i < LAYERS; i++) for (const m of ['gate', 'up', 'down']) allExperts += expertFileBytes(`blk.${i}.ffn_${m}_exps`);
    const perToken = model.weightBytes();
    assert.ok(perToken < specWeightBytes(spec) - allExperts * (1 - TOP_K / EXPERTS) * 0.9, `weightBytes ${perToken} counts every expert`);
  } finally {
    model.dispose();
  }
});

test('bad MoE configs and expert tensors are one-line errors naming config.json or the tensor', async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3_moe', dtype: 'bf16', bits: 4 });
  const root = mkdtempSync(join(tmpdir(), 'vmlx-moe-'));
  try {
    const edited = (patch: Record<string, unknown>) => {
      const d = join(root, `m${Math.random().toString(36).slice(2)}`);
      cpSync(dir, d, { recursive: true });
      const file = join(d, 'config.json');
      writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), ...patch }));
      return d;
    };
    assert.throws(
      () => buildModelSpec(edited({ num_experts_per_tok: 9 })),
      (e: unknown) => e instanceof ModelFormatError && /config\.json: .*num_experts_per_tok.*must be <= num_experts/.test(e.message) && !e.message.includes('\n'),
    );
    assert.throws(
      () => buildModelSpec(edited({ moe_intermediate_size: 32 })),
      (e: unknown) =>
        e instanceof ModelFormatError && /tensor 'model\.layers\.0\.mlp\.switch_mlp\.gate_proj\.weight' has shape \[8, 64, 8\], expected \[8, 32, packed columns\]/.test(e.message),
    );
    assert.throws(
      () => buildModelSpec(edited({ num_experts: undefined })),
      (e: unknown) => e instanceof ModelFormatError && /config\.json: .*num_experts/.test(e.message),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
