// pythonic / llama4: [get_weather(city="Paris"), get_time(tz="UTC")] with Python literal arguments, at the start
// of the output or inside <|python_start|>…<|python_end|>. It is a call list only once the first call shows a
// keyword argument or closes (so "[see(above)]" and other bracketed prose stay text). String arguments stream.
import type { ScanContext, Segment, ToolCallFormat } from '../types.js';
import { findFirst, markerPrefixLength, cutLoneSurrogate } from '../util/holdback.js';
import { PyEnd, PySyntax, parsePyString, parsePyValue, skipPyWs } from '../util/pyliteral.js';
import { resumable, VALUE_LEAD } from '../value-checkpoints.js';

const START = '<|python_start|>';
const END = '<|python_end|>';
const IDENT = /^[A-Za-z_][\w.]*/;

type ListResult = { kind: 'notcall' } | { kind: 'stop' } | { kind: 'next'; next: number };

/** Parse the call list whose '[' is at `at`; `from` is where the call markup (maybe a wrapper) began. */
function scanCallList(text: string, from: number, at: number, ctx: ScanContext, out: Segment[], closer: string | null): ListResult {
  let i = skipPyWs(text, at + 1);
  let first = true;
  for (;;) {
    if (i >= text.length) return first && ctx.final ? { kind: 'notcall' } : { kind: 'stop' };
    const m = IDENT.exec(text.slice(i, i + 200));
    if (!m) return first ? { kind: 'notcall' } : malformed(text, from, i, ctx, out);
    const name = m[0];
    let j = i + name.length;
    if (j >= text.length) return first && ctx.final ? { kind: 'notcall' } : { kind: 'stop' };
    if (text[j] !== '(') return first ? { kind: 'notcall' } : malformed(text, from, i, ctx, out);
    const callStart = i;
    j = skipPyWs(text, j + 1);
    // Decide on the first call: a keyword argument or an empty argument list.
    if (first) {
      const k = IDENT.exec(text.slice(j, j + 200));
      const after = k ? skipPyWs(text, j + k[0].length) : j;
      if (j >= text.length || (k && after >= text.length)) return ctx.final ? { kind: 'notcall' } : { kind: 'stop' };
      if (!(text[j] === ')' || (k && text[after] === '='))) return { kind: 'notcall' };
    }
    first = false;
    let args = '{';
    let n = 0;
    for (;;) {
      j = skipPyWs(text, j);
      const pending = (partial: string): ListResult => {
        out.push({ kind: 'call', name, arguments: args + partial, complete: false, raw: text.slice(callStart) });
        return { kind: 'stop' };
      };
      if (j >= text.length) return pending('');
      if (text[j] === ')') {
        out.push({ kind: 'call', name, arguments: args + '}', complete: true, raw: text.slice(callStart, j + 1) });
        j = skipPyWs(text, j + 1);
        break;
      }
      const k = IDENT.exec(text.slice(j, j + 200));
      if (!k) return callMalformed(name, args, text, from, callStart, j, ctx, out);
      let e = skipPyWs(text, j + k[0].length);
      if (e >= text.length) return pending('');
      if (text[e] !== '=') return callMalformed(name, args, text, from, callStart, j, ctx, out);
      e = skipPyWs(text, e + 1);
      if (e >= text.length) return pending('');
      const key = `${n ? ', ' : ''}${JSON.stringify(k[0])}: `;
      try {
        if (text[e] === '"' || text[e] === "'") {
          const s = parsePyString(text, e);
          if (!s.complete) {
            const step = pending(key + JSON.stringify(s.value.slice(0, s.safeLength)).slice(0, -1));
            // A checkpoint inside the string (value-checkpoints.ts): the list's opening, then this call alone.
            // Only the bare list at the start of the output has no closer.
            if (s.safeLength > 0) ctx.openValue?.(text.slice(from, at + 1) + text.slice(callStart, e + 1) + VALUE_LEAD, s.safeEnd, closer === null);
            return step;
          }
        }
        const v = parsePyValue(text, e);
        args += key + JSON.stringify(v.value);
        n++;
        j = skipPyWs(text, v.end);
        if (j >= text.length) return pending('');
        if (text[j] === ',') j++;
        else if (text[j] !== ')') return callMalformed(name, args, text, from, callStart, j, ctx, out);
      } catch (err) {
        if (err instanceof PyEnd) return pending('');
        if (err instanceof PySyntax) {
          // A string value broken by a line break was already streamed up to the break: keep that prefix so the
          // final arguments extend what was sent.
          const kept = err.stringPrefix === undefined ? args : args + key + JSON.stringify(cutLoneSurrogate(err.stringPrefix)).slice(0, -1);
          return callMalformed(name, kept, text, from, callStart, e, ctx, out);
        }
        throw err;
      }
    }
    if (j >= text.length) return { kind: 'stop' };
    if (text[j] === ',') {
      i = skipPyWs(text, j + 1);
      continue;
    }
    if (text[j] !== ']') return malformed(text, from, j, ctx, out);
    let end = j + 1;
    if (closer) {
      const c = skipPyWs(text, end);
      if (text.startsWith(closer, c)) end = c + closer.length;
      else if (!ctx.final && (c >= text.length || closer.startsWith(text.slice(c)))) return { kind: 'stop' };
    }
    return { kind: 'next', next: end };
  }
}

function callMalformed(name: string, args: string, text: string, from: number, callStart: number, at: number, ctx: ScanContext, out: Segment[]): ListResult {
  out.push({ kind: 'call', name, arguments: args, complete: false, raw: text.slice(callStart, at) });
  return malformed(text, from, at, ctx, out);
}

/** Broken list after a call was already reported: the rest of the output is the malformed markup (at the end). */
function malformed(text: string, _from: number, at: number, ctx: ScanContext, out: Segment[]): ListResult {
  if (!ctx.final) return { kind: 'stop' };
  out.push({ kind: 'warning', warning: { code: 'malformed_call', message: 'invalid pythonic tool-call list', raw: text.slice(at) } });
  return { kind: 'next', next: text.length };
}

/**
 * A bare call list at the start of the output ([f(a=1), g()]): where scanning goes on after it (0 when the
 * output does not start with one), or null when the scan must stop here for now.
 */
export function scanLeadingCallList(text: string, ctx: ScanContext, out: Segment[]): number | null {
  const lead = skipPyWs(text, 0);
  if (lead >= text.length && !ctx.final) return null;
  if (text[lead] !== '[') return 0;
  const r = scanCallList(text, lead, lead, ctx, out, null);
  if (r.kind === 'stop') return null;
  return r.kind === 'next' ? r.next : 0;
}

/**
 * Call lists inside `start`…`end` anywhere in the text; with `leading`, also a bare list at the start of the
 * output.
 */
export function wrappedCallListScanner(start: string, end: string, leading: boolean): (text: string, ctx: ScanContext) => Segment[] {
  return resumable((text, ctx) => {
    const out: Segment[] = [];
    const first = ctx.resume || !leading ? 0 : scanLeadingCallList(text, ctx, out);
    if (first === null) return out;
    let pos = first;
    for (;;) {
      // Between calls the scan depends on nothing before: a checkpoint (see checkpoints.ts).
      ctx.checkpoint?.(pos, out);
      const hit = findFirst(text, [start], pos);
      if (!hit) {
        const rest = text.slice(pos);
        const hold = ctx.final ? 0 : markerPrefixLength(rest, [start]);
        if (rest.length > hold) out.push({ kind: 'text', text: rest.slice(0, rest.length - hold) });
        ctx.checkpoint?.(text.length - hold, out);
        return out;
      }
      if (hit.index > pos) out.push({ kind: 'text', text: text.slice(pos, hit.index) });
      const b = skipPyWs(text, hit.index + start.length);
      if (b >= text.length && !ctx.final) return out;
      const r = text[b] === '[' ? scanCallList(text, hit.index, b, ctx, out, end) : ({ kind: 'notcall' } as ListResult);
      if (r.kind === 'stop') return out;
      if (r.kind === 'notcall') {
        // The wrapper is a special token, never prose: it is dropped, what follows stays text.
        pos = hit.index + start.length;
        continue;
      }
      pos = r.next;
    }
  });
}

export const scanPythonic = wrappedCallListScanner(START, END, true);

export const pythonicFormat: ToolCallFormat = {
  name: 'pythonic',
  aliases: ['llama4', 'llama4_pythonic', 'toolace'],
  family: 'pythonic',
  markers: ['<|python_start|>'],
  altMarkers: [['[func_name1(', '<|start_header_id|>', '<|eot_id|>']],
  idStyle: 'openai',
  scan: scanPythonic,
};
