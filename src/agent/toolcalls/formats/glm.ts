// GLM-4.5 / 4.6 / 4.7 tool calls: the name, then key/value pairs as raw text, typed by the tool's schema:
//   <tool_call>NAME\n<arg_key>k</arg_key>\n<arg_value>v</arg_value>\n</tool_call>     (4.5: newlines between parts)
//   <tool_call>NAME<arg_key>k</arg_key><arg_value>v</arg_value></tool_call>           (4.7: no newlines)
// <tool_call> only opens a call when a name follows and then <arg_key> or </tool_call>; prose that mentions
// the tag (e.g. "`<tool_call>`") stays text.

import type { ScanContext, Segment, ToolCallFormat } from '../types.js';
import { markerPrefixLength } from '../util/holdback.js';
import { buildXmlArguments, reportOpenParam, type XmlParam } from '../util/xmlargs.js';
import { resumable } from '../value-checkpoints.js';
import { SegmentBuilder, couldBeMarker, skipWs, textUntilMarker, type Step } from './scan-kit.js';

const OPEN = '<tool_call>';
const CLOSE = '</tool_call>';
const KEY_OPEN = '<arg_key>';
const KEY_CLOSE = '</arg_key>';
const VALUE_OPEN = '<arg_value>';
const VALUE_CLOSE = '</arg_value>';
const NAME_RE = /^[\p{L}\p{N}_\-.:/]+$/u;

/** Reads the arguments after the name; `pos` is just after the name. */
function scanArgs(text: string, callStart: number, name: string, pos: number, ctx: ScanContext, b: SegmentBuilder): Step {
  const params: XmlParam[] = [];
  const emit = (closed: boolean, end: number): void => {
    b.call(name, buildXmlArguments(params, name, ctx.tools, closed), closed, text.slice(callStart, end));
  };
  for (;;) {
    const r = skipWs(text, pos);
    if (text.startsWith(CLOSE, r)) {
      emit(true, r + CLOSE.length);
      return { next: r + CLOSE.length };
    }
    if (text.startsWith(KEY_OPEN, r)) {
      const keyStart = r + KEY_OPEN.length;
      const keyEnd = text.indexOf(KEY_CLOSE, keyStart);
      if (keyEnd < 0) break;
      const v = skipWs(text, keyEnd + KEY_CLOSE.length);
      if (!text.startsWith(VALUE_OPEN, v)) {
        if (v >= text.length || (!ctx.final && couldBeMarker(text, v, [VALUE_OPEN]))) break;
        return junk(text, callStart, name, params, v, ctx, b);
      }
      const valueStart = v + VALUE_OPEN.length;
      const valueEnd = text.indexOf(VALUE_CLOSE, valueStart);
      const key = text.slice(keyStart, keyEnd).trim();
      if (valueEnd < 0) {
        const hold = ctx.final ? 0 : Math.min(text.length - valueStart, markerPrefixLength(text, [VALUE_CLOSE]));
        params.push({ key, value: text.slice(valueStart, text.length - hold), closed: false });
        emit(false, text.length);
        reportOpenParam(ctx, name, params[params.length - 1], text.slice(callStart, valueStart), text.length - hold);
        return { stop: true };
      }
      params.push({ key, value: text.slice(valueStart, valueEnd), closed: true });
      pos = valueEnd + VALUE_CLOSE.length;
      continue;
    }
    if (r >= text.length || (!ctx.final && couldBeMarker(text, r, [CLOSE, KEY_OPEN]))) break;
    return junk(text, callStart, name, params, r, ctx, b);
  }
  // The text ended inside the call.
  emit(false, text.length);
  return { stop: true };
}

/** Unexpected text inside a call: the call closes with what it has and the text is reported. */
function junk(text: string, callStart: number, name: string, params: XmlParam[], at: number, ctx: ScanContext, b: SegmentBuilder): Step {
  const close = text.indexOf(CLOSE, at);
  if (close < 0) {
    // Cut off (or still arriving): the call stays open.
    b.call(name, buildXmlArguments(params, name, ctx.tools, false), false, text.slice(callStart));
    return { stop: true };
  }
  const end = close + CLOSE.length;
  b.call(name, buildXmlArguments(params, name, ctx.tools, true), true, text.slice(callStart, end));
  b.warn('malformed_call', `GLM tool call "${name}": unexpected text among its arguments`, text.slice(at, close));
  return { next: end };
}

export function scanGlm(text: string, ctx: ScanContext): Segment[] {
  const b = new SegmentBuilder();
  let pos = 0;
  while (pos <= text.length) {
    const hit = textUntilMarker(text, pos, [OPEN], ctx.final, (s) => b.text(s), (at) => ctx.checkpoint?.(at, b.segments));
    if (!hit) break;
    const nameStart = hit.index + OPEN.length;
    const lt = text.indexOf('<', nameStart);
    const nameEnd = lt < 0 ? text.length : lt;
    // The name follows the tag directly (only a trailing newline may separate it from what comes next).
    const name = text.slice(nameStart, nameEnd).trimEnd();
    const nameOk = NAME_RE.test(name);
    if (lt < 0) {
      // The name (or the whole call) is still arriving.
      if (!ctx.final && (name === '' || nameOk)) break;
      if (ctx.final && nameOk) {
        b.call(name, '', false, text.slice(hit.index));
        break;
      }
      if (ctx.final && name === '') {
        b.warn('malformed_call', 'GLM tool call cut off before its name', text.slice(hit.index));
        break;
      }
    } else if (nameOk && (text.startsWith(KEY_OPEN, lt) || text.startsWith(CLOSE, lt))) {
      const step = scanArgs(text, hit.index, name, nameEnd, ctx, b);
      if ('stop' in step) break;
      pos = step.next;
      continue;
    } else if (nameOk && !ctx.final && couldBeMarker(text, lt, [KEY_OPEN, CLOSE])) {
      break;
    }
    // Not a call: the tag is ordinary text.
    b.text(OPEN);
    pos = nameStart;
  }
  return b.segments;
}

export const glm45Format: ToolCallFormat = {
  name: 'glm4.5',
  aliases: ['glm45', 'glm-4.5', 'glm4.6', 'glm46', 'glm'],
  family: 'glm',
  markers: ['<arg_key>', '<arg_value>'],
  defaultReasoning: 'think',
  scan: resumable(scanGlm),
};

export const glm47Format: ToolCallFormat = {
  ...glm45Format,
  name: 'glm4.7',
  aliases: ['glm47', 'glm-4.7'],
  markers: ['<arg_key>', '<arg_value>'],
};
