import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gemma3SlidingLayers } from '../../src/engine/models/gemma3.js';
import { buildModelSpec, specWeightBytes } from '../../src/engine/models/index.js';
import { attentionOf } from '../../src/engine/plan.js';
import { MissingTensorError, ModelFileMissingError, ModelFormatError, UnsupportedModelError } from '../../src/engine/errors.js';
import { ensureTestModel } from '../helpers/test-models.js';
import { configFor, modelTensors, safetensorsBytes, tempDir, TINY, writeModelDir, type ModelTensorOptions } from './helpers/tiny-dirs.js';

function inDir<T>(fn: (dir: string) => T): T {
  const t = tempDir();
  try {
    return fn(t.dir);
  } finally {
    t.cleanup();
  }
}

function build(o: ModelTensorOptions, configExtra: Record<string, unknown> = {}) {
  return inDir((dir) => {
    writeModelDir(dir, o, configExtra);
    return buildModelSpec(dir, { threads: 2 });
  });
}

test('qwen3 4-bit tied: every weight quantized with bits/group from config, q/k norms, no output tensor', () => {
  const { spec, architecture } = build({ arch: 'qwen3', quant: { bits: 4, groupSize: 32 } });
  assert.equal(spec.arch, 'decoder');
  assert.equal(architecture, 'qwen3');
  assert.equal(spec.threads, 2);
  assert.equal(spec.tensors['output'], undefined);
  assert.equal(spec.layers.length, TINY.layers);
  const m = attentionOf(spec.layers[1]!);
  assert.deepEqual([m.headDim, m.qkNorm, m.qkvBias], [16, true, false]);
  assert.deepEqual(m.rope, { kind: 'neox', theta: 1_000_000, rotaryDims: 16 });
  const q = spec.tensors['blk.1.attn_q']!;
  assert.deepEqual([q.quant?.mode, q.quant?.bits, q.quant?.groupSize], ['affine', 4, 32]);
  assert.deepEqual(q.shape, [64, 8]);
  assert.equal(q.name, 'model.layers.1.self_attn.q_proj.weight');
  assert.equal(q.quant?.scales.name, 'model.layers.1.self_attn.q_proj.scales');
  assert.equal(q.quant?.biases?.name, 'model.layers.1.self_attn.q_proj.biases');
  assert.deepEqual(spec.layers[1]!.mlp, { kind: 'gated', activation: 'silu', intermediateSize: 128 });
  assert.equal(spec.tensors['blk.1.attn_q_norm']?.name, 'model.layers.1.self_attn.q_norm.weight');
  assert.equal(spec.tensors['blk.1.attn_q.bias'], undefined);
  const embed = spec.tensors['token_embd']!;
  assert.deepEqual([embed.quant?.bits, embed.shape], [4, [256, 8]]);
  assert.ok(embed.file.endsWith('model.safetensors'));
  assert.ok(specWeightBytes(spec) > 0);
});

test('qwen2 8-bit: the Linear .bias and the quantization .biases are kept apart', () => {
  const { spec } = build({ arch: 'qwen2', quant: { bits: 8, groupSize: 64 } });
  assert.equal(attentionOf(spec.layers[0]!).qkvBias, true);
  assert.equal(spec.tensors['blk.0.attn_q.bias']?.name, 'model.layers.0.self_attn.q_proj.bias');
  assert.deepEqual(spec.tensors['blk.0.attn_k.bias']?.shape, [TINY.kvHeads * TINY.headDim]);
  const q = spec.tensors['blk.0.attn_q']!;
  assert.equal(q.quant?.biases?.name, 'model.layers.0.self_attn.q_proj.biases');
  assert.deepEqual(q.quant?.biases?.shape, [64, 1]);
  assert.equal(q.quant?.bits, 8);
  assert.equal(spec.tensors['blk.0.attn_q_norm'], undefined);
});

test('llama float untied with llama3 rope scaling; lm_head used', () => {
  const { spec } = build(
    { arch: 'llama', lmHead: true },
    { rope_scaling: { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } },
  );
  assert.equal(spec.tensors['output']?.name, 'lm_head.weight');
  assert.equal(spec.tensors['output']?.quant, undefined);
  assert.equal(spec.tensors['token_embd']?.dtype, 'BF16');
  const rope = attentionOf(spec.layers[0]!).rope;
  assert.equal(rope.kind === 'neox' && rope.scaling?.type, 'llama3');
  assert.equal(attentionOf(spec.layers[0]!).qkNorm, false);
});

test('tied decided by tensors when config is silent; tie_word_embeddings true ignores a stray lm_head', () => {
  const silent = build({ arch: 'llama', lmHead: true }, { tie_word_embeddings: undefined });
  assert.equal(silent.spec.tensors['output']?.name, 'lm_head.weight');
  const tied = build({ arch: 'llama', lmHead: true }, { tie_word_embeddings: true });
  assert.equal(tied.spec.tensors['output'], undefined);
  assert.throws(() => build({ arch: 'llama' }, { tie_word_embeddings: false }), (e: unknown) => e instanceof MissingTensorError && /'lm_head\.weight' is missing/.test(e.message));
});

test('per-module overrides: an 8-bit lm_head and a float down_proj inside a 4-bit model', () => {
  const o: ModelTensorOptions = {
    arch: 'qwen3',
    quant: { bits: 4, groupSize: 64 },
    lmHead: true,
    perModule: { lm_head: { bits: 8, groupSize: 32 }, 'model.layers.0.mlp.down_proj': null },
  };
  const { spec } = build(o, {
    quantization: { group_size: 64, bits: 4, mode: 'affine', lm_head: { group_size: 32, bits: 8, mode: 'affine' }, 'model.layers.0.mlp.down_proj': false },
  });
  assert.deepEqual([spec.tensors['output']?.quant?.bits, spec.tensors['output']?.quant?.groupSize], [8, 32]);
  assert.equal(spec.tensors['blk.0.ffn_down']?.quant, undefined);
  assert.equal(spec.tensors['blk.0.ffn_down']?.dtype, 'BF16');
  assert.equal(spec.tensors['blk.1.ffn_down']?.quant?.bits, 4);
});

test('bits and group size are inferred from shapes when config.json has no quantization block', () => {
  const { spec } = build({ arch: 'qwen3', quant: { bits: 8, groupSize: 32 } }, { quantization: undefined });
  assert.deepEqual([spec.tensors['blk.0.attn_output']?.quant?.bits, spec.tensors['blk.0.attn_output']?.quant?.groupSize], [8, 32]);
});

test('3-, 5- and 6-bit affine models resolve, from config.json or from shapes alone', () => {
  for (const bits of [3, 5, 6]) {
    const { spec } = build({ arch: 'llama', quant: { bits, groupSize: 64 } });
    assert.deepEqual(spec.tensors['blk.0.attn_q']?.shape, [64, (64 * bits) / 32]);
    assert.equal(spec.tensors['blk.0.attn_q']?.quant?.bits, bits);
    const inferred = build({ arch: 'llama', quant: { bits, groupSize: 32 } }, { quantization: undefined });
    assert.deepEqual([inferred.spec.tensors['blk.1.ffn_up']?.quant?.bits, inferred.spec.tensors['blk.1.ffn_up']?.quant?.groupSize], [bits, 32]);
  }
});

test('an unsupported bit width or quantization mode is refused naming config.json and what is supported', () => {
  assert.throws(
    () => build({ arch: 'qwen3', quant: { bits: 4, groupSize: 64 } }, { quantization: { group_size: 64, bits: 7, mode: 'affine' } }),
    (e: unknown) => e instanceof UnsupportedModelError && /config\.json: quantization\.bits 7 is not supported for mode affine \(supported: 2, 3, 4, 5, 6, 8\)$/.test(e.message),
  );
  assert.throws(
    () => build({ arch: 'qwen3', quant: { bits: 4, groupSize: 64 } }, { quantization: { group_size: 16, bits: 4, mode: 'nvfp4' } }),
    (e: unknown) => e instanceof UnsupportedModelError && /config\.json: quantization\.mode 'nvfp4' is not supported \(supported: affine, mxfp4\)$/.test(e.message),
  );
  // no quantization block: the width inferred from the shapes is checked too (7 bits: 64*7/32 = 14 packed columns)
  assert.throws(
    () =>
      inDir((dir) => {
        const tensors = modelTensors({ arch: 'llama', quant: { bits: 7, groupSize: 64 } });
        writeFileSync(join(dir, 'config.json'), JSON.stringify(configFor({ arch: 'llama' })));
        writeFileSync(join(dir, 'model.safetensors'), safetensorsBytes(tensors));
        return buildModelSpec(dir);
      }),
    /quantization\.bits 7 is not supported for mode affine/,
  );
});

test('shapes that disagree with config.json, missing tensors and float64 weights are clear errors', () => {
  // config says 4-bit, tensors are 8-bit
  assert.throws(
    () => build({ arch: 'qwen3', quant: { bits: 8, groupSize: 64 } }, { quantization: { group_size: 64, bits: 4 } }),
    (e: unknown) => e instanceof ModelFormatError && /shapes imply bits 8 and group_size 64, but quantization says bits 4/.test(e.message),
  );
  // config says hidden 32 but tensors are 64 wide
  assert.throws(() => build({ arch: 'llama' }, { hidden_size: 32, head_dim: 16 }), /has shape \[256, 64\], expected \[256, 32\] from config\.json/);
  assert.throws(
    () =>
      inDir((dir) => {
        const tensors = modelTensors({ arch: 'qwen3' }).filter((t) => t.name !== 'model.layers.1.self_attn.k_norm.weight');
        writeFileSync(join(dir, 'config.json'), JSON.stringify(configFor({ arch: 'qwen3' })));
        writeFileSync(join(dir, 'model.safetensors'), safetensorsBytes(tensors));
        return buildModelSpec(dir);
      }),
    (e: unknown) => e instanceof MissingTensorError && /model\.safetensors: tensor 'model\.layers\.1\.self_attn\.k_norm\.weight' is missing/.test(e.message),
  );
  assert.throws(
    () =>
      inDir((dir) => {
        const tensors = modelTensors({ arch: 'llama' }).map((t) => (t.name === 'model.norm.weight' ? { ...t, dtype: 'F64' } : t));
        writeFileSync(join(dir, 'config.json'), JSON.stringify(configFor({ arch: 'llama' })));
        writeFileSync(join(dir, 'model.safetensors'), safetensorsBytes(tensors));
        return buildModelSpec(dir);
      }),
    (e: unknown) => e instanceof UnsupportedModelError && /tensor 'model\.norm\.weight' dtype 'F64' is not supported \(supported: F32, F16, BF16\)/.test(e.message),
  );
});

test('a missing directory or config.json is named', () => {
  assert.throws(() => buildModelSpec('/nonexistent/vmlx-model'), (e: unknown) => e instanceof ModelFileMissingError && /\/nonexistent\/vmlx-model: model directory not found/.test(e.message));
  assert.throws(() => inDir((dir) => buildModelSpec(dir)), /config\.json: config\.json not found/);
});

test('mistral3 in the mlx-community layout: the language_model. text tensors and their overrides are planned, the vision tower is left out with a note', async () => {
  const { dir } = await ensureTestModel({ arch: 'mistral3', dtype: 'bf16', bits: 4 });
  const built = buildModelSpec(dir, { threads: 1 });
  assert.equal(built.architecture, 'mistral3');
  assert.deepEqual(built.notes, ['mistral3: the vision tower is not loaded; images are not supported (text only)']);
  const t = built.spec.tensors;
  assert.equal(t['token_embd']?.name, 'language_model.model.embed_tokens.weight');
  assert.equal(t['output']?.name, 'language_model.lm_head.weight');
  assert.deepEqual([t['output']?.quant?.bits, t['blk.0.ffn_down']?.quant?.bits, t['blk.1.ffn_down']?.quant?.bits], [8, 8, 4]);
  assert.equal(attentionOf(built.spec.layers[0]!).headDim, 32);
  assert.ok(Object.values(t).every((x) => x.name.startsWith('language_model.')), 'no vision tensor in the plan');
  assert.ok(built.tensors.has('vision_tower.patch_conv.weight'), 'the file does hold a vision tower');
  // mistral is llama under another name
  const mistral = buildModelSpec((await ensureTestModel({ arch: 'mistral', dtype: 'bf16', bits: 4 })).dir, { threads: 1 });
  assert.deepEqual([mistral.architecture, mistral.config.modelType, mistral.notes.length], ['llama', 'mistral', 0]);
});

test('smollm3: every fourth layer has no RoPE (no_rope_layers, else no_rope_layer_interval); a wrong-length list is named', () => {
  const ropeKinds = (extra: Record<string, unknown>) =>
    build({ arch: 'llama', shape: { ...TINY, layers: 4 } }, { model_type: 'smollm3', ...extra }).spec.layers.map((l) => attentionOf(l).rope.kind);
  assert.deepEqual(ropeKinds({ no_rope_layers: [1, 1, 1, 0] }), ['neox', 'neox', 'neox', 'none']);
  assert.deepEqual(ropeKinds({ no_rope_layers: [0, 1, 0, 1] }), ['none', 'neox', 'none', 'neox']);
  assert.deepEqual(ropeKinds({ no_rope_layer_interval: 2 }), ['neox', 'none', 'neox', 'none']);
  assert.deepEqual(ropeKinds({}), ['neox', 'neox', 'neox', 'none']);
  assert.throws(
    () => ropeKinds({ no_rope_layers: [1, 0] }),
    (e: unknown) => e instanceof ModelFormatError && /config\.json: field 'no_rope_layers' has 2 entries, expected num_hidden_layers \(4\)$/.test(e.message),
  );
});

test('gemma3 in the mlx-community layout: five local layers and one global, the gemma layer, notes the vision tower', async () => {
  const { dir } = await ensureTestModel({ arch: 'gemma3', dtype: 'bf16', bits: 4 });
  const { spec, architecture, notes } = buildModelSpec(dir, { threads: 2 });
  assert.equal(architecture, 'gemma3');
  assert.deepEqual([spec.arch, spec.embedScale, spec.normOffset], ['gemma', 8, 1]);
  assert.deepEqual(notes, ['gemma3: the vision tower is not loaded; images are not supported (text only)']);
  const mixers = spec.layers.map((l) => attentionOf(l));
  assert.deepEqual(mixers.map((m) => m.slidingWindow), [32, 32, 32, 32, 32, undefined]);
  assert.deepEqual(mixers.map((m) => m.rope.kind === 'neox' && [m.rope.theta, m.rope.scaling?.type]), [
    ...Array(5).fill([10_000, undefined]), [1_000_000, 'linear'],
  ]);
  assert.ok(mixers.every((m) => m.qkNorm && m.queryScale === 32 ** -0.5));
  assert.ok(spec.layers.every((l) => l.mlp.activation === 'gelu_tanh'));
  assert.equal(spec.tensors['blk.0.post_attention_norm']!.name, 'language_model.model.layers.0.post_attention_layernorm.weight');
  assert.equal(spec.tensors['blk.0.ffn_norm']!.name, 'language_model.model.layers.0.pre_feedforward_layernorm.weight');
  assert.equal(spec.tensors['blk.5.post_ffw_norm']!.name, 'language_model.model.layers.5.post_feedforward_layernorm.weight');
  assert.ok(!Object.values(spec.tensors).some((t) => t.name.startsWith('vision_tower') || t.name.startsWith('multi_modal')));
  assert.equal(gemma3SlidingLayers({ sliding_window: 8, layer_types: ['full_attention', 'sliding_attention'] }, 2, '/m/config.json').join(), 'false,true');
  assert.throws(
    () => gemma3SlidingLayers({ sliding_window: 8, layer_types: ['full_attention'] }, 2, '/m/config.json'),
    (e: unknown) => e instanceof ModelFormatError && /\/m\/config\.json: field 'layer_types' has 1 entries, expected num_hidden_layers \(2\)$/.test(e.message),
  );
});

test('phi3: fused qkv_proj and gate_up_proj become row views of the file; partial rotary; longrope short or long by context', async () => {
  const { dir } = await ensureTestModel({ arch: 'phi3', dtype: 'bf16', bits: 4 });
  const { spec, architecture } = buildModelSpec(dir, { threads: 2, contextLength: 512 });
  assert.equal(architecture, 'phi3');
  const [q, k, v] = (['attn_q', 'attn_k', 'attn_v'] as const).map((n) => spec.tensors[`blk.1.${n}`]!);
  // q: 4 heads x 16 rows, k and v: 2 x 16; 4-bit codes of 64 columns are 8 words (32 bytes) per row.
  assert.deepEqual([q.shape, k.shape, v.shape], [[64, 8], [32, 8], [32, 8]]);
  assert.deepEqual([k.offset - q.offset, v.offset - k.offset, q.byteLength], [64 * 32, 32 * 32, 64 * 32]);
  assert.equal(k.quant!.scales.offset - q.quant!.scales.offset, q.quant!.scales.byteLength);
  assert.equal(q.name, 'model.layers.1.self_attn.qkv_proj.weight[0:64]');
  const [gate, up] = [spec.tensors['blk.0.ffn_gate']!, spec.tensors['blk.0.ffn_up']!];
  assert.deepEqual([gate.shape[0], up.offset - gate.offset], [128, gate.byteLength]);
  const rope = attentionOf(spec.layers[0]!).rope;
  assert.ok(rope.kind === 'neox' && rope.rotaryDims === 12 && rope.scaling?.type === 'longrope');
  const long = rope.scaling.freqFactors;
  assert.equal(long.length, 6);
  assert.ok(Math.abs(rope.scaling.attentionFactor - Math.sqrt(1 + Math.log(64) / Math.log(64))) < 1e-12);
  // Within the original 64-token context the short factors apply.
  const short = attentionOf(buildModelSpec(dir, { threads: 2, contextLength: 64 }).spec.layers[0]!).rope;
  assert.ok(short.kind === 'neox' && short.scaling?.type === 'longrope' && short.scaling.freqFactors[5]! < long[5]!);
});
