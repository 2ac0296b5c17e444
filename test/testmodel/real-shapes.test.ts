// make-model's shortened real shapes (the real-shape suite's models), checked without writing them: their widths,
// layer patterns, 4-bit sizes, the parity init, and the Gemma 3 twin's embedding-scale correction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemmaEmbedScaleFix, ggufTensorInfos } from '../../src/engine/testmodel/gguf-model.js';
import { isLinearLayer } from '../../src/engine/testmodel/hybrid-spec.js';
import { modelDims, spreadInit, tensorDefs, type TestArch, type TestShape } from '../../src/engine/testmodel/spec.js';

const SUITE: Array<[TestArch, TestShape]> = [
  ['qwen3_moe', 'qwen3-30b-a3b-2l'], ['qwen3_5', 'qwen3.5-0.8b'], ['qwen3_5_moe', 'qwen3.5-35b-a3b-4l'],
  ['gemma3_text', 'gemma3-1b-6l'], ['gemma3', 'gemma3-4b-6l'], ['gemma4', 'gemma4-e2b-10l'], ['gemma4', 'gemma4-26b-a4b-2l'], ['gpt_oss', 'gpt-oss-20b-2l'],
  ['mistral', 'mistral-small-3-2l'], ['mistral3', 'mistral-small-3-2l'], ['phi3', 'phi-4-mini-2l'], ['smollm3', 'smollm3-3b-4l'],
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

test('a shortened real shape asked of another architecture is a RangeError naming the shape', () => {
  assert.throws(() => modelDims('qwen3', 'mistral-small-3-2l'), /shape mistral-small-3-2l needs --arch mistral or mistral3/);
  assert.throws(() => modelDims('qwen3_5', 'qwen3.5-35b-a3b-4l'), /needs --arch qwen3_5_moe/);
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
