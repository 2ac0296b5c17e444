// The scanner invariant of types.ts, checked directly on engineer B's formats for every fixture: the non-final
// scan of every prefix extends the previous one and is a prefix of the final scan (segment by segment, stricter
// than comparing the assembled result).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findToolFormat } from '../../../src/agent/toolcalls/registry.js';
import { allFixtures } from '../collect.js';
import { findPrefixViolation } from './prefix-check.js';

const B_FAMILIES = new Set(['deepseek', 'kimi', 'nemotron', 'functionary', 'glm', 'minimax', 'harmony', 'gemma']);
const fixtures = (await allFixtures()).filter((fx) => B_FAMILIES.has(fx.family));

test('engineer B fixtures are collected for every family', () => {
  assert.deepEqual(new Set(fixtures.map((fx) => fx.family)), B_FAMILIES);
});

for (const fx of fixtures) {
  test(`scanner invariant: ${fx.name}`, () => {
    const format = findToolFormat(fx.parser);
    assert.ok(format, `parser ${fx.parser} is registered`);
    assert.equal(findPrefixViolation(format, fx.input, fx.tools ?? []), null);
  });
}
