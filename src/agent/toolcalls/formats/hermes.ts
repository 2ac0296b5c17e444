// hermes / qwen / qwen2.5 / qwen3: <tool_call>{"name": ..., "arguments": {...}}</tool_call>, several in a row,
// and the [Calling tool: name({...})] form some fine-tunes write.
import type { ScanContext, Segment, ToolCallFormat } from '../types.js';
import { scanEnvelope } from '../util/envelope.js';
import { scanJson } from '../util/json.js';
import { scanEnvelopeArray } from './json-array.js';
import { findFirst, markerPrefixLength } from '../util/holdback.js';
import { reportOpenString } from './scan-kit.js';
import { resumable } from '../value-checkpoints.js';

const START = '<tool_call>';
const END = '</tool_call>';
const CALLING = '[Calling tool: ';

/** Scan one `<tool_call>{json}</tool_call>` starting at `at` (the START marker). Null: not a call, keep the marker as text. */
export function scanTaggedJson(
  text: string,
  at: number,
  start: string,
  end: string,
  ctx: ScanContext,
  out: Segment[],
): { next: number; stop: boolean } | null {
  let i = at + start.length;
  while (i < text.length && /\s/.test(text[i])) i++;
  if (i >= text.length) {
    out.push({ kind: 'call', name: null, arguments: '', complete: false, raw: text.slice(at) });
    return { next: text.length, stop: true };
  }
  if (text[i] === '[') {
    // A list of calls inside one tag (some fine-tunes, granite 3.1).
    const r = scanEnvelopeArray(text, i, ctx, out, true, undefined, { from: at });
    if (r.kind !== 'next') return { next: text.length, stop: true };
    let j = r.next;
    while (j < text.length && /\s/.test(text[j])) j++;
    if (text.startsWith(end, j)) return { next: j + end.length, stop: false };
    if (!ctx.final && (j >= text.length || end.startsWith(text.slice(j)))) return { next: text.length, stop: true };
    return { next: r.next, stop: false };
  }
  if (text[i] !== '{') return null;
  const env = scanEnvelope(text, i, ctx.final);
  if (env.invalid || !env.complete) {
    if (env.name === null && env.invalid) {
      // Broken JSON before a name: the whole block up to the closing tag is a malformed call.
      const close = text.indexOf(end, i);
      if (close < 0 && !ctx.final) return { next: text.length, stop: true };
      const stop = close < 0 ? text.length : close + end.length;
      out.push({ kind: 'warning', warning: { code: 'malformed_call', message: `invalid JSON in ${start} block`, raw: text.slice(at, stop) } });
      return { next: stop, stop: false };
    }
    if (!env.invalid || env.name === null) {
      out.push({ kind: 'call', name: env.name, arguments: env.arguments, complete: false, raw: text.slice(at) });
      reportOpenString(ctx, text, at, env.openString);
      return { next: text.length, stop: true };
    }
    // The name is known but the JSON broke: keep the call (already streamed) cut at the break, report the rest.
    const close = text.indexOf(end, env.end);
    if (close < 0 && !ctx.final) {
      out.push({ kind: 'call', name: env.name, arguments: env.arguments, complete: false, raw: text.slice(at) });
      return { next: text.length, stop: true };
    }
    const stop = close < 0 ? text.length : close + end.length;
    out.push({ kind: 'call', name: env.name, arguments: env.arguments, complete: false, raw: text.slice(at, stop) });
    out.push({ kind: 'warning', warning: { code: 'malformed_call', message: `invalid JSON in the call to "${env.name}"`, raw: text.slice(at, stop) } });
    return { next: stop, stop: false };
  }
  if (env.name === null) {
    const close = text.indexOf(end, env.end);
    if (close < 0 && !ctx.final) return { next: text.length, stop: true };
    const stop = close < 0 ? text.length : close + end.length;
    out.push({ kind: 'warning', warning: { code: 'malformed_call', message: `${start} block without a "name"`, raw: text.slice(at, stop) } });
    return { next: stop, stop: false };
  }
  // Closed envelope: the call is complete; consume up to the closing tag (tolerating its absence).
  let j = env.end;
  while (j < text.length && /\s/.test(text[j])) j++;
  const rawEnd = text.startsWith(end, j) ? j + end.length : env.end;
  out.push({ kind: 'call', name: env.name, arguments: env.arguments, complete: true, raw: text.slice(at, rawEnd) });
  if (rawEnd > env.end) return { next: rawEnd, stop: false };
  const rest = text.slice(j);
  if (!ctx.final && (rest === '' || end.startsWith(rest))) return { next: text.length, stop: true };
  return { next: env.end, stop: false };
}

/** [Calling tool: name({...})] */
function scanCallingForm(text: string, at: number, ctx: ScanContext, out: Segment[]): { next: number; stop: boolean } | null {
  const nameStart = at + CALLING.length;
  const m = /^[A-Za-z_][\w.-]*/.exec(text.slice(nameStart, nameStart + 200));
  const name = m ? m[0] : '';
  const paren = nameStart + name.length;
  if (paren >= text.length) {
    if (ctx.final) return null;
    out.push({ kind: 'call', name: null, arguments: '', complete: false, raw: text.slice(at) });
    return { next: text.length, stop: true };
  }
  if (!name || text[paren] !== '(') return null;
  let i = paren + 1;
  while (i < text.length && /\s/.test(text[i])) i++;
  if (i < text.length && text[i] !== '{' && text[i] !== ')') return null;
  const v = i < text.length && text[i] === '{' ? scanJson(text, i, ctx.final) : null;
  if (v && v.invalid) {
    // The name was already reported: keep the call cut at the break, report the markup up to it.
    out.push({ kind: 'call', name, arguments: text.slice(i, v.safeEnd), complete: false, raw: text.slice(at, v.end) });
    out.push({ kind: 'warning', warning: { code: 'malformed_call', message: `invalid JSON in the call to "${name}"`, raw: text.slice(at, v.end) } });
    return { next: v.end, stop: false };
  }
  if (!v || !v.complete) {
    if (i >= text.length || v) {
      out.push({ kind: 'call', name, arguments: v ? text.slice(i, v.safeEnd) : '', complete: false, raw: text.slice(at) });
      if (v?.openString !== undefined) reportOpenString(ctx, text, at, { quote: v.openString, end: v.safeEnd });
      return { next: text.length, stop: true };
    }
  }
  const args = v ? text.slice(i, v.end) : '{}';
  let j = v ? v.end : i;
  while (j < text.length && /\s/.test(text[j])) j++;
  const tail = /^\)\s*\]/.exec(text.slice(j));
  if (!tail && !ctx.final && /^\)?\s*$/.test(text.slice(j))) {
    out.push({ kind: 'call', name, arguments: args, complete: false, raw: text.slice(at) });
    return { next: text.length, stop: true };
  }
  const stop = tail ? j + tail[0].length : j;
  out.push({ kind: 'call', name, arguments: args, complete: true, raw: text.slice(at, stop) });
  return { next: stop, stop: false };
}

function scanHermesText(text: string, ctx: ScanContext): Segment[] {
  const out: Segment[] = [];
  let pos = 0;
  while (pos <= text.length) {
    // Between calls the scan depends on nothing before: a checkpoint (see checkpoints.ts).
    ctx.checkpoint?.(pos, out);
    const hit = findFirst(text, [START, CALLING], pos);
    if (!hit) {
      const rest = text.slice(pos);
      const hold = ctx.final ? 0 : markerPrefixLength(rest, [START, CALLING]);
      if (rest.length > hold) out.push({ kind: 'text', text: rest.slice(0, rest.length - hold) });
      ctx.checkpoint?.(text.length - hold, out);
      break;
    }
    if (hit.index > pos) out.push({ kind: 'text', text: text.slice(pos, hit.index) });
    const r = hit.marker === START ? scanTaggedJson(text, hit.index, START, END, ctx, out) : scanCallingForm(text, hit.index, ctx, out);
    if (r === null) {
      out.push({ kind: 'text', text: hit.marker });
      pos = hit.index + hit.marker.length;
      continue;
    }
    if (r.stop) break;
    pos = r.next;
  }
  return out;
}

export const scanHermes = resumable(scanHermesText);

export const hermesFormat: ToolCallFormat = {
  name: 'hermes',
  aliases: ['qwen', 'qwen2.5', 'qwen25', 'qwen3', 'qwq', 'hermes2', 'hermes3'],
  family: 'hermes',
  markers: ['<tool_call>'],
  defaultReasoning: 'think',
  idStyle: 'openai',
  scan: scanHermes,
};
