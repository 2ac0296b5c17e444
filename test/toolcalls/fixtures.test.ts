// Every fixture of every family: parseModelOutput matches the expected fields, and the family has >= 15 cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModelOutput } from '../../src/agent/toolcalls/index.js';
import { allFixtures } from './collect.js';
import { optsOf } from './harness.js';

const fixtures = await allFixtures();

test('every family has at least 15 fixtures', () => {
  const counts = new Map<string, number>();
  for (const fx of fixtures) counts.set(fx.family, (counts.get(fx.family) ?? 0) + 1);
  assert.ok(counts.size >= 9, `families: ${[...counts.keys()].join(', ')}`);
  for (const [family, n] of counts) assert.ok(n >= 15, `${family} has only ${n} fixtures`);
});

for (const fx of fixtures) {
  test(fx.name, () => {
    const r = parseModelOutput(fx.input, optsOf(fx));
    const e = fx.expected;
    if ('content' in e) assert.equal(r.content, e.content, 'content');
    if ('reasoning_content' in e) assert.equal(r.reasoning_content, e.reasoning_content, 'reasoning_content');
    if (e.tool_calls) {
      const got = r.tool_calls.map((c) => {
        let args: unknown = c.function.arguments;
        try {
          args = JSON.parse(c.function.arguments);
        } catch {
          // keep the raw string: the comparison will show it
        }
        const o: { name: string; arguments: unknown; unknown?: boolean } = { name: c.function.name, arguments: args };
        if (c.unknown) o.unknown = true;
        return o;
      });
      assert.deepEqual(got, e.tool_calls, 'tool_calls');
      for (const c of r.tool_calls) assert.equal(c.type, 'function');
      assert.equal(new Set(r.tool_calls.map((c) => c.id)).size, r.tool_calls.length, 'ids unique');
    }
    // A call that never finished is never a tool call; what the model wrote of it is kept as written.
    const wanted = e.unfinished ?? [];
    assert.equal(r.unfinished_calls.length, wanted.length, `unfinished_calls: ${JSON.stringify(r.unfinished_calls)}`);
    r.unfinished_calls.forEach((u, i) => {
      const w = wanted[i];
      assert.deepEqual({ name: u.name, cause: u.cause }, { name: w.name, cause: w.cause }, 'unfinished call');
      if (typeof w.arguments === 'string') assert.equal(u.arguments, w.arguments, 'unfinished arguments');
      else assert.match(u.arguments, w.arguments, 'unfinished arguments');
    });
    if (e.warnings) assert.deepEqual(r.warnings.map((w) => w.code), e.warnings, 'warnings');
  });
}
