// MiniMax-M2 tool calls: one block holding one or more invokes, parameters as raw text typed by the schema:
//   <minimax:tool_call>
//   <invoke name="NAME">
//   <parameter name="k">v</parameter>
//   </invoke>
//   </minimax:tool_call>

import type { ScanContext, Segment, ToolCallFormat } from '../types.js';
import { markerPrefixLength } from '../util/holdback.js';
import { buildXmlArguments, type XmlParam } from '../util/xmlargs.js';
import { SegmentBuilder, couldBeMarker, skipWs, textUntilMarker, type Step } from './scan-kit.js';

const BLOCK_OPEN = '<minimax:tool_call>';
const BLOCK_CLOSE = '</minimax:tool_call>';
const INVOKE_CLOSE = '</invoke>';
const PARAM_CLOSE = '</parameter>';
// An opening tag with a name attribute (quotes optional), e.g. <invoke name="f"> or <parameter name='k'>.
const INVOKE_RE = /^<invoke\s+name\s*=\s*(?:"([^"<>]*)"|'([^'<>]*)'|([^\s"'<>]+))\s*>/;
const PARAM_RE = /^<parameter\s+name\s*=\s*(?:"([^"<>]*)"|'([^'<>]*)'|([^\s"'<>]+))\s*>/;

/** Matches an opening tag at `at`: the name and end, 'partial' while it may still complete, or null. */
function openTag(text: string, at: number, re: RegExp, tag: string): { name: string; end: number } | 'partial' | null {
  const m = re.exec(text.slice(at, at + 400));
  if (m) return { name: (m[1] ?? m[2] ?? m[3] ?? '').trim(), end: at + m[0].length };
  const rest = text.slice(at);
  if (tag.startsWith(rest) || (rest.startsWith(tag) && !rest.includes('>') && rest.length < 400)) return 'partial';
  return null;
}

function scanInvoke(text: string, start: number, name: string, bodyStart: number, ctx: ScanContext, b: SegmentBuilder): Step {
  const params: XmlParam[] = [];
  const emit = (closed: boolean, end: number): void => {
    b.call(name, buildXmlArguments(params, name, ctx.tools, closed), closed, text.slice(start, end));
  };
  let pos = bodyStart;
  for (;;) {
    const r = skipWs(text, pos);
    if (text.startsWith(INVOKE_CLOSE, r)) {
      emit(true, r + INVOKE_CLOSE.length);
      return { next: r + INVOKE_CLOSE.length };
    }
    const p = openTag(text, r, PARAM_RE, '<parameter');
    if (p && p !== 'partial') {
      const close = text.indexOf(PARAM_CLOSE, p.end);
      if (close < 0) {
        const hold = ctx.final ? 0 : Math.min(text.length - p.end, markerPrefixLength(text, [PARAM_CLOSE]));
        params.push({ key: p.name, value: text.slice(p.end, text.length - hold), closed: false });
        break;
      }
      params.push({ key: p.name, value: text.slice(p.end, close), closed: true });
      pos = close + PARAM_CLOSE.length;
      continue;
    }
    if (r >= text.length || (!ctx.final && (p === 'partial' || couldBeMarker(text, r, [INVOKE_CLOSE, BLOCK_CLOSE])))) break;
    // Unexpected text (or the block closing without </invoke>): close the call with what it has.
    const hit = [INVOKE_CLOSE, BLOCK_CLOSE].map((m) => ({ m, i: text.indexOf(m, r) })).filter((h) => h.i >= 0).sort((a, c) => a.i - c.i)[0];
    if (!hit) break; // cut off (or still arriving): the call stays open
    const stop = hit.i;
    const next = hit.m === INVOKE_CLOSE ? stop + INVOKE_CLOSE.length : stop;
    emit(true, next);
    if (stop > r) b.warn('malformed_call', `MiniMax tool call "${name}": unexpected text among its parameters`, text.slice(r, stop));
    return { next };
  }
  emit(false, text.length);
  return { stop: true };
}

export function scanMiniMax(text: string, ctx: ScanContext): Segment[] {
  const b = new SegmentBuilder();
  let pos = 0;
  let inBlock = false;
  while (pos <= text.length) {
    if (!inBlock) {
      const hit = textUntilMarker(text, pos, [BLOCK_OPEN], ctx.final, (s) => b.text(s));
      if (!hit) break;
      pos = hit.index + BLOCK_OPEN.length;
      inBlock = true;
      continue;
    }
    const r = skipWs(text, pos);
    if (text.startsWith(BLOCK_CLOSE, r)) {
      pos = r + BLOCK_CLOSE.length;
      inBlock = false;
      continue;
    }
    const inv = openTag(text, r, INVOKE_RE, '<invoke');
    if (inv && inv !== 'partial') {
      if (!inv.name) {
        const end = text.indexOf(INVOKE_CLOSE, inv.end);
        if (end < 0 && !ctx.final) break;
        const stop = end < 0 ? text.length : end + INVOKE_CLOSE.length;
        b.warn('malformed_call', 'MiniMax invoke without a tool name', text.slice(r, stop));
        pos = stop;
        continue;
      }
      const step = scanInvoke(text, r, inv.name, inv.end, ctx, b);
      if ('stop' in step) break;
      pos = step.next;
      continue;
    }
    if (r >= text.length) break;
    if (!ctx.final && (inv === 'partial' || couldBeMarker(text, r, [BLOCK_CLOSE]))) break;
    // Stray text inside the block: reported up to the next invoke or the block's end.
    const next = [BLOCK_CLOSE, '<invoke'].map((m) => text.indexOf(m, r + 1)).filter((i) => i >= 0).sort((a, c) => a - c)[0];
    if (next === undefined && !ctx.final) break;
    const stop = next ?? text.length;
    b.warn('malformed_call', 'MiniMax tool-call block holds text that is not an invoke', text.slice(r, stop));
    pos = stop;
  }
  return b.segments;
}

export const minimaxM2Format: ToolCallFormat = {
  name: 'minimax_m2',
  aliases: ['minimax', 'minimax_m2.1', 'minimax_m2.5'],
  family: 'minimax',
  markers: ['<minimax:tool_call>'],
  defaultReasoning: 'think',
  scan: scanMiniMax,
};
