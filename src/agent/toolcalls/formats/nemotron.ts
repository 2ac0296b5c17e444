// NVIDIA Nemotron tool calls, in the shapes the model generations write:
//   <TOOLCALL>[{"name": "f", "arguments": {...}}, ...]</TOOLCALL>                     (Llama-Nemotron, Nemotron Nano 2)
//   <tool_call><function=f><parameter=k>v</parameter></function></tool_call>         (Nemotron 3: the Qwen3-Coder XML)
//   <tool_call>{"name": "f", "arguments": {...}}</tool_call>                          (JSON body)
// The JSON <tool_call> body is read by the hermes scanner; the XML body follows the qwen3_coder rules (values end
// only at </parameter> or </function>, one newline around a value stripped, typed by the tool's schema).

import type { ScanContext, Segment, ToolCallFormat } from '../types.js';
import { scanEnvelope } from '../util/envelope.js';
import { findFirst, markerPrefixLength } from '../util/holdback.js';
import { buildXmlArguments, reportOpenParam, type XmlParam } from '../util/xmlargs.js';
import { scanTaggedJson } from './hermes.js';
import { SegmentBuilder, couldBeMarker, skipWs, textUntilMarker, type Step } from './scan-kit.js';
import { resumable, VALUE_LEAD } from '../value-checkpoints.js';

const LIST_OPEN = '<TOOLCALL>';
const LIST_CLOSE = '</TOOLCALL>';
const WRAP = '<tool_call>';
const WRAP_END = '</tool_call>';
const FN = '<function=';
const FN_END = '</function>';
const PARAM = '<parameter=';
const PARAM_END = '</parameter>';
const XML_NAME_RE = /^[\p{L}\p{N}_\-.:/]+$/u;

/** The call list of a <TOOLCALL> block; `at` is where the block's tag starts. */
function scanList(text: string, at: number, ctx: ScanContext, b: SegmentBuilder): Step | null {
  const broken = (from: number, message: string): Step => {
    const close = text.indexOf(LIST_CLOSE, from);
    if (close < 0 && !ctx.final) return { stop: true };
    const end = close < 0 ? text.length : close + LIST_CLOSE.length;
    b.warn('malformed_call', message, text.slice(from, end));
    return { next: end };
  };
  let i = skipWs(text, at + LIST_OPEN.length);
  if (i >= text.length) return ctx.final ? broken(at, 'Nemotron <TOOLCALL> block cut off before its calls') : { stop: true };
  // Prose that mentions the tag: no list (or, as some fine-tunes write, a single object) follows.
  if (text[i] !== '[' && text[i] !== '{') return null;
  if (text[i] === '[') i = skipWs(text, i + 1);
  const bracketed = text[skipWs(text, at + LIST_OPEN.length)] === '[';
  for (;;) {
    if (i >= text.length) return { stop: true };
    if (text[i] === ']' && bracketed) {
      i = skipWs(text, i + 1);
      break;
    }
    if (text[i] !== '{') return broken(i, 'Nemotron <TOOLCALL> list holds something that is not a call object');
    const env = scanEnvelope(text, i, ctx.final);
    if (env.name === null) {
      if (env.invalid || env.complete) return broken(i, 'Nemotron tool call without a "name"');
      return { stop: true };
    }
    if (!env.complete) {
      b.call(env.name, env.arguments, false, text.slice(i, env.end));
      if (env.invalid) return broken(env.end, `Nemotron tool call "${env.name}": invalid JSON`);
      if (env.openString && ctx.openValue) {
        ctx.openValue(LIST_OPEN + (bracketed ? '[' : '') + text.slice(i, env.openString.quote + 1) + VALUE_LEAD, env.openString.end);
      }
      return { stop: true };
    }
    b.call(env.name, env.arguments, true, text.slice(i, env.end));
    i = skipWs(text, env.end);
    if (text[i] === ',') {
      i = skipWs(text, i + 1);
      continue;
    }
    if (!bracketed) break;
    if (i >= text.length) return { stop: true };
    if (text[i] !== ']') return broken(i, 'Nemotron <TOOLCALL> list is not closed by "]"');
  }
  if (text.startsWith(LIST_CLOSE, i)) return { next: i + LIST_CLOSE.length };
  if (i >= text.length) return ctx.final ? { next: i } : { stop: true };
  if (!ctx.final && couldBeMarker(text, i, [LIST_CLOSE])) return { stop: true };
  return broken(i, 'Nemotron <TOOLCALL> block has text after its list');
}

/**
 * <function=NAME><parameter=KEY>VALUE</parameter>…</function> at `fnAt` (the Qwen3-Coder XML; `callStart` is where
 * the call's markup began, at its <tool_call> when there is one). Null when the tag does not open a call.
 * Stray text inside the body is reported once the call closes, so the call stays the last segment until then.
 */
function scanXmlFunction(text: string, callStart: number, fnAt: number, ctx: ScanContext, b: SegmentBuilder): Step | null {
  const nameStart = fnAt + FN.length;
  const gt = text.indexOf('>', nameStart);
  const rawName = text.slice(nameStart, gt < 0 ? text.length : gt);
  if (gt < 0) return !ctx.final && rawName.length < 200 && !/[\n<]/.test(rawName) ? { stop: true } : null;
  // The same rule once the tag closed, so a name the stream held back is not accepted later.
  if (/[\n<]/.test(rawName)) return null;
  const name = rawName.trim().replace(/^["']|["']$/g, '');
  if (!XML_NAME_RE.test(name)) return null;
  const params: XmlParam[] = [];
  const stray: string[] = [];
  const emit = (complete: boolean, end: number): void => {
    b.call(name, buildXmlArguments(params, name, ctx.tools, complete), complete, text.slice(callStart, end));
    if (complete || ctx.final) for (const t of stray) b.warn('malformed_call', `Nemotron tool call "${name}": unexpected text in its body`, t);
  };
  const open = (): Step => {
    emit(false, text.length);
    return { stop: true };
  };
  let i = gt + 1;
  for (;;) {
    i = skipWs(text, i);
    if (text.startsWith(PARAM, i)) {
      const keyStart = i + PARAM.length;
      const kgt = text.indexOf('>', keyStart);
      if (kgt < 0) return open();
      const key = text.slice(keyStart, kgt).trim().replace(/^["']|["']$/g, '');
      const hit = findFirst(text, [PARAM_END, FN_END], kgt + 1);
      if (!hit) {
        const hold = ctx.final ? 0 : Math.min(text.length - kgt - 1, markerPrefixLength(text, [PARAM_END, FN_END]));
        params.push({ key, value: text.slice(kgt + 1, text.length - hold), closed: false });
        const step = open();
        reportOpenParam(ctx, name, params[params.length - 1], text.slice(callStart, kgt + 1), text.length - hold);
        return step;
      }
      params.push({ key, value: text.slice(kgt + 1, hit.index), closed: true });
      i = hit.marker === PARAM_END ? hit.index + PARAM_END.length : hit.index;
      continue;
    }
    if (text.startsWith(FN_END, i)) {
      let end = i + FN_END.length;
      const j = skipWs(text, end);
      if (text.startsWith(WRAP_END, j)) end = j + WRAP_END.length;
      // A </tool_call> may follow (also after a bare <function=>, whose wrapper tag was garbled): wait for it.
      else if (!ctx.final && (j >= text.length || couldBeMarker(text, j, [WRAP_END]))) return open();
      emit(true, end);
      return { next: end };
    }
    if (text.startsWith(WRAP_END, i)) {
      // </tool_call> without </function>: the call ends there.
      emit(true, i + WRAP_END.length);
      return { next: i + WRAP_END.length };
    }
    if (i >= text.length || (!ctx.final && couldBeMarker(text, i, [PARAM, FN_END, WRAP_END]))) return open();
    const next = text.indexOf('<', i + 1);
    stray.push(text.slice(i, next < 0 ? text.length : next));
    if (next < 0) return open();
    i = next;
  }
}

export function scanNemotron(text: string, ctx: ScanContext): Segment[] {
  const b = new SegmentBuilder();
  let pos = 0;
  while (pos <= text.length) {
    const hit = textUntilMarker(text, pos, [LIST_OPEN, WRAP, FN], ctx.final, (s) => b.text(s), (at) => ctx.checkpoint?.(at, b.segments));
    if (!hit) break;
    let step: Step | null;
    if (hit.marker === LIST_OPEN) step = scanList(text, hit.index, ctx, b);
    else if (hit.marker === FN) step = scanXmlFunction(text, hit.index, hit.index, ctx, b);
    else {
      const q = skipWs(text, hit.index + WRAP.length);
      if (q >= text.length || (!ctx.final && couldBeMarker(text, q, [FN]))) {
        if (!ctx.final) break;
        b.warn('malformed_call', 'Nemotron <tool_call> cut off before its body', text.slice(hit.index));
        break;
      }
      if (text.startsWith(FN, q)) step = scanXmlFunction(text, hit.index, q, ctx, b);
      else if (text[q] === '{') {
        const out: Segment[] = [];
        const r = scanTaggedJson(text, hit.index, WRAP, WRAP_END, ctx, out);
        b.push(...out);
        step = r === null ? null : r.stop ? { stop: true } : { next: r.next };
      } else step = null;
    }
    if (step === null) {
      // Prose that mentions the tag: it stays text.
      b.text(hit.marker);
      pos = hit.index + hit.marker.length;
      continue;
    }
    if ('stop' in step) break;
    pos = step.next;
  }
  return b.segments;
}

export const nemotronFormat: ToolCallFormat = {
  name: 'nemotron',
  aliases: ['nemotron_nano', 'nemotron3', 'nemotron_3', 'llama_nemotron', 'nemotron_json'],
  family: 'nemotron',
  markers: ['<TOOLCALL>'],
  defaultReasoning: 'think',
  scan: resumable(scanNemotron),
};
