// Qwen3-Coder's parameters under the grammar: one newline around each value (no free whitespace a random model
// can pad forever or that ends up inside a string value) and string enums written raw, as the parser reads them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { qwenXmlLayout, qwenXmlSchema } from '../../src/engine/grammar/qwen-xml.js';
import { loadXGrammar } from '../../src/engine/grammar/xgrammar.js';
import { parseModelOutput } from '../../src/agent/toolcalls/index.js';
import { newAjv, weatherTool } from './fixtures.js';

const xg = loadXGrammar();

async function paramsGrammar(schema: unknown) {
  const ebnf = await xg.Testings._jsonSchemaToEBNF(JSON.stringify(qwenXmlSchema(schema)), false, -1, [', ', ': '], true, undefined, 'xml');
  return xg.Grammar.fromEBNF(qwenXmlLayout(ebnf));
}

test('the weather parameters: the laid-out form is accepted and parses to valid arguments; padding and quoted enums are not', async () => {
  const grammar = await paramsGrammar(weatherTool.function.parameters);
  const good = '<parameter=city>\nSan José\n</parameter>\n<parameter=unit>\ncelsius\n</parameter>\n<parameter=days>\n3\n</parameter>\n';
  assert.ok(await xg.Testings.isGrammarAcceptString(grammar, good));
  const text = `<tool_call>\n<function=get_weather>\n${good}</function>\n</tool_call>`;
  const parsed = parseModelOutput(text, { tools: [weatherTool], toolChoice: 'auto', toolParser: 'qwen3_coder', reasoningParser: 'none' });
  assert.equal(parsed.tool_calls.length, 1);
  const validate = newAjv().compile(weatherTool.function.parameters!);
  assert.ok(validate(JSON.parse(parsed.tool_calls[0]!.function.arguments)), parsed.tool_calls[0]!.function.arguments);
  for (const bad of [
    ' \n\t<parameter=city>\nParis\n</parameter>\n<parameter=unit>\ncelsius\n</parameter>\n',
    '<parameter=city>\nParis\n \n</parameter>\n<parameter=unit>\ncelsius\n</parameter>\n',
    '<parameter=city>\nParis\n</parameter>\n<parameter=unit>\n"celsius"\n</parameter>\n',
    '<parameter=city>\nParis\n</parameter>\n\n\n<parameter=unit>\ncelsius\n</parameter>\n',
  ]) {
    assert.equal(await xg.Testings.isGrammarAcceptString(grammar, bad), false, JSON.stringify(bad));
  }
  grammar.dispose();
});

test('string enums and consts of top-level parameters become raw patterns (regex characters escaped); others stay', () => {
  const s = qwenXmlSchema({
    type: 'object',
    properties: { a: { enum: ['x.y', 'a|b'], description: 'd' }, b: { const: 'c+' }, c: { enum: ['s', 1] }, d: { type: 'object', properties: { e: { enum: ['q'] } } } },
  }) as { properties: Record<string, unknown> };
  assert.deepEqual(s.properties.a, { description: 'd', type: 'string', pattern: '^(x\\.y|a\\|b)$' });
  assert.deepEqual(s.properties.b, { type: 'string', pattern: '^(c\\+)$' });
  assert.deepEqual(s.properties.c, { enum: ['s', 1] });
  assert.deepEqual(s.properties.d, { type: 'object', properties: { e: { enum: ['q'] } } });
});

test('a tool without parameters compiles to no parameters', async () => {
  for (const schema of [{ type: 'object', properties: {} }, { type: 'object' }]) {
    const grammar = await paramsGrammar(schema);
    assert.ok(await xg.Testings.isGrammarAcceptString(grammar, ''), JSON.stringify(schema));
    assert.equal(await xg.Testings.isGrammarAcceptString(grammar, '<parameter=a>\nx\n</parameter>\n'), false);
    grammar.dispose();
  }
});
