// Property: on every fixture of every family, streaming with random chunkings, one character at a time and split
// at every position into two chunks gives exactly the non-streaming result, and argument fragments concatenate
// to the final arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModelOutput } from '../../src/agent/toolcalls/index.js';
import { allFixtures } from './collect.js';
import { assemble, optsOf, randomChunks, shape } from './harness.js';

const fixtures = await allFixtures();

for (const fx of fixtures) {
  test(`stream = parse: ${fx.name}`, () => {
    const opts = optsOf(fx);
    const expected = shape(parseModelOutput(fx.input, opts));
    const chunkings: Array<[string, string[]]> = [['one char at a time', [...fx.input]]];
    for (let seed = 1; seed <= 6; seed++) chunkings.push([`random chunks seed ${seed}`, randomChunks(fx.input, seed, seed * 3)]);
    // Split at every position (this covers every marker split at every byte position).
    for (let i = 1; i < fx.input.length; i++) chunkings.push([`split at ${i}`, [fx.input.slice(0, i), fx.input.slice(i)]]);
    for (const [how, chunks] of chunkings) {
      const a = assemble(chunks, opts);
      const { result, ...streamed } = a;
      assert.deepEqual(streamed, expected, `${how}: assembled deltas differ`);
      assert.deepEqual(shape(result), expected, `${how}: result() differs`);
    }
  });
}
