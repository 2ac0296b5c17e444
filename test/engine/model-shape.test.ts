// The bench's readModelShape on every config.json layout the test models have: plain text configs and multimodal
// wrappers whose text model sits under text_config (gemma3, gemma4, mistral3, qwen3_5, qwen3_5_moe).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readModelShape } from '../../src/engine/bench/measure.js';
import { modelDims, type TestArch } from '../../src/engine/testmodel/spec.js';
import { ensureTestModel } from '../helpers/test-models.js';

const ARCHS: TestArch[] = ['qwen3_moe', 'gemma3_text', 'gemma3', 'gemma4', 'mistral3', 'qwen3_5', 'qwen3_5_moe', 'qwen3_next'];

for (const arch of ARCHS) {
  test(`readModelShape reads ${arch}'s dims (from text_config where the checkpoint wraps them)`, async () => {
    const { dir } = await ensureTestModel({ arch, dtype: 'bf16', bits: 4 });
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const wrapped = config.text_config != null;
    assert.equal(wrapped, ['gemma3', 'gemma4', 'mistral3', 'qwen3_5', 'qwen3_5_moe'].includes(arch), 'the layout under test');
    if (wrapped) assert.equal(config.hidden_size, undefined, 'the wrapper has no top-level hidden_size');

    const dims = modelDims(arch, 'tiny');
    const shape = readModelShape(dir);
    assert.deepEqual(
      { vocab: shape.vocabSize, layers: shape.numLayers, hidden: shape.hiddenSize, heads: shape.numHeads, kvHeads: shape.numKvHeads, headDim: shape.headDim },
      { vocab: dims.vocabSize, layers: dims.numLayers, hidden: dims.hiddenSize, heads: dims.numHeads, kvHeads: dims.numKvHeads, headDim: dims.headDim },
    );
    if (dims.moe) {
      assert.deepEqual(shape.moe, {
        numExperts: dims.moe.numExperts, topK: dims.moe.topK, expertIntermediateSize: dims.moe.expertIntermediateSize,
        sharedIntermediateSize: dims.moe.sharedExpertIntermediateSize ?? 0, moeLayers: dims.numLayers,
      });
    } else {
      assert.equal(shape.moe, undefined);
    }
  });
}
