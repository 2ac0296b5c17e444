// The qwen3_next plan: the fused per-key-head DeltaNet in-projections, gated attention every fourth layer, the
// mixture of experts placed by decoder_sparse_step / mlp_only_layers, the top-level text model; and config errors
// named by file and field, through the plan and through the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModelSpec } from '../../src/engine/models/index.js';
import { MissingTensorError, ModelFormatError } from '../../src/engine/errors.js';
import { ensureTestModel } from '../helpers/test-models.js';
import { textConfigPatch } from '../helpers/text-config-patch.js';
import { runVmlx } from '../helpers/vmlx-cli.js';

test('qwen3_next tiny 4-bit in the mlx-community layout: fused in-projections, MoE everywhere, 8-bit routers', async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3_next', dtype: 'bf16', bits: 4 });
  const { spec, architecture, notes } = buildModelSpec(dir, { threads: 1 });
  assert.equal(architecture, 'qwen3_next');
  assert.deepEqual(notes, []);
  assert.deepEqual(spec.layers.map((l) => l.mixer.kind), ['gated_deltanet', 'gated_deltanet', 'gated_deltanet', 'attention']);
  assert.deepEqual(spec.layers[0]!.mixer, { kind: 'gated_deltanet', numKHeads: 2, numVHeads: 4, headKDim: 32, headVDim: 32, convKernel: 4 });
  const attn = spec.layers[3]!.mixer;
  assert.ok(attn.kind === 'attention' && attn.outputGate && attn.qkNorm);
  assert.deepEqual(attn.rope, { kind: 'neox', theta: 10_000_000, rotaryDims: 16 });
  for (const layer of spec.layers) {
    assert.deepEqual(layer.mlp, {
      kind: 'moe', activation: 'silu', numExperts: 8, topK: 2, expertIntermediateSize: 64, scoring: 'softmax',
      normTopK: true, sharedExpert: { intermediateSize: 64, gated: true },
    });
  }
  const t = spec.tensors;
  // q, k, v and z of 2 key heads (2·32 + 2·32 + 2·128 rows); b and a of 4 value heads.
  assert.equal(t['blk.0.ssm_in_qkvz']?.name, 'model.layers.0.linear_attn.in_proj_qkvz.weight');
  assert.equal(t['blk.0.ssm_in_qkvz']?.shape[0], 384);
  assert.equal(t['blk.0.ssm_in_ba']?.shape[0], 8);
  assert.ok(!('blk.0.ssm_in_qkv' in t) && !('blk.0.ssm_in_z' in t));
  assert.deepEqual([t['blk.0.ffn_gate_inp']?.quant?.bits, t['blk.0.ffn_gate_inp_shexp']?.quant?.bits, t['output']?.quant?.bits, t['blk.0.ssm_in_qkvz']?.quant?.bits], [8, 8, 8, 4]);
});

test('qwen3_next: decoder_sparse_step and mlp_only_layers place the dense MLPs (mlx-lm rule); norm_topk_prob defaults to false', async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3_next', dtype: 'bf16', bits: 4 });
  const { withText, dispose } = textConfigPatch(dir, 'qwen3-next');
  try {
    // The file has experts in every layer: a layer planned dense asks for mlp.gate_proj, which it does not hold.
    const missing = (layer: number) => (e: unknown) => e instanceof MissingTensorError && e.message.includes(`model.layers.${layer}.mlp.gate_proj.weight`);
    assert.throws(withText({ decoder_sparse_step: 2 }), missing(0));
    assert.throws(withText({ mlp_only_layers: [2] }), missing(2));
    const { spec } = withText({ norm_topk_prob: undefined })();
    assert.ok(spec.layers.every((l) => l.mlp.kind === 'moe' && !l.mlp.normTopK));
  } finally {
    dispose();
  }
});

test('qwen3_next config errors name config.json and the field (plan and CLI)', async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3_next', dtype: 'bf16', bits: 4 });
  const { withText, fileRe: file, dir: copy, dispose } = textConfigPatch(dir, 'qwen3-next');
  try {
    const formatError = (re: string) => (e: unknown) => e instanceof ModelFormatError && new RegExp(`^${file}: ${re}$`).test(e.message);
    assert.throws(withText({ linear_num_key_heads: 3 }), formatError(`field 'linear_num_key_heads' \\(3\\) must divide linear_num_value_heads \\(4\\)`));
    assert.throws(withText({ mlp_only_layers: [7] }), formatError(`field 'mlp_only_layers' names layer 7, but the model has 4 \\(num_hidden_layers\\)`));
    assert.throws(withText({ num_experts: undefined }), (e: unknown) => e instanceof ModelFormatError && new RegExp(`^${file}: .*num_experts`).test(e.message));
    assert.throws(withText({ partial_rotary_factor: 0.01 }), formatError(`field 'partial_rotary_factor' \\(0.01\\) leaves no rotary dims of head_dim 64`));
    withText({ decoder_sparse_step: 0 });
    const cli = await runVmlx(['generate', '--model', copy, '--max-tokens', '1', 'Hi'], { deadlineMs: 60_000 });
    assert.notEqual(cli.code, 0);
    assert.match(cli.stderr.trim(), new RegExp(`^vmlx: ${file}: .*decoder_sparse_step.*$`));
    assert.doesNotMatch(cli.stderr, /\n\s+at /, 'no stack trace');
  } finally {
    dispose();
  }
});
