// The ```tool_code fence Gemma 3 writes for calls (Gemma 4 falls back to it too): Python call expressions,
//   ```tool_code
//   get_weather(city="Paris", days=3)
//   ```
// one per line (an outer print(...) is unwrapped). Keyword arguments only; string values stream as they arrive,
// other values once complete. A fence with another language tag is ordinary text.
import type { ScanContext } from '../types.js';
import { cutLoneSurrogate } from '../util/holdback.js';
import { PyEnd, PySyntax, parsePyString, parsePyValue } from '../util/pyliteral.js';
import { SegmentBuilder, couldBeMarker, type Step } from './scan-kit.js';
import { VALUE_LEAD } from '../value-checkpoints.js';

export const TOOL_CODE_FENCE = '```tool_code';
const FENCE = '```';
const IDENT = /^[A-Za-z_][\w.]*/;

/** Spaces and tabs only: a newline separates calls. */
function skipBlanks(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  return i;
}

function skipAllWs(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i])) i++;
  return i;
}

/** Where a Python string literal opened at `open` stops being valid: a raw newline or a bad \x/\u escape. */
function stringBreak(text: string, open: number): number {
  for (let j = open + 1; j < text.length; j++) {
    if (text[j] === '\n') return j;
    if (text[j] === '\\') {
      const len = text[j + 1] === 'x' ? 2 : text[j + 1] === 'u' ? 4 : text[j + 1] === 'U' ? 8 : 0;
      const hex = text.slice(j + 2, j + 2 + len);
      if (len && (!/^[0-9a-fA-F]+$/.test(hex) || parseInt(hex, 16) > 0x10ffff)) return j;
      j++;
    }
  }
  return text.length;
}

type CallStep = { kind: 'done'; next: number } | { kind: 'stop' } | { kind: 'bad'; at: number };

/** One NAME(k=v, ...) at i, possibly wrapped in print(...); `head` is the fence's opening line. */
function scanPyCall(text: string, i: number, ctx: ScanContext, b: SegmentBuilder, head: string): CallStep {
  const start = i;
  let wrapped = false;
  if (text.startsWith('print(', i)) {
    wrapped = true;
    i = skipAllWs(text, i + 'print('.length);
  } else if (!ctx.final && couldBeMarker(text, i, ['print('])) return { kind: 'stop' };
  const m = IDENT.exec(text.slice(i, i + 200));
  if (!m) return i >= text.length && !ctx.final ? { kind: 'stop' } : { kind: 'bad', at: i };
  const name = m[0];
  let j = i + name.length;
  if (j >= text.length) return ctx.final ? { kind: 'bad', at: i } : { kind: 'stop' };
  if (text[j] !== '(') return { kind: 'bad', at: i };
  let args = '{';
  let n = 0;
  const pending = (partial: string): CallStep => {
    b.call(name, args + partial, false, text.slice(start));
    return { kind: 'stop' };
  };
  const broken = (at: number): CallStep => {
    b.call(name, args, false, text.slice(start, at));
    return { kind: 'bad', at };
  };
  j++;
  for (;;) {
    j = skipAllWs(text, j);
    if (j >= text.length) return pending('');
    if (text[j] === ')') {
      j++;
      if (wrapped) {
        j = skipAllWs(text, j);
        if (j >= text.length) return pending('');
        if (text[j] !== ')') return broken(j);
        j++;
      }
      b.call(name, args + '}', true, text.slice(start, j));
      return { kind: 'done', next: j };
    }
    if (n > 0) {
      if (text[j] !== ',') return broken(j);
      j = skipAllWs(text, j + 1);
      if (j >= text.length) return pending('');
      if (text[j] === ')') continue;
    }
    const k = IDENT.exec(text.slice(j, j + 200));
    if (!k) return broken(j);
    let e = skipAllWs(text, j + k[0].length);
    if (e >= text.length) return pending('');
    if (text[e] !== '=') return broken(j);
    e = skipAllWs(text, e + 1);
    if (e >= text.length) return pending('');
    const key = `${n ? ', ' : ''}${JSON.stringify(k[0])}: `;
    try {
      if (text[e] === '"' || text[e] === "'") {
        const s = parsePyString(text, e);
        if (!s.complete) {
          const step = pending(key + JSON.stringify(s.value.slice(0, s.safeLength)).slice(0, -1));
          // A checkpoint inside the string (value-checkpoints.ts): the fence's opening line, then this call alone.
          if (s.safeLength > 0) ctx.openValue?.(head + text.slice(start, e + 1) + VALUE_LEAD, s.safeEnd);
          return step;
        }
      }
      const v = parsePyValue(text, e);
      args += key + JSON.stringify(v.value);
      n++;
      j = v.end;
    } catch (err) {
      if (err instanceof PyEnd) return pending('');
      if (err instanceof PySyntax) {
        // A string that turned invalid keeps the text already streamed from it.
        if (text[e] === '"' || text[e] === "'") {
          const at = stringBreak(text, e);
          try {
            const s = parsePyString(text.slice(0, at), e);
            args += key + JSON.stringify(cutLoneSurrogate(s.value)).slice(0, -1);
          } catch {
            // Nothing more to keep than the arguments before this one.
          }
          return broken(at);
        }
        return broken(e);
      }
      throw err;
    }
  }
}

/**
 * The fence whose opening ```tool_code is at `at`. Null when it is not a tool_code fence after all (the tag
 * goes on with other letters), so the caller keeps it as text.
 */
export function scanToolCode(text: string, at: number, ctx: ScanContext, b: SegmentBuilder): Step | null {
  let i = skipBlanks(text, at + TOOL_CODE_FENCE.length);
  if (i >= text.length) return ctx.final ? null : { stop: true };
  if (text[i] === '\r') i++;
  if (text[i] !== '\n') return null;
  i++;
  const head = text.slice(at, i);
  for (;;) {
    i = skipAllWs(text, i);
    if (text.startsWith(FENCE, i)) return { next: i + FENCE.length };
    if (i >= text.length || (!ctx.final && couldBeMarker(text, i, [FENCE]))) {
      // Cut off inside the fence (or still arriving): nothing more to read.
      return ctx.final ? { next: text.length } : { stop: true };
    }
    const r = scanPyCall(text, i, ctx, b, head);
    if (r.kind === 'stop') return { stop: true };
    if (r.kind === 'done') {
      i = skipBlanks(text, r.next);
      if (text[i] === ';') i++;
      continue;
    }
    // Unreadable code: report it up to the closing fence.
    const close = text.indexOf(FENCE, r.at);
    if (close < 0 && !ctx.final) return { stop: true };
    const end = close < 0 ? text.length : close;
    b.warn('malformed_call', 'tool_code block holds code that is not a keyword-argument call', text.slice(r.at, end));
    i = end;
  }
}
