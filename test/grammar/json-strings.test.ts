// Length-bounded and pattern strings stay valid JSON text under the grammar: XGrammar writes their characters raw
// (a tab inside maxLength, any code point for a pattern's ".", a newline for "\s"), json-strings.ts cuts them down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonSafeStrings } from '../../src/engine/grammar/json-strings.js';
import { loadXGrammar } from '../../src/engine/grammar/xgrammar.js';
import { newAjv } from './fixtures.js';

const xg = loadXGrammar();
const ajv = newAjv();

const CASES: Array<{ schema: Record<string, unknown>; valid: string[]; invalid: string[] }> = [
  { schema: { type: 'string', minLength: 1, maxLength: 40 }, valid: ['"Paris"', '"São Paulo"'], invalid: ['"a\tb"', '"a\u0001b"', '"a\\"b"'] },
  { schema: { type: 'string', pattern: '^a.b$' }, valid: ['"axb"', '"a b"'], invalid: ['"a"b"', '"a\\b"', '"a\tb"'] },
  { schema: { type: 'string', pattern: '^[^x]\\s$' }, valid: ['"y "'], invalid: ['"y\n"', '"""', '"\\ "'] },
];

for (const c of CASES) {
  test(`${JSON.stringify(c.schema)}: raw control characters, quotes and backslashes are not accepted`, async () => {
    const ebnf = jsonSafeStrings(await xg.Testings._jsonSchemaToEBNF(JSON.stringify(c.schema), false, -1, [', ', ': '], true));
    const grammar = await xg.Grammar.fromEBNF(ebnf);
    const validate = ajv.compile(c.schema);
    for (const text of c.valid) {
      assert.ok(await xg.Testings.isGrammarAcceptString(grammar, text), `accepts ${JSON.stringify(text)}`);
      assert.ok(validate(JSON.parse(text)), text);
    }
    for (const text of c.invalid) assert.equal(await xg.Testings.isGrammarAcceptString(grammar, text), false, `rejects ${JSON.stringify(text)}`);
    grammar.dispose();
  });
}

test('rule lines other than the schema strings, and string literals, are left as written', () => {
  const ebnf = ['basic_string_sub ::= ("\\"" | [^\\0-\\x1f\\"\\\\\\r\\n] basic_string_sub)', 'string ::= "\\"" "[^x]" [^"\\\\\\r\\n]{0,3} "\\""'].join('\n');
  const out = jsonSafeStrings(ebnf).split('\n');
  assert.equal(out[0], ebnf.split('\n')[0]);
  assert.equal(out[1], String.raw`string ::= "\"" "[^x]" [^"\\\r\n"\\\0-\x1f]{0,3} "\""`);
});
