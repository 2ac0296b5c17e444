// The incremental driver's contracts: (1) resuming a scanner from any checkpoint it reports gives exactly what a
// fresh scan of the whole text gives; (2) the work done for a stream is linear in its length: the text handed
// to the scanners over a 4-character-chunk stream stays within a small multiple of the output, for every parser
// (a driver that re-scanned everything would hand over about n²/8 characters).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listToolParsers, resolveParsers } from '../../src/agent/toolcalls/index.js';
import { scanWithCheckpoints } from '../../src/agent/toolcalls/checkpoints.js';
import { createStreamDriver } from '../../src/agent/toolcalls/stream.js';
import type { Segment, ToolCallFormat } from '../../src/agent/toolcalls/types.js';
import { allFixtures } from './collect.js';
import { TOOLS } from './fixtures/common.js';

/** Segments with adjacent text (and reasoning) merged, so splits at checkpoints compare equal. */
function merged(segs: Segment[]): Segment[] {
  const out: Segment[] = [];
  for (const s of segs) {
    const last = out[out.length - 1];
    if ((s.kind === 'text' || s.kind === 'reasoning') && last && last.kind === s.kind) out[out.length - 1] = { kind: s.kind, text: last.text + s.text };
    else if (s.kind === 'call' && s.continues && last?.kind === 'call' && last.open) {
      // A checkpoint inside a call: the call so far, then its continuation.
      const whole: Segment = { kind: 'call', name: last.name, arguments: last.arguments + s.arguments, complete: s.complete, raw: last.raw + s.raw };
      if (s.open) whole.open = true;
      out[out.length - 1] = whole;
    }
    else if (s.kind !== 'text' || s.text !== '') out.push(s);
  }
  return out;
}

const fixtures = await allFixtures();

for (const fmt of listToolParsers()) {
  test(`${fmt.name}: resuming from any checkpoint equals a fresh scan`, () => {
    const inputs = fixtures.filter((f) => resolveParsers({ toolParser: f.parser ?? 'auto' }).tool.name === fmt.name).map((f) => f.input);
    inputs.push(`Plain prose, then more.\n\n${'a line of text\n'.repeat(20)}`);
    let resumed = 0;
    for (const text of inputs) {
      const ctx = { tools: TOOLS };
      const fresh = merged(fmt.scan(text, { ...ctx, final: true }));
      for (let cut = 1; cut < text.length; cut++) {
        const r = scanWithCheckpoints<Segment>(text.slice(0, cut), undefined, (t, hooks) => fmt.scan(t, { ...ctx, final: false, ...hooks }));
        if (r.consumed === 0) continue;
        resumed++;
        const rest = fmt.scan(text.slice(r.consumed), { ...ctx, final: true, resume: { state: r.state } });
        assert.deepEqual(merged([...r.settled, ...rest]), fresh, `cut at ${cut}, resumed at ${r.consumed} (${r.state}) of ${JSON.stringify(text)}`);
      }
    }
    assert.ok(resumed > 0, 'the scanner never reported a checkpoint');
  });
}

for (const fmt of listToolParsers()) {
  test(`${fmt.name}: a 32 KB answer streamed in 4-character chunks is scanned in linear work`, () => {
    let scanned = 0;
    const counting: ToolCallFormat = {
      ...fmt,
      scan: (text, ctx) => {
        scanned += text.length;
        return fmt.scan(text, ctx);
      },
    };
    const { reasoning } = resolveParsers({ toolParser: fmt.name });
    const text = `<think>\nPlanning.\n</think>\n\n${'Some prose with `code` and a = b + c; then more words.\n'.repeat(600)}`;
    const d = createStreamDriver({ tool: counting, reasoning, tools: TOOLS, toolsGiven: true, toolChoice: 'auto', startsInReasoning: false, idStyle: 'openai', idSeed: 1 });
    for (let i = 0; i < text.length; i += 4) d.push(text.slice(i, i + 4));
    d.finish();
    assert.ok(d.result().content?.endsWith('then more words.'), 'the answer came through');
    assert.ok(scanned < 8 * text.length, `${scanned} characters scanned for a ${text.length}-character answer`);
  });
}

// One long call (an agent writing a file): the formats whose scanners checkpoint inside a string value are
// scanned in linear work too, and the arguments streamed in pieces are the final ones.
// (One newline after the opening tag and one before the closing tag are the template's, not the value's.)
const LONG_CALLS: Array<[parser: string, render: (content: string) => string, value: (content: string) => string]> = [
  ['qwen3_coder', (c) => `<tool_call>\n<function=echo>\n<parameter=text>\n${c}\n</parameter>\n</function>\n</tool_call>`, (c) => c],
  ['seed_oss', (c) => `<seed:tool_call>\n<function=echo>\n<parameter=text>${c}</parameter>\n</function>\n</seed:tool_call>`, (c) => c.slice(0, -1)],
];
for (const [parser, render, value] of LONG_CALLS) {
  test(`${parser}: one 32 KB call streamed in 4-character chunks is scanned in linear work`, () => {
    const fmt = resolveParsers({ toolParser: parser }).tool;
    let scanned = 0;
    const counting: ToolCallFormat = { ...fmt, scan: (text, ctx) => ((scanned += text.length), fmt.scan(text, ctx)) };
    const content = 'line with "quotes", a \\ backslash, <tags> and 東京 😀\n'.repeat(640);
    const text = `I will write it.\n${render(content)}`;
    const d = createStreamDriver({ tool: counting, reasoning: null, tools: TOOLS, toolsGiven: true, toolChoice: 'auto', startsInReasoning: false, idStyle: 'openai', idSeed: 1 });
    let streamed = '';
    for (let i = 0; i < text.length; i += 4) for (const x of d.push(text.slice(i, i + 4))) if (x.type === 'tool_call' && x.arguments) streamed += x.arguments;
    for (const x of d.finish()) if (x.type === 'tool_call' && x.arguments) streamed += x.arguments;
    const calls = d.result().tool_calls;
    assert.equal(calls.length, 1);
    assert.deepEqual(JSON.parse(calls[0].function.arguments), { text: value(content) });
    assert.equal(streamed, calls[0].function.arguments);
    assert.ok(scanned < 8 * text.length, `${scanned} characters scanned for a ${text.length}-character answer`);
  });
}
