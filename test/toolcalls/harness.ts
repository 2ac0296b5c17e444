// Test helpers: run a text through the streaming path with a given chunking and assemble the deltas the way an
// OpenAI client would, so it can be compared with parseModelOutput.
import type { ParseResult, StreamDelta } from '../../src/agent/toolcalls/types.js';
import { createStreamParser, type ParserOptions } from '../../src/agent/toolcalls/index.js';
import { seededRandom } from '../../src/agent/toolcalls/util/ids.js';
import type { Fixture } from './fixtures/index.js';
import { TOOLS } from './fixtures/common.js';

/** Parser options of a fixture (deterministic ids). */
export function optsOf(fx: Fixture): ParserOptions {
  return {
    toolParser: fx.parser,
    reasoningParser: fx.reasoningParser,
    tools: fx.tools,
    toolChoice: fx.toolChoice,
    startsInReasoning: fx.startsInReasoning,
    idSeed: 7,
  };
}

export interface Assembled {
  content: string | null;
  reasoning_content: string | null;
  tool_calls: Array<{ id: string; name: string; arguments: string }>;
  warnings: string[];
  result: ParseResult;
}

export function assemble(chunks: string[], opts: ParserOptions): Assembled {
  const p = createStreamParser(opts);
  const deltas: StreamDelta[] = [];
  for (const c of chunks) deltas.push(...p.push(c));
  deltas.push(...p.finish());
  let content = '';
  let reasoning = '';
  const calls: Array<{ id: string; name: string; arguments: string }> = [];
  const warnings: string[] = [];
  for (const d of deltas) {
    if (d.type === 'content') content += d.text;
    else if (d.type === 'reasoning') reasoning += d.text;
    else if (d.type === 'warning') warnings.push(d.warning.code);
    else {
      if (d.id !== undefined) {
        if (d.index !== calls.length) throw new Error(`call index ${d.index} out of order`);
        calls.push({ id: d.id, name: d.name ?? '', arguments: '' });
      }
      if (d.arguments !== undefined) calls[d.index].arguments += d.arguments;
    }
  }
  return { content: content === '' ? null : content, reasoning_content: reasoning === '' ? null : reasoning, tool_calls: calls, warnings, result: p.result() };
}

/** The shape of a ParseResult an assembled stream must reproduce. */
export function shape(r: ParseResult): Omit<Assembled, 'result'> {
  return {
    content: r.content,
    reasoning_content: r.reasoning_content,
    tool_calls: streamedCalls(r),
    warnings: r.warnings.map((w) => w.code),
  };
}

/** Split text into random chunks of 1..maxLen characters. */
export function randomChunks(text: string, seed: number, maxLen = 8): string[] {
  const rand = seededRandom(seed);
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const n = 1 + Math.floor(rand() * maxLen);
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

/** Every call a stream showed, in stream order: the complete ones and, at their indices, the unfinished ones. */
function streamedCalls(r: ParseResult): Array<{ id: string; name: string; arguments: string }> {
  const calls = r.tool_calls.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments }));
  for (const u of [...r.unfinished_calls].sort((a, b) => a.index - b.index)) calls.splice(u.index, 0, { id: u.id, name: u.name, arguments: u.arguments });
  return calls;
}

/** The deltas of `input` pushed one character at a time through `parser` (with the shared test tools). */
export function streamByChar(parser: string, input: string): StreamDelta[] {
  const p = createStreamParser({ toolParser: parser, tools: TOOLS, idSeed: 1 });
  const out: StreamDelta[] = [];
  for (const ch of input) out.push(...p.push(ch));
  out.push(...p.finish());
  return out;
}
