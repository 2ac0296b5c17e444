// Mutated inputs through engineer B's scanners, checked segment by segment (stricter than the driver-level fuzz):
// the non-final scan of every prefix extends the previous one and is a prefix of the final scan, and no scan
// throws. Mutations insert and delete the families' own markers, truncate, duplicate and add odd unicode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findToolFormat } from '../../../src/agent/toolcalls/registry.js';
import { seededRandom } from '../../../src/agent/toolcalls/util/ids.js';
import { allFixtures } from '../collect.js';
import { mutate } from '../fuzz-core.js';
import { findPrefixViolation } from './prefix-check.js';

const B_FAMILIES = new Set(['deepseek', 'kimi', 'nemotron', 'functionary', 'glm', 'minimax', 'harmony', 'gemma']);
const RUNS = 4000;

test(`scanner invariant on ${RUNS} mutated inputs of engineer B's formats`, async () => {
  const fixtures = (await allFixtures()).filter((fx) => B_FAMILIES.has(fx.family));
  const markers = [...new Set(fixtures.flatMap((fx) => findToolFormat(fx.parser)?.markers ?? []))];
  markers.push('<｜tool▁call▁end｜>', '<|tool_call_end|>', '</TOOLCALL>', '</function>', '</parameter>', '</arg_value>', '</invoke>', '<|call|>', '<|end|>', '<tool_call|>', '<|"|>', '<channel|>', '```', '{', '"', '\n', '\ud83d');
  const rand = seededRandom(2024);
  const failures: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    const fx = fixtures[i % fixtures.length];
    const input = mutate(fx.input, rand, markers);
    const format = findToolFormat(fx.parser)!;
    try {
      const v = findPrefixViolation(format, input, rand() < 0.7 ? (fx.tools ?? []) : []);
      if (v && failures.length < 5) failures.push(`${fx.parser} ${JSON.stringify(input)}: ${v}`);
    } catch (err) {
      failures.push(`${fx.parser} threw on ${JSON.stringify(input)}: ${(err as Error).message}`);
    }
  }
  assert.deepEqual(failures, []);
});
