// NVIDIA Nemotron tool calls, in the shapes the model generations write:
//   <TOOLCALL>[{"name": "f", "arguments": {...}}, ...]</TOOLCALL>                     (Llama-Nemotron, Nemotron Nano 2)
//   <tool_call><function=f><parameter=k>v</parameter></function></tool_call>         (Nemotron 3: the Qwen3-Coder XML)
//   <tool_call>{"name": "f", "arguments": {...}}</tool_call>                          (JSON body)
// The XML and JSON <tool_call> bodies are read by the qwen3_coder and hermes scanners, one call at a time.

import type { ScanContext, Segment, ToolCallFormat } from '../types.js';
import { scanEnvelope } from '../util/envelope.js';
import { scanQwen3Coder } from './qwen3-coder.js';
import { scanTaggedJson } from './hermes.js';
import { SegmentBuilder, couldBeMarker, skipWs, textUntilMarker, type Step } from './scan-kit.js';

const LIST_OPEN = '<TOOLCALL>';
const LIST_CLOSE = '</TOOLCALL>';
const WRAP = '<tool_call>';
const WRAP_END = '</tool_call>';
const FN = '<function=';
const FN_END = '</function>';

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
 * One <tool_call>/<function=> call read by the qwen3_coder scanner: the call's text runs to the first closing
 * tag, so the sub-scan sees exactly one call (and is final once that tag is there).
 */
function scanXmlCall(text: string, at: number, wrapped: boolean, ctx: ScanContext, b: SegmentBuilder): Step {
  const closeTag = wrapped ? WRAP_END : FN_END;
  const close = text.indexOf(closeTag, at);
  let end = close < 0 ? text.length : close + closeTag.length;
  if (!wrapped && close >= 0) {
    // A bare </function> may still be followed by a </tool_call> left over from the wrapper.
    const j = skipWs(text, end);
    if (text.startsWith(WRAP_END, j)) end = j + WRAP_END.length;
  }
  const segs = scanQwen3Coder(text.slice(at, end), { final: close >= 0 || ctx.final, tools: ctx.tools });
  b.push(...segs);
  return close >= 0 ? { next: end } : { stop: true };
}

export function scanNemotron(text: string, ctx: ScanContext): Segment[] {
  const b = new SegmentBuilder();
  let pos = 0;
  while (pos <= text.length) {
    const hit = textUntilMarker(text, pos, [LIST_OPEN, WRAP, FN], ctx.final, (s) => b.text(s));
    if (!hit) break;
    let step: Step | null;
    if (hit.marker === LIST_OPEN) step = scanList(text, hit.index, ctx, b);
    else if (hit.marker === FN) step = scanXmlCall(text, hit.index, false, ctx, b);
    else {
      const q = skipWs(text, hit.index + WRAP.length);
      if (q >= text.length || (!ctx.final && couldBeMarker(text, q, [FN]))) {
        if (!ctx.final) break;
        b.warn('malformed_call', 'Nemotron <tool_call> cut off before its body', text.slice(hit.index));
        break;
      }
      if (text.startsWith(FN, q)) step = scanXmlCall(text, hit.index, true, ctx, b);
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
  aliases: ['nemotron_nano', 'nemotron-nano', 'nemotron3', 'nemotron_3', 'llama_nemotron', 'nemotron_json'],
  family: 'nemotron',
  markers: ['<TOOLCALL>'],
  defaultReasoning: 'think',
  scan: scanNemotron,
};
