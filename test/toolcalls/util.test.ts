// The shared utilities: partial-JSON scanning and its safe prefixes, schema typing, marker hold-back, ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanJson, scanObjectMembers } from '../../src/agent/toolcalls/util/json.js';
import { typeValue } from '../../src/agent/toolcalls/util/schema.js';
import { markerPrefixLength, holdBack } from '../../src/agent/toolcalls/util/holdback.js';
import { createIdGenerator } from '../../src/agent/toolcalls/util/ids.js';
import { buildXmlArguments } from '../../src/agent/toolcalls/util/xmlargs.js';

test('scanJson finds the end of a complete value inside surrounding text', () => {
  const t = 'x {"a": [1, {"b": "}]"}], "c": null} tail';
  const s = scanJson(t, 2);
  assert.equal(s.complete, true);
  assert.equal(t.slice(2, s.end), '{"a": [1, {"b": "}]"}], "c": null}');
});

test('every prefix of a JSON text has a safe prefix that heals into valid JSON and only grows', () => {
  const full = '{"s": "é\\"\\u00e9😀\\n", "n": -12.5e3, "t": true, "z": null, "a": [1, [2, {"k": "v"}], []], "o": {}}';
  let prevSafe = 0;
  for (let i = 1; i <= full.length; i++) {
    const s = scanJson(full.slice(0, i), 0, false);
    assert.equal(s.invalid, false, `prefix ${i}`);
    assert.ok(s.safeEnd >= prevSafe, `safe prefix shrank at ${i}`);
    prevSafe = s.safeEnd;
    const healed = full.slice(0, s.safeEnd) + s.heal;
    if (s.safeEnd > 0) assert.doesNotThrow(() => JSON.parse(healed), `prefix ${i}: ${healed}`);
  }
  assert.equal(scanJson(full, 0, false).complete, true);
});

test('scanJson reports invalid JSON and where it broke', () => {
  assert.equal(scanJson('{"a" 1}').invalid, true);
  assert.equal(scanJson('{"a": tru}').invalid, true);
  assert.equal(scanJson('{"a": 01}').invalid, true);
  assert.equal(scanJson('{"a": "x\ny"}').invalid, true);
  const s = scanJson('{"a": 1, x}');
  assert.equal(s.invalid, true);
  assert.equal(s.end, 9);
});

test('scanObjectMembers lists top-level members of a partial object', () => {
  const o = scanObjectMembers('{"name": "f", "arguments": {"x": "{\\"', 0);
  assert.deepEqual(o.members.map((m) => m.key), ['name', 'arguments']);
  assert.equal(o.complete, false);
});

test('typeValue types raw text by the schema; strings stay raw; unknown best effort', () => {
  assert.equal(typeValue('42', { type: 'integer' }), '42');
  assert.equal(typeValue('007', { type: 'integer' }), '7');
  assert.equal(typeValue('3.0', { type: 'integer' }), '3');
  assert.equal(typeValue('2.50', { type: 'number' }), '2.5');
  assert.equal(typeValue('True', { type: 'boolean' }), 'true');
  assert.equal(typeValue('None', { type: ['string', 'null'] }), 'null');
  assert.equal(typeValue('{"a": 1}', { type: 'object' }), '{"a":1}');
  assert.equal(typeValue('[1, 2]', { type: 'array' }), '[1,2]');
  assert.equal(typeValue('0042', { type: 'string' }), '"0042"');
  assert.equal(typeValue('abc', { type: 'integer' }), '"abc"');
  assert.equal(typeValue('12', undefined), '12');
  assert.equal(typeValue('hello', undefined), '"hello"');
  assert.equal(typeValue('x', { enum: ['x', 'y'] }), '"x"');
  assert.equal(typeValue('5', { anyOf: [{ type: 'integer' }, { type: 'string' }] }), '5');
});

test('buildXmlArguments streams string values and holds typed ones back', () => {
  const tools = [{ type: 'function' as const, function: { name: 'f', parameters: { type: 'object', properties: { s: { type: 'string' }, n: { type: 'integer' } } } } }];
  assert.equal(buildXmlArguments([{ key: 's', value: '\nab', closed: false }], 'f', tools, false), '{"s": "ab');
  assert.equal(buildXmlArguments([{ key: 's', value: '\nab\n', closed: true }, { key: 'n', value: '4', closed: false }], 'f', tools, false), '{"s": "ab"');
  assert.equal(buildXmlArguments([{ key: 's', value: 'ab', closed: true }, { key: 'n', value: '4', closed: true }], 'f', tools, true), '{"s": "ab", "n": 4}');
});

test('markerPrefixLength holds back the longest possible marker start', () => {
  assert.equal(markerPrefixLength('text <tool_ca', ['<tool_call>', '<think>']), 8);
  assert.equal(markerPrefixLength('text <', ['<tool_call>']), 1);
  assert.equal(markerPrefixLength('text', ['<tool_call>']), 0);
  assert.equal(holdBack('abc [TOOL', ['[TOOL_CALLS]'], false), 'abc ');
  assert.equal(holdBack('abc [TOOL', ['[TOOL_CALLS]'], true), 'abc [TOOL');
});

test('id generators: shapes, uniqueness, determinism', () => {
  const g = createIdGenerator('mistral9', 1);
  const ids = Array.from({ length: 200 }, (_, i) => g.next('f', i));
  assert.equal(new Set(ids).size, 200);
  for (const id of ids) assert.match(id, /^[A-Za-z0-9]{9}$/);
  assert.equal(createIdGenerator('openai', 9).next('f', 0), createIdGenerator('openai', 9).next('f', 0));
  assert.equal(createIdGenerator('kimi').next('get_weather', 2), 'functions.get_weather:2');
});
