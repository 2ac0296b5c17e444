// gpt-oss in the mlx-community layout: the plan gives even layers (or layer_types' sliding ones) the sliding window,
// every layer its sinks, o_proj bias and YaRN from rope_scaling, and a biased top-k-softmax router over clamped
// SwiGLU experts; the MXFP4 model keeps the experts in mxfp4 and every other Linear at 8-bit affine. Bad gpt-oss
// configs are one-line errors naming config.json and the field; the bench counts a token's topK experts, not all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAddon } from '../../src/engine/addon.js';
import { ModelFormatError } from '../../src/engine/errors.js';
import { readModelShape } from '../../src/engine/bench/measure.js';
import { buildModelSpec } from '../../src/engine/models/index.js';
import { attentionOf } from '../../src/engine/plan.js';
import { ensureTestModel } from '../helpers/test-models.js';

const MXFP4 = { arch: 'gpt_oss', dtype: 'bf16', bits: 4, quantMode: 'mxfp4' } as const;

test('gpt_oss mxfp4: sliding/full layers, sinks, biases, YaRN, the router and experts as released', async () => {
  const { dir } = await ensureTestModel(MXFP4);
  const built = buildModelSpec(dir, { threads: 1 });
  assert.equal(built.architecture, 'gpt_oss');
  const [sliding, full] = built.spec.layers.map(attentionOf);
  assert.equal(sliding.slidingWindow, 32);
  assert.equal(full.slidingWindow, undefined);
  for (const a of [sliding, full]) {
    assert.deepEqual([a.sinks, a.outputBias, a.qkvBias, a.qkNorm, a.numHeads, a.numKvHeads, a.headDim], [true, true, true, false, 4, 2, 32]);
    assert.deepEqual(a.rope, {
      kind: 'neox', theta: 150_000, rotaryDims: 32,
      scaling: { type: 'yarn', factor: 32, betaFast: 32, betaSlow: 1, originalMaxPositionEmbeddings: 4096, attentionFactor: 1 + 0.1 * Math.log(32) },
    });
  }
  for (const layer of built.spec.layers) {
    assert.deepEqual(layer.mlp, {
      kind: 'moe', activation: 'swiglu_oai', swiglu: { alpha: 1.702, limit: 7 }, numExperts: 8, topK: 2, expertIntermediateSize: 64,
      scoring: 'softmax_topk', routerBias: true, expertBias: true, normTopK: false,
    });
  }
  const t = built.spec.tensors;
  assert.equal(t['blk.0.attn_sinks']?.name, 'model.layers.0.self_attn.sinks');
  assert.equal(t['blk.1.attn_output.bias']?.name, 'model.layers.1.self_attn.o_proj.bias');
  assert.equal(t['blk.0.ffn_gate_inp.bias']?.name, 'model.layers.0.mlp.router.bias');
  assert.deepEqual(t['blk.1.ffn_down_exps.bias']?.shape, [8, 64]);
  assert.deepEqual(t['blk.1.ffn_up_exps.bias']?.shape, [8, 64]);
  const mode = (name: string) => `${t[name]?.quant?.mode}/${t[name]?.quant?.bits}`;
  assert.deepEqual(
    ['blk.0.ffn_gate_exps', 'blk.0.ffn_down_exps', 'blk.0.ffn_gate_inp', 'blk.0.attn_q', 'token_embd', 'output'].map(mode),
    ['mxfp4/4', 'mxfp4/4', 'affine/8', 'affine/8', 'affine/8', 'affine/8'],
  );
  assert.equal(t['blk.0.ffn_gate_exps']?.quant?.biases, undefined, 'mxfp4 has no per-group biases');
});

test('gpt_oss mxfp4: a routed expert stays at 4 bits in memory (about its file size, not an 8-bit copy)', async () => {
  const { dir } = await ensureTestModel(MXFP4);
  const { spec } = buildModelSpec(dir, { threads: 1 });
  const model = await loadAddon().loadModel(spec);
  try {
    const s = model.createSession(64);
    await s.evaluate(Int32Array.from({ length: 16 }, (_, i) => 200 + 31 * i), 1);
    s.dispose();
    const { packed, packedBytes } = model.lazyWeights();
    assert.ok(packed > 0);
    // gate, up and down hold the same number of elements per expert: one expert's file bytes per matrix.
    const e = spec.tensors['blk.0.ffn_gate_exps']!;
    const fileBytesPerSlot = (e.byteLength + e.quant!.scales.byteLength) / e.shape[0]!;
    // 4-bit codes plus a bfloat16 scale per 32 weights (the bias follows from it): 0.5625 bytes a weight against the
    // file's 0.53125 (an E8M0 byte per 32).
    const ratio = packedBytes / packed / fileBytesPerSlot;
    assert.ok(ratio > 1 && ratio < 1.1, `packed expert is ${ratio.toFixed(3)}x its file bytes`);
  } finally {
    model.dispose();
  }
});

test('gpt_oss bench shape: every layer a mixture of experts (a token runs its topK experts of intermediate_size)', async () => {
  const { dir } = await ensureTestModel(MXFP4);
  assert.deepEqual(readModelShape(dir).moe, { numExperts: 8, topK: 2, expertIntermediateSize: 64, sharedIntermediateSize: 0, moeLayers: 2 });
});

test('gpt_oss: layer_types decides which layers slide; bad gpt-oss configs name config.json and the field', async () => {
  const { dir } = await ensureTestModel(MXFP4);
  const root = mkdtempSync(join(tmpdir(), 'vmlx-gpt-oss-'));
  let n = 0;
  // The weights are linked, config.json is rewritten with the patch (undefined removes a field).
  const edited = (patch: Record<string, unknown>) => {
    const d = join(root, `m${n++}`);
    mkdirSync(d);
    for (const f of readdirSync(dir)) if (f !== 'config.json') symlinkSync(join(dir, f), join(d, f));
    writeFileSync(join(d, 'config.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), ...patch }));
    return d;
  };
  try {
    const swapped = buildModelSpec(edited({ layer_types: ['full_attention', 'sliding_attention'], sliding_window: 16 }), { threads: 1 });
    assert.deepEqual(swapped.spec.layers.map((l) => attentionOf(l).slidingWindow), [undefined, 16]);
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ layer_types: ['sliding_attention'] }, /config\.json: field 'layer_types' has 1 entries, expected num_hidden_layers \(2\)$/],
      [{ num_experts_per_tok: undefined, experts_per_token: undefined }, /config\.json: field 'num_experts_per_tok' \(or 'experts_per_token'\) is missing$/],
      [{ num_experts_per_tok: 9 }, /config\.json: field 'num_experts_per_tok' \(9\) must be <= num_local_experts \(8\)$/],
      [{ sliding_window: undefined }, /config\.json: .*sliding_window/],
      [{ rope_scaling: { rope_type: 'yarn', factor: 32 } }, /config\.json: field 'rope_scaling\.original_max_position_embeddings' is required for yarn rope scaling$/],
    ];
    for (const [patch, re] of bad) {
      assert.throws(
        () => buildModelSpec(edited(patch), { threads: 1 }),
        (e: unknown) => e instanceof ModelFormatError && re.test(e.message) && !e.message.includes('\n'),
        JSON.stringify(patch),
      );
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
