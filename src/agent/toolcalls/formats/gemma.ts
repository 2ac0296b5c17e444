// Gemma tool calls:
//   gemma4:        <|tool_call>call:NAME{key:<|"|>text<|"|>,n:42}<tool_call|>, reasoning in <|channel>thought\n…<channel|>
//   functiongemma: <start_function_call>call:NAME{key:<escape>text<escape>}<end_function_call>
//   gemma3 (and the gemma4 fallback): a ```tool_code fence holding Python calls, NAME(key="value", n=1)
import type { ScanContext, Segment, ToolCallFormat } from '../types.js';
import { convertGemmaArgs } from './gemma-args.js';
import { scanToolCode, TOOL_CODE_FENCE } from './gemma-tool-code.js';
import { scanLeadingCallList } from './pythonic.js';
import { SegmentBuilder, couldBeMarker, readName, skipWs, textUntilMarker, type Step } from './scan-kit.js';
import { resumable, VALUE_LEAD } from '../value-checkpoints.js';

interface CallTokens {
  open: string;
  close: string;
  delim: string;
  label: string;
}

const GEMMA4: CallTokens = { open: '<|tool_call>', close: '<tool_call|>', delim: '<|"|>', label: 'Gemma 4' };
const FUNCTION_GEMMA: CallTokens = { open: '<start_function_call>', close: '<end_function_call>', delim: '<escape>', label: 'FunctionGemma' };
const THOUGHT_OPEN = '<|channel>';
const THOUGHT_CLOSE = '<channel|>';
const REASONING_CHANNELS = new Set(['thought', 'thinking', 'analysis']);

/**
 * One call whose opening token is at `at`; null when the token does not open a call. `head`: the markup a scan
 * needs before the call to read it the same way (the opening of the channel it stands in).
 */
function scanCall(text: string, at: number, tok: CallTokens, ctx: ScanContext, b: SegmentBuilder, head = ''): Step | null {
  const toClose = (from: number, message: string): Step => {
    const close = text.indexOf(tok.close, from);
    if (close < 0 && !ctx.final) return { stop: true };
    const end = close < 0 ? text.length : close + tok.close.length;
    b.warn('malformed_call', message, text.slice(from, end));
    return { next: end };
  };
  let i = skipWs(text, at + tok.open.length);
  if (text.startsWith('call:', i)) i += 'call:'.length;
  else if (!ctx.final && couldBeMarker(text, i, ['call:'])) return { stop: true };
  const { name, end: nameEnd } = readName(text, i);
  const brace = skipWs(text, nameEnd);
  if (brace >= text.length && !ctx.final) return { stop: true };
  // Without a name and an argument object the token is not opening a call (e.g. prose quoting it).
  if (!name || text[brace] !== '{') return null;
  // Some Gemma 4 outputs double the braces (call:f{{k:v}}): read the inner object, then its extra brace.
  const inner = skipWs(text, brace + 1);
  const doubled = text[inner] === '{';
  const conv = convertGemmaArgs(text, doubled ? inner : brace, { delim: tok.delim, tools: ctx.tools, toolName: name });
  if (conv.status === 'partial') {
    b.call(name, conv.out, false, text.slice(at));
    const open = conv.openString;
    if (open && open.end > open.from) ctx.openValue?.(head + text.slice(at, open.from) + VALUE_LEAD, open.end);
    return { stop: true };
  }
  if (conv.status === 'invalid') {
    b.call(name, conv.out, false, text.slice(at, conv.end));
    return toClose(conv.end, `${tok.label} tool call "${name}": unreadable arguments`);
  }
  let argsEnd = conv.end;
  if (doubled && text[skipWs(text, argsEnd)] === '}') argsEnd = skipWs(text, argsEnd) + 1;
  const r = skipWs(text, argsEnd);
  if (text.startsWith(tok.close, r)) {
    b.call(name, conv.out, true, text.slice(at, r + tok.close.length));
    return { next: r + tok.close.length };
  }
  b.call(name, conv.out, true, text.slice(at, argsEnd));
  if (r >= text.length) return ctx.final ? { next: r } : { stop: true };
  if (text.startsWith(tok.open, r)) return { next: r };
  if (!ctx.final && couldBeMarker(text, r, [tok.close, tok.open])) return { stop: true };
  return toClose(argsEnd, `${tok.label} tool call "${name}": unexpected text after its arguments`);
}

/**
 * A <|channel>NAME\n…<channel|> block at `at`. Calls written inside a thought are real calls (special tokens
 * cannot be prose); the thought goes on after them until <channel|>.
 */
function scanChannel(text: string, at: number, ctx: ScanContext, b: SegmentBuilder): Step {
  // A doubled channel token (<|channel><|channel>thought) is one channel opening.
  let nameStart = at + THOUGHT_OPEN.length;
  while (text.startsWith(THOUGHT_OPEN, nameStart)) nameStart += THOUGHT_OPEN.length;
  if (!ctx.final && couldBeMarker(text, nameStart, [THOUGHT_OPEN])) return { stop: true };
  const m = /^[A-Za-z_]*/.exec(text.slice(nameStart, nameStart + 40));
  let i = nameStart + (m ? m[0].length : 0);
  if (i >= text.length && !ctx.final) return { stop: true };
  const channel = m ? m[0] : '';
  if (text[i] === '\n') i++;
  const emit = (s: string): void => (REASONING_CHANNELS.has(channel) ? b.reasoning(s) : b.text(s));
  for (;;) {
    const hit = textUntilMarker(text, i, [THOUGHT_CLOSE, GEMMA4.open], ctx.final, emit);
    if (!hit) return { stop: true };
    if (hit.marker === THOUGHT_CLOSE) return { next: hit.index + THOUGHT_CLOSE.length };
    const step = scanCall(text, hit.index, GEMMA4, ctx, b, text.slice(at, nameStart + channel.length) + (text[nameStart + channel.length] === '\n' ? '\n' : ''));
    if (step === null) {
      emit(hit.marker);
      i = hit.index + hit.marker.length;
      continue;
    }
    if ('stop' in step) return step;
    i = step.next;
  }
}

function scanGemmaFamily(text: string, ctx: ScanContext, tok: CallTokens | null, channels: boolean, b = new SegmentBuilder(), from = 0): Segment[] {
  const markers = [TOOL_CODE_FENCE];
  if (tok) markers.push(tok.open, tok.close);
  if (channels) markers.push(THOUGHT_OPEN, THOUGHT_CLOSE);
  let pos = from;
  while (pos <= text.length) {
    const hit = textUntilMarker(text, pos, markers, ctx.final, (s) => b.text(s), (at) => ctx.checkpoint?.(at, b.segments));
    if (!hit) break;
    let step: Step | null;
    if (tok && hit.marker === tok.open) step = scanCall(text, hit.index, tok, ctx, b);
    else if (hit.marker === THOUGHT_OPEN) step = scanChannel(text, hit.index, ctx, b);
    else if (hit.marker === TOOL_CODE_FENCE) step = scanToolCode(text, hit.index, ctx, b);
    else step = { next: hit.index + hit.marker.length }; // a stray closing token is markup
    if (step === null) {
      b.text(hit.marker);
      pos = hit.index + hit.marker.length;
      continue;
    }
    if ('stop' in step) break;
    pos = step.next;
  }
  return b.segments;
}

export const scanGemma4 = resumable((text, ctx) => scanGemmaFamily(text, ctx, GEMMA4, true));

export const gemma4Format: ToolCallFormat = {
  name: 'gemma4',
  aliases: ['gemma_4'],
  family: 'gemma',
  markers: ['<|tool_call>', '<tool_call|>'],
  inlineReasoning: true,
  scan: scanGemma4,
};

export const functionGemmaFormat: ToolCallFormat = {
  name: 'functiongemma',
  aliases: ['function_gemma'],
  family: 'gemma',
  markers: ['<start_function_call>'],
  // Its template is built on Gemma 3's turns: with them it still outranks gemma3's template-only markers below.
  altMarkers: [['<start_function_call>', '<start_of_turn>']],
  defaultReasoning: 'none',
  scan: resumable((text, ctx) => scanGemmaFamily(text, ctx, FUNCTION_GEMMA, false)),
};

export const gemma3Format: ToolCallFormat = {
  name: 'gemma3',
  aliases: ['gemma_3', 'gemma', 'tool_code'],
  family: 'gemma',
  markers: ['<start_of_turn>', 'tool_code'],
  // The real Gemma 3 template names no tool syntax at all; its turn marker and its first_user_prefix variable
  // (how it folds the system prompt into the first user turn) identify it.
  altMarkers: [['<start_of_turn>', 'first_user_prefix']],
  defaultReasoning: 'none',
  scan: resumable(scanGemma3),
};

/** Gemma 3: Google's function-calling guide has it answer with a bare Python call list, or a tool_code fence. */
function scanGemma3(text: string, ctx: ScanContext): Segment[] {
  const lead: Segment[] = [];
  const from = ctx.resume ? 0 : scanLeadingCallList(text, ctx, lead);
  if (from === null) return lead;
  const b = new SegmentBuilder();
  b.push(...lead);
  return scanGemmaFamily(text, ctx, null, false, b, from);
}

