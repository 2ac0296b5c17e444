// Gemma 4's argument syntax as a grammar (gemma-grammar.ts): what it accepts is what the gemma4 parser reads back
// as schema-valid JSON, what it rejects breaks the schema or the syntax; every corpus schema compiles, and the ones
// loosened are listed with the keywords they lose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadXGrammar } from '../../src/engine/grammar/xgrammar.js';
import { gemmaArgsGrammar, gemmaCallsGrammar, gemmaValueGrammar } from '../../src/agent/toolcalls/constraint/gemma-grammar.js';
import { intRangeEbnf } from '../../src/agent/toolcalls/constraint/ebnf-int-range.js';
import { parseModelOutput } from '../../src/agent/toolcalls/index.js';
import { answerSchema, newAjv, searchTool, weatherTool } from './fixtures.js';
import { BASE_SCHEMAS, schemaCorpus } from './schema-corpus.js';

const xg = loadXGrammar();
async function accepts(ebnf: string, text: string): Promise<boolean> {
  return xg.Testings.isGrammarAcceptString(await xg.Grammar.fromEBNF(ebnf), text);
}

/** A value in Gemma's syntax, as its chat template writes it. */
function gemma(v: unknown): string {
  if (typeof v === 'string') return `<|"|>${v}<|"|>`;
  if (Array.isArray(v)) return `[${v.map(gemma).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${k}:${gemma(x)}`).join(',')}}`;
  return String(v);
}

const ajv = newAjv();
const tools = [weatherTool, searchTool];

test('arguments the grammar accepts parse back (gemma4 parser) to the same, schema-valid JSON', async () => {
  const valid: Array<[typeof weatherTool, Record<string, unknown>]> = [
    [weatherTool, { city: 'Paris', unit: 'celsius' }],
    [weatherTool, { city: 'a > b, {x} "q" ]', unit: 'fahrenheit', days: 7 }], // length-bounded: no '<'
    [weatherTool, { city: 'x'.repeat(40), unit: 'celsius', days: 1 }],
    [searchTool, { path: '/tmp/<dir>|x', patterns: ['*.ts', '<<'], options: { caseSensitive: true, depth: null } }],
    [searchTool, { path: '', patterns: ['a', 'b', 'c'], options: { caseSensitive: false, depth: 12 } }],
  ];
  for (const [tool, args] of valid) {
    const { ebnf, loosened } = gemmaArgsGrammar(tool.function.parameters!, 't');
    assert.deepEqual(loosened, []);
    const text = gemma(args);
    assert.ok(await accepts(ebnf, text), text);
    const parsed = parseModelOutput(`<|tool_call>call:${tool.function.name}${text}<tool_call|>`, { tools, toolParser: 'gemma4', reasoningParser: 'none' });
    assert.equal(parsed.tool_calls.length, 1, text);
    const json = JSON.parse(parsed.tool_calls[0]!.function.arguments) as unknown;
    assert.deepEqual(json, args);
    assert.ok(ajv.validate(tool.function.parameters!, json), text);
  }
});

test('the grammar rejects what breaks the schema or the syntax', async () => {
  const weather = gemmaArgsGrammar(weatherTool.function.parameters!, 't').ebnf;
  const search = gemmaArgsGrammar(searchTool.function.parameters!, 't').ebnf;
  for (const text of [
    '{city:<|"|>Paris<|"|>,unit:<|"|>celsius<|"|>,days:8}', // above the maximum
    '{city:<|"|><|"|>,unit:<|"|>celsius<|"|>}', // below minLength
    `{city:<|"|>${'x'.repeat(41)}<|"|>,unit:<|"|>celsius<|"|>}`, // above maxLength
    '{city:<|"|>Paris<|"|>,unit:<|"|>kelvin<|"|>}', // not in the enum
    '{unit:<|"|>celsius<|"|>}', // a required member missing
    '{city:<|"|>Paris<|"|>,unit:<|"|>celsius<|"|>,extra:1}', // a closed object
    '{city: <|"|>Paris<|"|>,unit:<|"|>celsius<|"|>}', // whitespace
    '{city:"Paris",unit:<|"|>celsius<|"|>}', // a JSON string
  ]) assert.equal(await accepts(weather, text), false, text);
  for (const text of [
    '{path:<|"|>a<|"|>,patterns:[],options:{caseSensitive:true}}', // minItems 1
    '{path:<|"|>a<|"|>,patterns:[<|"|>1<|"|>,<|"|>2<|"|>,<|"|>3<|"|>,<|"|>4<|"|>],options:{caseSensitive:true}}', // maxItems 3
    '{path:<|"|>a<|"|>,patterns:[<|"|>x<|"|>],options:{caseSensitive:true,depth:-1}}', // minimum 0
    '{path:<|"|>a<|| b<|"|>,patterns:[<|"|>x<|"|>],options:{caseSensitive:true}}', // "<|" inside a string
  ]) assert.equal(await accepts(search, text), false, text);
});

test('several calls back to back, or exactly one', async () => {
  const calls = tools.map((t, i) => ({ begin: `<|tool_call>call:${t.function.name}`, end: '<tool_call|>', grammar: gemmaArgsGrammar(t.function.parameters!, `t${i}`) }));
  const one = '<|tool_call>call:get_weather{city:<|"|>Oslo<|"|>,unit:<|"|>celsius<|"|>}<tool_call|>';
  const two = one + '<|tool_call>call:search_files{path:<|"|>/<|"|>,patterns:[<|"|>*<|"|>],options:{caseSensitive:true}}<tool_call|>';
  assert.ok(await accepts(gemmaCallsGrammar(calls, false), two));
  assert.ok(await accepts(gemmaCallsGrammar(calls, true), one));
  assert.equal(await accepts(gemmaCallsGrammar(calls, true), two), false);
  assert.equal(await accepts(gemmaCallsGrammar(calls, false), ''), false);
});

test('integer ranges accept exactly the numbers in range', async () => {
  const ranges: Array<[number, number]> = [[1, 7], [-5, 100], [0, Infinity], [13, 1234], [-Infinity, -20], [-1000, -999], [95, 105]];
  for (const [lo, hi] of ranges) {
    const ebnf = `root ::= ${intRangeEbnf(lo, hi)}`;
    const grammar = await xg.Grammar.fromEBNF(ebnf);
    for (let n = -1300; n <= 1300; n += n > -30 && n < 130 ? 1 : 37) {
      const inRange = n >= lo && n <= hi;
      assert.equal(await xg.Testings.isGrammarAcceptString(grammar, String(n)), inRange, `${n} in [${lo}, ${hi}]: ${ebnf}`);
    }
    assert.equal(await xg.Testings.isGrammarAcceptString(grammar, '007'), false, 'no leading zeros');
  }
  assert.equal(intRangeEbnf(5, 4), null);
  assert.ok(await accepts(`root ::= ${intRangeEbnf(0, Number.MAX_SAFE_INTEGER)}`, String(Number.MAX_SAFE_INTEGER)));
});

test('the response_format fixture as a value: refs, enums, bounded arrays and numbers', async () => {
  const { ebnf, loosened } = gemmaValueGrammar(answerSchema);
  assert.deepEqual(loosened, []);
  assert.ok(await accepts(ebnf, '{title:<|"|>t<|"|>,score:10,tags:[<|"|>red<|"|>,<|"|>red<|"|>],nested:{a:true,b:<|"|>x<|"|>}}'));
  assert.equal(await accepts(ebnf, '{title:<|"|>t<|"|>,score:11,tags:[],nested:{a:true,b:<|"|>x<|"|>}}'), false);
  assert.equal(await accepts(ebnf, '{title:<|"|>t<|"|>,score:1,tags:[],nested:{a:true,b:<|"|>y<|"|>}}'), false);
});

/** Base schemas the converter loosens (in every context), and the keywords they lose. */
const EXPECTED_LOOSENED: Record<string, RegExp> = {
  multipleOf: /^multipleOf at /,
  patternSimple: /^pattern at /,
  patternDigits: /^pattern at /,
  patternUnanchored: /^pattern at /,
  patternLookahead: /^pattern at /,
  patternBackref: /^pattern at /,
  formatEmail: /^format at /,
  formatUri: /^format at /,
  formatDateTime: /^format at /,
  formatUuid: /^format at /,
  formatUnknown: /^format at /,
  arrayUnique: /^uniqueItems at /,
  arrayContains: /^contains at /,
  objectPatternProps: /^patternProperties at /,
  objectDependent: /^dependentRequired at /,
  notKeyword: /^not at /,
  ifThenElse: /^if at .*; then at /,
};

test('every corpus schema compiles in Gemma syntax; the loosened ones are exactly the listed ones', async () => {
  const corpus = schemaCorpus();
  assert.ok(corpus.size >= 200);
  const loosened = new Map<string, string>();
  for (const [id, schema] of corpus) {
    const g = gemmaValueGrammar(schema, 'v');
    await xg.Grammar.fromEBNF(g.ebnf); // throws when XGrammar rejects the EBNF
    if (g.loosened.length) loosened.set(id, g.loosened.join('; '));
  }
  const contexts = corpus.size / Object.keys(BASE_SCHEMAS).length;
  assert.equal(loosened.size, Object.keys(EXPECTED_LOOSENED).length * contexts, JSON.stringify([...loosened]));
  for (const [id, what] of loosened) {
    const rule = EXPECTED_LOOSENED[id.split('/')[0]!];
    assert.ok(rule, `unexpected: ${id}: ${what}`);
    assert.match(what, rule, id);
  }
});

test('arguments that are not an object schema fall back to any object, reported', () => {
  assert.deepEqual(gemmaArgsGrammar({ type: 'string' }).loosened, ['type at /']);
  assert.deepEqual(gemmaArgsGrammar(true).loosened, []);
  assert.deepEqual(gemmaArgsGrammar({ type: 'object', properties: { '<|"|>': { type: 'string' } }, required: ['<|"|>'] }).loosened, ['properties at /properties/<|"|>']);
});

test('gemma4 plans compile: forced, single, lazy on a strict tool, and calls beside a response_format', async () => {
  const { planConstraint } = await import('../../src/agent/toolcalls/constraint/build.js');
  const compile = async (spec: { kind: string; tag?: unknown }) => {
    try {
      await xg.Grammar.fromStructuralTag(spec.tag as Record<string, unknown>);
      return null;
    } catch (err) {
      return String(err);
    }
  };
  const base = { format: 'gemma4', reasoning: null, tools, toolChoice: 'required' as const, singleCall: false, strictTools: new Set<string>(), responseFormat: null };
  const call = '<|tool_call>call:get_weather{city:<|"|>Rome<|"|>,unit:<|"|>celsius<|"|>}<tool_call|>';
  const cases: Array<[Parameters<typeof planConstraint>[0], string[], string[]]> = [
    [base, [call, call + call], ['text first' + call]],
    [{ ...base, singleCall: true }, [call], [call + call]],
    [{ ...base, toolChoice: 'auto', strictTools: new Set(['get_weather']) }, ['Sure. ' + call + ' then text', 'no call at all'], ['<|tool_call>call:get_weather{city:1}<tool_call|>']],
    [{ ...base, toolChoice: 'auto', responseFormat: { type: 'json_object' } }, [call, '{"a": 1}'], ['plain text']],
  ];
  for (const [req, good, bad] of cases) {
    const plan = await planConstraint(req, compile);
    assert.deepEqual(plan.warnings, [], JSON.stringify(req.toolChoice));
    assert.ok(plan.constraint);
    assert.equal(plan.constraint.spec.kind, 'structural_tag');
    const grammar = await xg.Grammar.fromStructuralTag((plan.constraint.spec as { tag: Record<string, unknown> }).tag);
    for (const text of good) assert.equal(await xg.Testings.isGrammarAcceptString(grammar, text), true, text);
    for (const text of bad) assert.equal(await xg.Testings.isGrammarAcceptString(grammar, text), false, text);
  }
});
