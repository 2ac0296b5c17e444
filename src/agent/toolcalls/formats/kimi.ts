// Kimi K2 tool calls:
//   <|tool_calls_section_begin|><|tool_call_begin|>functions.NAME:0<|tool_call_argument_begin|>{...}<|tool_call_end|>...<|tool_calls_section_end|>
// The call id the model writes (functions.NAME:IDX) is also the id shape Kimi's history template expects.

import type { ScanContext, Segment, ToolCallFormat } from '../types.js';
import { SegmentBuilder, couldBeMarker, scanJsonCall, skipWs, textUntilMarker, type Step } from './scan-kit.js';
import { resumable } from '../value-checkpoints.js';

const SECTION_BEGIN = ['<|tool_calls_section_begin|>', '<|tool_call_section_begin|>'];
const SECTION_END = ['<|tool_calls_section_end|>', '<|tool_call_section_end|>'];
const CALL_BEGIN = '<|tool_call_begin|>';
const ARG_BEGIN = '<|tool_call_argument_begin|>';
const CALL_END = '<|tool_call_end|>';
const TEXT_MARKERS = [...SECTION_BEGIN, ...SECTION_END, CALL_BEGIN];

const CALL_SPEC = { ends: [CALL_END], boundaries: [CALL_BEGIN, ...SECTION_END], label: 'Kimi' } as const;

/** "functions.get_weather:0" -> "get_weather"; a bare name is accepted too. */
export function kimiNameFromId(id: string): string {
  let name = id.trim();
  if (name.startsWith('functions.')) name = name.slice('functions.'.length);
  return name.replace(/:\d+$/, '');
}

function scanCall(text: string, callStart: number, ctx: ScanContext, b: SegmentBuilder): Step {
  const start = callStart + CALL_BEGIN.length;
  const sep = text.indexOf(ARG_BEGIN, start);
  const end = text.indexOf(CALL_END, start);
  const broken = (message: string): Step => {
    if (end < 0) {
      if (ctx.final) b.warn('truncated_call', message, text.slice(callStart));
      return { stop: true };
    }
    b.warn('malformed_call', message, text.slice(callStart, end + CALL_END.length));
    return { next: end + CALL_END.length };
  };
  if (sep < 0 || (end >= 0 && end < sep)) {
    if (end < 0 && !ctx.final) return { stop: true };
    return broken('Kimi tool call without <|tool_call_argument_begin|> after its id');
  }
  const name = kimiNameFromId(text.slice(start, sep));
  if (!name || /[\s<>{}"]/.test(name)) return broken('Kimi tool call without a valid name');
  return scanJsonCall(text, callStart, name, sep + ARG_BEGIN.length, CALL_SPEC, ctx.final, b, ctx);
}

export function scanKimi(text: string, ctx: ScanContext): Segment[] {
  const b = new SegmentBuilder();
  let pos = 0;
  let inSection = false;
  while (pos <= text.length) {
    if (inSection) {
      const q = skipWs(text, pos);
      if (text.startsWith(CALL_BEGIN, q)) {
        const step = scanCall(text, q, ctx, b);
        if ('stop' in step) break;
        pos = step.next;
        continue;
      }
      const endMarker = SECTION_END.find((m) => text.startsWith(m, q));
      if (endMarker) {
        inSection = false;
        pos = q + endMarker.length;
        continue;
      }
      if (q >= text.length) break;
      if (!ctx.final && couldBeMarker(text, q, [CALL_BEGIN, ...SECTION_END])) break;
      inSection = false;
      pos = q;
      continue;
    }
    const hit = textUntilMarker(text, pos, TEXT_MARKERS, ctx.final, (s) => b.text(s), (at) => ctx.checkpoint?.(at, b.segments));
    if (!hit) break;
    pos = hit.index + hit.marker.length;
    if (SECTION_BEGIN.includes(hit.marker)) inSection = true;
    else if (hit.marker === CALL_BEGIN) {
      inSection = true;
      const step = scanCall(text, hit.index, ctx, b);
      if ('stop' in step) break;
      pos = step.next;
    }
  }
  return b.segments;
}

export const kimiK2Format: ToolCallFormat = {
  name: 'kimi_k2',
  aliases: ['kimi', 'kimik2', 'moonshot'],
  family: 'kimi',
  markers: ['<|tool_calls_section_begin|>', '<|tool_call_argument_begin|>'],
  defaultReasoning: 'think',
  idStyle: 'kimi',
  scan: resumable(scanKimi),
};
