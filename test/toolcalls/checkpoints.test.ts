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
import { callOutput, WRITE_FILE_TOOLS } from '../../scripts/parser-workloads.js';

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

// One long call (an agent writing a file), in every format: the scanners checkpoint inside the string value, so
// the work stays linear, and the arguments streamed in pieces are the final ones, which are those of a one-shot
// parse of the whole output.
const LONG_CONTENT = 'line with "quotes", a \\ backslash, <tags> and 東京 😀\n'.repeat(640).slice(0, -1);

function checkLongCall(fmt: ToolCallFormat, text: string): void {
  let scanned = 0;
  const counting: ToolCallFormat = { ...fmt, scan: (t, ctx) => ((scanned += t.length), fmt.scan(t, ctx)) };
  const config = { tool: counting, reasoning: null, tools: WRITE_FILE_TOOLS, toolsGiven: true, toolChoice: 'auto' as const, startsInReasoning: false, idStyle: 'openai' as const, idSeed: 1 };
  const d = createStreamDriver(config);
  let streamed = '';
  for (let i = 0; i < text.length; i += 4) for (const x of d.push(text.slice(i, i + 4))) if (x.type === 'tool_call' && x.arguments) streamed += x.arguments;
  for (const x of d.finish()) if (x.type === 'tool_call' && x.arguments) streamed += x.arguments;
  const calls = d.result().tool_calls;
  assert.equal(calls.length, 1, JSON.stringify(d.result().warnings));
  assert.equal(streamed, calls[0].function.arguments);
  const oneShot = createStreamDriver({ ...config, tool: fmt });
  oneShot.push(text);
  oneShot.finish();
  assert.deepEqual(calls, oneShot.result().tool_calls);
  const args = JSON.parse(calls[0].function.arguments) as { path: string; content: string };
  assert.equal(args.path, 'out.txt');
  assert.equal(args.content.trim(), LONG_CONTENT.trim());
  assert.ok(scanned < 8 * text.length, `${scanned} characters scanned for a ${text.length}-character answer`);
}

for (const fmt of listToolParsers()) {
  test(`${fmt.name}: one 32 KB call streamed in 4-character chunks is scanned in linear work`, () => {
    const text = callOutput(fmt.name, LONG_CONTENT);
    assert.ok(text !== null, `no write_file rendering for ${fmt.name} in scripts/parser-workloads.ts`);
    checkLongCall(fmt, text);
  });
}

// The other shapes some formats read (a call inside a thought channel, a bare list at the start, a fence, ...).
const args = (c: string): Record<string, string> => ({ path: 'out.txt', content: c });
const envelope = (c: string): string => JSON.stringify({ name: 'write_file', arguments: args(c) });
const qwenXml = (c: string): string => `<tool_call>\n<function=write_file>\n<parameter=path>\nout.txt\n</parameter>\n<parameter=content>\n${c}\n</parameter>\n</function>\n</tool_call>`;
const OTHER_SHAPES: Array<[parser: string, shape: string, render: (c: string) => string]> = [
  ['nemotron', 'Qwen3 XML body', (c) => `Writing.\n${qwenXml(c)}`],
  ['auto', 'Qwen3 XML', (c) => `Writing.\n${qwenXml(c)}`],
  ['auto', 'mistral', (c) => `Writing.\n[TOOL_CALLS]write_file[ARGS]${JSON.stringify(args(c))}`],
  ['auto', 'gemma4', (c) => `Writing.\n<|tool_call>call:write_file{path:<|"|>out.txt<|"|>,content:<|"|>${c}<|"|>}<tool_call|>`],
  ['gemma4', 'call inside a thought', (c) => `<|channel>thought\nPlanning.\n<|tool_call>call:write_file{path:<|"|>out.txt<|"|>,content:<|"|>${c}<|"|>}<tool_call|>Done.<channel|>Written.`],
  ['gemma3', 'bare list', (c) => `[write_file(path="out.txt", content=${JSON.stringify(c)})]`],
  ['gemma3', 'tool_code fence', (c) => `Writing.\n\`\`\`tool_code\nwrite_file(path="out.txt", content=${JSON.stringify(c)})\n\`\`\``],
  ['pythonic', 'python_start wrapper', (c) => `Writing.\n<|python_start|>[write_file(path="out.txt", content=${JSON.stringify(c)})]<|python_end|>`],
  ['mistral', 'envelope list', (c) => `Writing.\n[TOOL_CALLS][${envelope(c)}]`],
  ['mistral', 'one envelope', (c) => `Writing.\n[TOOL_CALLS]${envelope(c)}`],
  ['llama3', 'bare envelope', (c) => JSON.stringify({ name: 'write_file', parameters: args(c) })],
  ['xlam', 'json fence', (c) => `Writing.\n\`\`\`json\n[${envelope(c)}]\n\`\`\``],
  ['xlam', '[TOOL_CALLS] list', (c) => `Writing.\n[TOOL_CALLS][${envelope(c)}]`],
  ['xlam', '<tool_call> tag', (c) => `Writing.\n<tool_call>${envelope(c)}</tool_call>`],
  ['functionary', 'v3.2 leading message', (c) => `write_file\n${JSON.stringify(args(c))}`],
  ['functionary', 'v2 recipient', (c) => `<|from|>assistant\n<|recipient|>write_file\n<|content|>${JSON.stringify(args(c))}<|stop|>`],
  ['hermes', 'list inside the tag', (c) => `Writing.\n<tool_call>[${envelope(c)}]</tool_call>`],
  ['deepseek_v3.1', 'DeepSeek V3 shape', (c) => `Writing.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>write_file\n\`\`\`json\n${JSON.stringify(args(c))}\n\`\`\`<｜tool▁call▁end｜><｜tool▁calls▁end｜>`],
];
for (const [parser, shape, render] of OTHER_SHAPES) {
  test(`${parser} (${shape}): one 32 KB call streamed in 4-character chunks is scanned in linear work`, () => {
    checkLongCall(resolveParsers({ toolParser: parser }).tool, render(LONG_CONTENT));
  });
}
