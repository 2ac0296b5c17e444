// evaluate's router probe (the parity rule's check of a routing near-tie): the k-th/(k+1)-th router logit gaps it
// reports are the float64 reference's, and a routing call taken the other way changes exactly what the reference
// says that other choice changes. Dense models have no router to probe, and bad probe options are one-line errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../src/engine/model.js';
import { ensureTestModel } from '../helpers/test-models.js';
import { ReferenceModel } from '../testmodel/reference.js';

const TOKENS = Array.from({ length: 24 }, (_, i) => (i * 7919 + 101) % 120000);
const TOP_K = 10;
const LAYERS = 2;

async function tinyMoe() {
  const { dir } = await ensureTestModel({ arch: 'qwen3_moe', dtype: 'bf16', bits: 4 });
  return { dir, model: await loadModel(dir, { threads: 1, maxContext: 64, activations: 'float' }) };
}

/** The largest |vmlx − reference| over vmlx's top-k at positions from..end. */
function maxDiff(ids: Int32Array, lps: Float32Array, ref: Float64Array[], from: number): number {
  let max = 0;
  for (let p = from; p < TOKENS.length; p++)
    for (let j = 0; j < TOP_K; j++) max = Math.max(max, Math.abs(lps[p * TOP_K + j] - ref[p][ids[p * TOP_K + j]]));
  return max;
}

test('router gaps: per position and layer, the float64 reference\'s gap between the k-th and (k+1)-th router logits', async () => {
  const { dir, model } = await tinyMoe();
  try {
    const res = await model.evaluate(TOKENS, TOP_K, { routerGaps: true });
    assert.equal(res.layers, LAYERS);
    assert.equal(res.routerGaps!.length, TOKENS.length * LAYERS);
    const ref: number[] = new Array(TOKENS.length * LAYERS);
    ReferenceModel.load(dir).logprobs(TOKENS, {
      from: TOKENS.length - 1,
      onRoute: (layer, pos, r) => {
        const order = [...r.logits.keys()].sort((a, b) => r.logits[b] - r.logits[a]);
        ref[pos * LAYERS + layer] = r.logits[order[r.chosen.length - 1]] - r.logits[order[r.chosen.length]];
      },
    });
    let max = 0;
    res.routerGaps!.forEach((gap, i) => {
      assert.ok(gap >= 0, `gap ${i} is ${gap}`);
      max = Math.max(max, Math.abs(gap - ref[i]));
    });
    // Float rounding of the hidden state only (vmlx matches this reference's log-probabilities to ~5e-5).
    assert.ok(max < 1e-3, `router gaps differ from the reference by up to ${max}`);
  } finally {
    await model.dispose();
  }
});

test('router flip: the (k+1)-th expert runs at one layer and position, and the log-probabilities follow the reference', async () => {
  const { dir, model } = await tinyMoe();
  const at = { layer: 1, position: 10 };
  try {
    const base = await model.evaluate(TOKENS, TOP_K);
    const flipped = await model.evaluate(TOKENS, TOP_K, { routerFlip: at });
    // Before the flipped call nothing changes, bit for bit.
    const before = at.position * TOP_K;
    assert.deepEqual(flipped.ids.subarray(0, before), base.ids.subarray(0, before));
    assert.deepEqual(flipped.logprobs.subarray(0, before), base.logprobs.subarray(0, before));

    const ref = ReferenceModel.load(dir);
    const swapped = ref.logprobs(TOKENS, {
      onRoute: (layer, pos, r) => {
        if (layer !== at.layer || pos !== at.position) return;
        const order = [...r.probs.keys()].sort((a, b) => r.probs[b] - r.probs[a]);
        r.chosen[r.chosen.length - 1] = order[r.chosen.length];
      },
    });
    const same = ref.logprobs(TOKENS);
    const toSwapped = maxDiff(flipped.ids, flipped.logprobs, swapped, at.position);
    const toUnswapped = maxDiff(flipped.ids, flipped.logprobs, same, at.position);
    assert.ok(toSwapped < 1e-3, `the flipped run differs from the reference's swapped routing by ${toSwapped}`);
    assert.ok(toUnswapped > 10 * toSwapped, `the flip moved nothing measurable (${toUnswapped} vs ${toSwapped})`);
  } finally {
    await model.dispose();
  }
});

test('router probe: a dense model reports no gaps and refuses a flip; bad options are one-line errors', async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4 });
  const dense = await loadModel(dir, { threads: 1, maxContext: 64, activations: 'float' });
  try {
    const res = await dense.evaluate(TOKENS.slice(0, 4), 1, { routerGaps: true });
    assert.ok(res.routerGaps!.every((g) => Number.isNaN(g)), 'no router, no gap');
    await assert.rejects(dense.evaluate(TOKENS.slice(0, 4), 1, { routerFlip: { layer: 0, position: 1 } }), /layer 0 has no router/);
  } finally {
    await dense.dispose();
  }
  const { model } = await tinyMoe();
  try {
    await assert.rejects(model.evaluate(TOKENS.slice(0, 4), 1, { routerFlip: { layer: 2, position: 0 } }), /outside the 2 layers and 4 tokens/);
    await assert.rejects(model.evaluate(TOKENS.slice(0, 4), 1, { routerFlip: { layer: 0, position: -1 } }), /routerFlip.position must be a non-negative integer/);
    await assert.rejects(model.evaluate(TOKENS.slice(0, 4), 1, { routerGaps: 'yes' as never }), /routerGaps must be a boolean/);
  } finally {
    await model.dispose();
  }
});
