// value-checkpoints.ts on its own, with a toy format (@NAME"VALUE" writes a call whose one argument is the value):
// a checkpoint inside the value resumes from the reported markup, and a report whose markup does not reopen the
// call is ignored (no checkpoint, same result).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanWithCheckpoints } from '../../src/agent/toolcalls/checkpoints.js';
import { resumable, VALUE_LEAD } from '../../src/agent/toolcalls/value-checkpoints.js';
import { createStreamDriver } from '../../src/agent/toolcalls/stream.js';
import type { ScanContext, Segment, ToolCallFormat } from '../../src/agent/toolcalls/types.js';
import { tool } from './fixtures/index.js';

/** The toy scanner; `pre` builds the markup it reports (the right one unless a test breaks it). */
function toyScanner(pre: (text: string, callStart: number, valueStart: number) => string) {
  return (text: string, ctx: ScanContext): Segment[] => {
    const out: Segment[] = [];
    let pos = 0;
    for (;;) {
      ctx.checkpoint?.(pos, out);
      const at = text.indexOf('@', pos);
      if (at < 0) {
        if (pos < text.length) out.push({ kind: 'text', text: text.slice(pos) });
        ctx.checkpoint?.(text.length, out);
        return out;
      }
      if (at > pos) out.push({ kind: 'text', text: text.slice(pos, at) });
      const quote = text.indexOf('"', at);
      if (quote < 0) {
        out.push({ kind: 'call', name: null, arguments: '', complete: false, raw: text.slice(at) });
        return out;
      }
      const name = text.slice(at + 1, quote);
      const close = text.indexOf('"', quote + 1);
      const value = text.slice(quote + 1, close < 0 ? text.length : close);
      const args = `{"v": ${JSON.stringify(value).slice(0, close < 0 ? -1 : undefined)}${close < 0 ? '' : '}'}`;
      if (close < 0) {
        out.push({ kind: 'call', name, arguments: args, complete: false, raw: text.slice(at) });
        if (value !== '') ctx.openValue?.(pre(text, at, quote + 1), text.length);
        return out;
      }
      out.push({ kind: 'call', name, arguments: args, complete: true, raw: text.slice(at, close + 1) });
      pos = close + 1;
    }
  };
}

const TOOLS = [tool('put', { v: { type: 'string' } })];
const honest = resumable(toyScanner((text, callStart, valueStart) => text.slice(callStart, valueStart) + VALUE_LEAD));

test('a long value streams in linear work and the arguments are the whole value', () => {
  const value = 'abc\\u00e9 '.repeat(3000);
  const text = `Here: @put"${value}" done.`;
  let scanned = 0;
  const fmt: ToolCallFormat = { name: 'toy', aliases: [], family: 'toy', markers: [], scan: (t, c) => ((scanned += t.length), honest(t, c)) };
  const d = createStreamDriver({ tool: fmt, reasoning: null, tools: TOOLS, toolsGiven: true, toolChoice: 'auto', startsInReasoning: false, idStyle: 'openai', idSeed: 1 });
  let streamed = '';
  for (let i = 0; i < text.length; i += 4) for (const x of d.push(text.slice(i, i + 4))) if (x.type === 'tool_call' && x.arguments) streamed += x.arguments;
  for (const x of d.finish()) if (x.type === 'tool_call' && x.arguments) streamed += x.arguments;
  const r = d.result();
  assert.equal(r.tool_calls.length, 1);
  assert.deepEqual(JSON.parse(r.tool_calls[0].function.arguments), { v: value });
  assert.equal(streamed, r.tool_calls[0].function.arguments);
  assert.equal(r.content, 'Here:  done.');
  assert.ok(scanned < 3 * text.length, `${scanned} characters scanned for ${text.length}`);
});

test('resuming inside the value hands the scanner only the new text and continues the call', () => {
  const first = scanWithCheckpoints<Segment>('Hi @put"abcdef', undefined, (t, hooks) => honest(t, { final: false, tools: TOOLS, ...hooks }));
  assert.equal(first.consumed, 'Hi @put"abcdef'.length);
  const open = first.settled[first.settled.length - 1];
  assert.ok(open.kind === 'call' && open.open && open.arguments === '{"v": "abcdef');
  const rest = honest('gh" bye', { final: true, tools: TOOLS, resume: { state: first.state } });
  assert.deepEqual(rest[0], { kind: 'call', name: 'put', arguments: 'gh"}', complete: true, raw: 'gh"', continues: true });
  assert.deepEqual(rest[1], { kind: 'text', text: ' bye' });
});

test('a report whose markup does not reopen the call takes no checkpoint', () => {
  const broken = resumable(toyScanner(() => `prose ${VALUE_LEAD}`));
  const text = 'Hi @put"abcdef';
  const r = scanWithCheckpoints<Segment>(text, undefined, (t, hooks) => broken(t, { final: false, tools: TOOLS, ...hooks }));
  // No checkpoint inside the call: it stays in the tail, whole, to be re-scanned with the next chunk.
  assert.equal(r.consumed, 0);
  assert.deepEqual(r.tail, [
    { kind: 'text', text: 'Hi ' },
    { kind: 'call', name: 'put', arguments: '{"v": "abcdef', complete: false, raw: '@put"abcdef' },
  ]);
});
