// Schemas as MCP servers write them: every schema of the corpus (schema-corpus.ts) compiles, exactly or loosened
// with a warning; the ones that degrade are listed here with the reason, so a change in what is enforced shows up
// as a failing test. A suite of its own (npm run test:constrained): 255 compiles. The real MCP servers' schemas are
// in mcp-schemas.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ensureTestModel } from '../helpers/test-models.js';
import { loadModel, type LoadedModel } from '../../src/engine/model.js';
import { fitSchema, type JsonSchema } from '../../src/agent/toolcalls/constraint/fit-schema.js';
import { schemaCorpus } from './schema-corpus.js';

let model: LoadedModel;
before(async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4 });
  model = await loadModel(dir, { maxContext: 512 });
});
after(async () => model.dispose());

async function fit(schema: JsonSchema, what: string) {
  return fitSchema(schema, what, (s) => model.grammar().rejection({ kind: 'json_schema', schema: s }));
}

/** The corpus schemas the engine does not take as written, and what they lose (base names; every context). */
const EXPECTED_DEGRADED: Record<string, RegExp> = {
  // Regex lookahead and backreferences have no grammar form: the pattern is dropped, the string stays a string.
  patternLookahead: /not enforced: pattern .*Lookahead is not supported/,
  patternBackref: /not enforced: pattern .*Backreference is not supported/,
  // Objects are closed unless they say otherwise (strict), so minProperties 1 with no properties cannot be met.
  objectPropertyCount: /only the shape is enforced .*minProperties is greater than the number of properties/,
  // The engine's fractional ranges are not exact (number-bounds.ts): bounded numbers are narrowed, never loosened.
  numberBounds: /bounded numbers at \S+ are enforced as whole numbers/,
};

test('the corpus (>= 200 schemas) compiles; the ones that degrade are exactly the listed ones', async () => {
  const corpus = schemaCorpus();
  assert.ok(corpus.size >= 200, `${corpus.size} schemas`);
  const degraded: Record<string, string> = {};
  for (const [id, schema] of corpus) {
    const r = await fit(schema, id);
    if (r.warning) degraded[id] = r.warning;
  }
  process.stdout.write(`# degraded: ${JSON.stringify(degraded, null, 1)}\n`);
  assert.equal(Object.keys(degraded).length, Object.keys(EXPECTED_DEGRADED).length * 5, 'each listed base degrades in all five contexts');
  for (const [id, warning] of Object.entries(degraded)) {
    const rule = EXPECTED_DEGRADED[id.split('/')[0]!];
    assert.ok(rule, `unexpected degradation: ${warning}`);
    assert.match(warning, rule);
  }
});

