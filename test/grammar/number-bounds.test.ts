// Bounded numbers are narrowed to what the grammar engine bounds exactly (it lets "10.35" through a maximum of 10):
// every number the compiled grammar accepts must validate against the schema as the client wrote it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exactNumberBounds } from '../../src/agent/toolcalls/constraint/number-bounds.js';
import { loadXGrammar } from '../../src/engine/grammar/xgrammar.js';
import { newAjv } from './fixtures.js';

const xg = loadXGrammar();
const ajv = newAjv();

const CANDIDATES = ['-11', '-10.5', '-10', '-1', '-0.5', '0', '0.05', '0.1', '0.5', '0x5', '0.9', '1', '2.5', '7', '9.99', '10', '10.35', '11', '99.5', '100', '100.5'];

async function accepted(schema: unknown): Promise<string[]> {
  const grammar = await xg.Grammar.fromJSONSchema(JSON.stringify(schema), false, -1, [', ', ': '], true);
  const out: string[] = [];
  for (const c of CANDIDATES) if (await xg.Testings.isGrammarAcceptString(grammar, c)) out.push(c);
  grammar.dispose();
  return out;
}

const SCHEMAS = [
  { type: 'number', minimum: 0, maximum: 10 },
  { type: 'number', minimum: 0.5, maximum: 2.5 },
  { type: 'number', exclusiveMinimum: 0, maximum: 100 },
  { type: 'number', minimum: -10, exclusiveMaximum: 10 },
  { type: 'number', minimum: 0.05, maximum: 0.95 },
  { type: ['number', 'null'], minimum: 1, maximum: 7 },
  { type: 'integer', exclusiveMinimum: 0, exclusiveMaximum: 10 },
];

for (const schema of SCHEMAS) {
  test(`every number the grammar accepts for ${JSON.stringify(schema)} is valid`, async () => {
    const validate = ajv.compile(schema);
    const { schema: narrowed } = exactNumberBounds(schema);
    const ok = await accepted(narrowed);
    assert.ok(ok.length > 0, 'some number fits');
    for (const c of ok) assert.ok(validate(JSON.parse(c)), `${c} accepted by ${JSON.stringify(narrowed)}`);
  });
}

test('bounded numbers inside objects, arrays and $defs are narrowed; integers keep their values; the paths are named', () => {
  const schema = {
    type: 'object',
    properties: { score: { type: 'number', minimum: 0, maximum: 10, description: 'd' }, n: { type: 'integer', minimum: 1 } },
    $defs: { p: { type: 'array', items: { type: 'number', exclusiveMaximum: 1, exclusiveMinimum: 0 } } },
  };
  const r = exactNumberBounds(schema);
  assert.deepEqual(r.paths, ['/properties/score', '/$defs/p/items']);
  const props = (r.schema as { properties: Record<string, unknown> }).properties;
  assert.deepEqual(props.score, { type: 'integer', minimum: 0, maximum: 10, description: 'd' });
  assert.deepEqual(props.n, { type: 'integer', minimum: 1 });
  const items = (r.schema as { $defs: { p: { items: { enum: number[] } } } }).$defs.p.items;
  assert.deepEqual(items.enum, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
  assert.deepEqual(exactNumberBounds({ type: 'number' }), { schema: { type: 'number' }, paths: [] });
});
