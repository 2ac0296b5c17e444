// make-model's shortened real shapes (the real-shape suite's models), checked without writing them: their widths,
// layer patterns, 4-bit sizes, the parity init, and the Gemma 3 twin's embedding-scale correction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildConfigJson } from '../../src/engine/testmodel/config-files.js';
import { gemmaEmbedScaleFix, ggufTensorInfos } from '../../src/engine/testmodel/gguf-model.js';
import { isLinearLayer } from '../../src/engine/testmodel/hybrid-spec.js';
import { modelDims, spreadInit, tensorDefs, type TestArch, type TestShape } from '../../src/engine/testmodel/spec.js';

const SUITE: Array<[TestArch, TestShape]> = [
  ['qwen3_moe', 'qwen3-30b-a3b-2l'], ['qwen3_5', 'qwen3.5-0.8b'], ['qwen3_5_moe', 'qwen3.5-35b-a3b-4l'],
  ['gemma3_text', 'gemma3-1b-6l'], ['gemma3', 'gemma3-4b-6l'], ['gemma4', 'gemma4-e2b-10l'], ['gemma4', 'gemma4-26b-a4b-2l'], ['gpt_oss', 'gpt-oss-20b-2l'],
  ['mistral', 'mistral-small-3-2l'], ['mistral3', 'mistral-small-3-2l'], ['phi3', 'phi-4-mini-2l'], ['smollm3', 'smollm3-3b-4l'],
  ['qwen3_next', 'qwen3-next-80b-a3b-2l'],
];

/**
 * Bytes of the 4-bit (group 64, bf16 scales and biases) file: 4.5 bits per quantized weight, bf16 otherwise. The
 * largest is qwen3_5_moe's (2.46 GB): four layers of 256 experts are the fewest that hold a full-attention layer.
 */
function fourBitBytes(arch: TestArch, shape: TestShape): number {
  let bytes = 0;
  for (const d of tensorDefs(modelDims(arch, shape), shape)) {
    const n = d.shape.reduce((a, b) => a * b, 1);
    const quantized = (d.kind === 'linear' || d.kind === 'embedding' || d.kind === 'experts') && d.shape[d.shape.length - 1]! % 64 === 0;
    bytes += quantized ? n * 0.5625 : n * 2;
  }
  return bytes;
}

test('the real-shape suite\'s shapes: under ~2 GB at 4 bits, parity init, every kind of layer of the family', () => {
  for (const [arch, shape] of SUITE) {
    assert.ok(fourBitBytes(arch, shape) < 2.5e9, `${arch} ${shape}: ${fourBitBytes(arch, shape)} bytes`);
    assert.ok(spreadInit(shape), `${shape} is drawn for parity`);
  }
  const hybrid = modelDims('qwen3_5_moe', 'qwen3.5-35b-a3b-4l');
  assert.deepEqual([0, 1, 2, 3].map((i) => isLinearLayer(hybrid.hybrid!, i)), [true, true, true, false]);
  assert.deepEqual([hybrid.hiddenSize, hybrid.headDim, hybrid.hybrid!.numVHeads, hybrid.moe!.numExperts, hybrid.moe!.sharedExpertIntermediateSize], [2048, 256, 32, 256, 512]);
  const gemma = modelDims('gemma3', 'gemma3-4b-6l');
  assert.deepEqual([gemma.numLayers, gemma.gemma!.slidingWindowPattern, gemma.gemma!.linearRopeFactor, gemma.weightPrefix], [6, 6, 8, 'language_model.']);
  const g4moe = modelDims('gemma4', 'gemma4-26b-a4b-2l');
  assert.deepEqual([g4moe.hiddenSize, g4moe.intermediateSize, g4moe.moe, g4moe.gemma4!.layerTypes, g4moe.gemma4!.perLayerInputSize, g4moe.gemma4!.kvSharedLayers],
    [2816, 2112, { numExperts: 128, topK: 8, expertIntermediateSize: 704, normTopK: true }, ['sliding_attention', 'full_attention'], 0, 0]);
  assert.deepEqual([modelDims('smollm3', 'smollm3-3b-4l').numLayers, modelDims('gpt_oss', 'gpt-oss-20b-2l').numLayers], [4, 2]);
  const mistral = modelDims('mistral3', 'mistral-small-3-2l');
  assert.deepEqual([mistral.hiddenSize, mistral.intermediateSize, mistral.vocabSize, mistral.ropeTheta, mistral.weightPrefix], [5120, 32768, 131072, 1e9, 'language_model.']);
  // The speed benchmarks' shapes keep the checkpoints' 0.02 init.
  assert.equal(spreadInit('qwen3-30b-a3b-12l'), false);
  assert.equal(spreadInit('gpt-oss-20b-6l'), false);
});

// Qwen3-Next-80B-A3B's config.json (the Instruct and Thinking checkpoints share these), but num_hidden_layers (48)
// and full_attention_interval (4), which qwen3-next-80b-a3b-2l shortens to 2 and 2.
const QWEN3_NEXT_80B_A3B = {
  architectures: ['Qwen3NextForCausalLM'], model_type: 'qwen3_next', hidden_size: 2048, intermediate_size: 5120,
  num_attention_heads: 16, num_key_value_heads: 2, head_dim: 256, vocab_size: 151936, tie_word_embeddings: false,
  rms_norm_eps: 1e-6, rope_theta: 10_000_000, partial_rotary_factor: 0.25, max_position_embeddings: 262144,
  linear_conv_kernel_dim: 4, linear_key_head_dim: 128, linear_value_head_dim: 128, linear_num_key_heads: 16,
  linear_num_value_heads: 32, num_experts: 512, num_experts_per_tok: 10, moe_intermediate_size: 512,
  shared_expert_intermediate_size: 512, norm_topk_prob: true, decoder_sparse_step: 1, mlp_only_layers: [],
  attention_bias: false, rope_scaling: null,
};

test('qwen3-next-80b-a3b-2l writes Qwen3-Next-80B-A3B\'s config.json values, a DeltaNet and a full-attention layer', () => {
  const dims = modelDims('qwen3_next', 'qwen3-next-80b-a3b-2l');
  const written = buildConfigJson('qwen3_next', dims, 'bf16', { bits: 4, groupSize: 64 }, {});
  for (const [key, value] of Object.entries(QWEN3_NEXT_80B_A3B)) assert.deepEqual(written[key], value, key);
  assert.deepEqual([written.num_hidden_layers, written.full_attention_interval], [2, 2]);
  assert.deepEqual([0, 1].map((i) => isLinearLayer(dims.hybrid!, i)), [true, false]);
  assert.equal(written.text_config, undefined, 'the text model is at the top level');
  // The fused in-projections: per key head q, k (128 each), v and z (2 value heads of 128 each); b and a.
  const names = new Map(tensorDefs(dims, 'qwen3-next-80b-a3b-2l').map((d) => [d.name, d.shape]));
  assert.deepEqual(names.get('model.layers.0.linear_attn.in_proj_qkvz'), [12288, 2048]);
  assert.deepEqual(names.get('model.layers.0.linear_attn.in_proj_ba'), [64, 2048]);
  assert.deepEqual(names.get('model.layers.1.mlp.switch_mlp.gate_proj'), [512, 512, 2048]);
});

test('a shortened real shape asked of another architecture is a RangeError naming the shape', () => {
  assert.throws(() => modelDims('qwen3', 'mistral-small-3-2l'), /shape mistral-small-3-2l needs --arch mistral or mistral3/);
  assert.throws(() => modelDims('qwen3_5', 'qwen3.5-35b-a3b-4l'), /needs --arch qwen3_5_moe/);
  assert.throws(() => modelDims('qwen3_moe', 'qwen3-next-80b-a3b-2l'), /needs --arch qwen3_next/);
  assert.throws(() => modelDims('qwen3_next', 'qwen3.5-35b-a3b-4l'), /qwen3_next has tiny and qwen3-next-80b-a3b-2l/);
  assert.throws(() => modelDims('llama', 'gpt-oss-20b-2l'), /needs --arch gpt_oss/);
  assert.throws(() => modelDims('llama', 'gemma4-e2b-10l'), /needs --arch gemma4/);
  assert.throws(() => modelDims('qwen3', 'gemma4-26b-a4b-2l'), /needs --arch gemma4/);
  assert.throws(() => modelDims('qwen3_5', 'gemma4-moe-tiny'), /gemma4-moe-tiny/);
  assert.throws(() => modelDims('gpt_oss', 'gemma4-moe-tiny'), /gemma4-moe-tiny/);
});

test('Gemma 3 twin: where sqrt(hidden) is not a bf16 value, a separate output.weight and a scale correction', () => {
  assert.equal(gemmaEmbedScaleFix('gemma3_text', modelDims('gemma3_text', 'tiny')), null, 'sqrt(64) = 8 is exact');
  assert.equal(gemmaEmbedScaleFix('mistral', modelDims('mistral', 'tiny')), null);
  const dims = modelDims('gemma3_text', 'gemma3-1b-6l');
  assert.equal(gemmaEmbedScaleFix('gemma3_text', dims), 34 / Math.fround(Math.sqrt(1152)));
  const names = (shape: TestShape) => ggufTensorInfos('gemma3_text', modelDims('gemma3_text', shape), tensorDefs(modelDims('gemma3_text', shape), shape), 'f32');
  const out = names('gemma3-1b-6l').find((i) => i.name === 'output.weight');
  assert.deepEqual(out?.shape, [262208, 1152]);
  assert.equal(names('tiny').find((i) => i.name === 'output.weight'), undefined);
});
