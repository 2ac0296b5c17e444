// DeepSeek V3 / R1 / V3.1 tool calls, written with fullwidth special tokens (U+FF5C bar, U+2581 block):
//   V3/R1: <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME\n```json\n{...}\n```<｜tool▁call▁end｜>...<｜tool▁calls▁end｜>
//   V3.1:  <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>NAME<｜tool▁sep｜>{...}<｜tool▁call▁end｜>...<｜tool▁calls▁end｜>
// One scanner reads both shapes: the text before <｜tool▁sep｜> is either the type "function" (then the name
// follows the separator) or the name itself (then JSON follows directly).
// V3.2 / V4 write DSML invoke blocks instead, read by the invoke-block scanner in minimax.ts.

import type { ScanContext, Segment, ToolCallFormat } from '../types.js';
import { SegmentBuilder, couldBeMarker, scanJsonCall, skipWs, textUntilMarker, type Step } from './scan-kit.js';
import { scanDeepSeekDsml } from './minimax.js';
import { resumable } from '../value-checkpoints.js';

export const DS_CALLS_BEGIN = '<｜tool▁calls▁begin｜>';
export const DS_CALLS_END = '<｜tool▁calls▁end｜>';
export const DS_CALL_BEGIN = '<｜tool▁call▁begin｜>';
export const DS_CALL_END = '<｜tool▁call▁end｜>';
export const DS_SEP = '<｜tool▁sep｜>';
const DS_EOS = '<｜end▁of▁sentence｜>';

const TEXT_MARKERS = [DS_CALLS_BEGIN, DS_CALL_BEGIN, DS_CALLS_END, DS_EOS];
const FENCE = '```';

const CALL_SPEC = { ends: [DS_CALL_END], boundaries: [DS_CALL_BEGIN, DS_CALLS_END], trailer: FENCE, label: 'DeepSeek' } as const;

/** Skips to the end of a call that cannot be read, reporting its markup. */
function skipBroken(text: string, callStart: number, message: string, final: boolean, b: SegmentBuilder): Step {
  const end = text.indexOf(DS_CALL_END, callStart);
  if (end < 0) {
    if (final) b.warn('truncated_call', message, text.slice(callStart));
    return { stop: true };
  }
  b.warn('malformed_call', message, text.slice(callStart, end + DS_CALL_END.length));
  return { next: end + DS_CALL_END.length };
}

/** Parses one call whose <｜tool▁call▁begin｜> starts at `callStart`. */
function scanCall(text: string, callStart: number, ctx: ScanContext, b: SegmentBuilder): Step {
  const start = callStart + DS_CALL_BEGIN.length;
  const sep = text.indexOf(DS_SEP, start);
  const callEnd = text.indexOf(DS_CALL_END, start);
  if (sep < 0 || (callEnd >= 0 && callEnd < sep)) {
    if (callEnd < 0 && !ctx.final) return { stop: true };
    return skipBroken(text, callStart, 'DeepSeek tool call without <｜tool▁sep｜> and a name', ctx.final, b);
  }
  const head = text.slice(start, sep).trim();
  const afterSep = sep + DS_SEP.length;
  let q = skipWs(text, afterSep);
  if (q >= text.length && !ctx.final) return { stop: true };
  const badName = (n: string): boolean => !n || /[\s<>{}"`]/.test(n);
  if (head === 'function' && text[q] !== '{') {
    // V3 shape: the name runs to the end of its line (or to the fence / JSON when the newline is missing).
    let e = afterSep;
    while (e < text.length && !'\n`{<'.includes(text[e])) e++;
    if (e >= text.length && !ctx.final) return { stop: true };
    const name = text.slice(afterSep, e).trim();
    if (badName(name)) return skipBroken(text, callStart, 'DeepSeek tool call without a valid name', ctx.final, b);
    q = skipWs(text, e);
    // ```json (or a bare ```) on its own line before the arguments; while it arrives the call shows with its name.
    const waiting = (): Step => {
      b.call(name, '', false, text.slice(callStart));
      return { stop: true };
    };
    if (text.startsWith(FENCE, q)) {
      const nl = text.indexOf('\n', q);
      const info = text.slice(q + FENCE.length, nl < 0 ? text.length : nl).trim();
      if (/^[A-Za-z]*$/.test(info)) {
        if (nl < 0 && !ctx.final) return waiting();
        q = nl < 0 ? text.length : nl + 1;
      }
    } else if (!ctx.final && (q >= text.length || couldBeMarker(text, q, [FENCE]))) return waiting();
    return scanJsonCall(text, callStart, name, q, CALL_SPEC, ctx.final, b, ctx);
  }
  const name = head;
  if (badName(name)) return skipBroken(text, callStart, 'DeepSeek tool call without a valid name', ctx.final, b);
  return scanJsonCall(text, callStart, name, q, CALL_SPEC, ctx.final, b, ctx);
}

export function scanDeepSeek(text: string, ctx: ScanContext): Segment[] {
  const b = new SegmentBuilder();
  let pos = 0;
  let inSection = false;
  while (pos <= text.length) {
    if (inSection) {
      const q = skipWs(text, pos);
      if (text.startsWith(DS_CALL_BEGIN, q)) {
        const step = scanCall(text, q, ctx, b);
        if ('stop' in step) break;
        pos = step.next;
        continue;
      }
      if (text.startsWith(DS_CALLS_END, q)) {
        inSection = false;
        pos = q + DS_CALLS_END.length;
        continue;
      }
      if (q >= text.length) break; // only whitespace so far (or an unterminated section at the end)
      if (!ctx.final && couldBeMarker(text, q, [DS_CALL_BEGIN, DS_CALLS_END])) break;
      // Anything else ends the section: what follows is ordinary text again.
      inSection = false;
      pos = q;
      continue;
    }
    const hit = textUntilMarker(text, pos, TEXT_MARKERS, ctx.final, (s) => b.text(s), (at) => ctx.checkpoint?.(at, b.segments));
    if (!hit) break;
    pos = hit.index + hit.marker.length;
    if (hit.marker === DS_CALLS_BEGIN) inSection = true;
    else if (hit.marker === DS_CALL_BEGIN) {
      inSection = true;
      const step = scanCall(text, hit.index, ctx, b);
      if ('stop' in step) break;
      pos = step.next;
    }
    // A stray <｜tool▁calls▁end｜> or end-of-sentence token is markup: dropped.
  }
  return b.segments;
}

const base = {
  family: 'deepseek',
  markers: [DS_CALLS_BEGIN, DS_SEP],
  scan: resumable(scanDeepSeek),
} as const;

export const deepseekV3Format: ToolCallFormat = {
  ...base,
  name: 'deepseek_v3',
  aliases: ['deepseekv3', 'deepseek'],
  markers: [...base.markers],
};

export const deepseekR1Format: ToolCallFormat = {
  ...base,
  name: 'deepseek_r1',
  aliases: ['deepseekr1', 'deepseek_r1_0528'],
  markers: [...base.markers, '<think>'],
  defaultReasoning: 'think',
};

export const deepseekV31Format: ToolCallFormat = {
  ...base,
  name: 'deepseek_v3.1',
  aliases: ['deepseek_v31', 'deepseekv31'],
  markers: [...base.markers, '</think>'],
  defaultReasoning: 'think',
};

export const deepseekV32Format: ToolCallFormat = {
  name: 'deepseek_v3.2',
  aliases: ['deepseek_v32', 'deepseekv32', 'deepseek_v4', 'deepseekv4', 'dsml'],
  family: 'deepseek',
  markers: ['<｜DSML｜invoke'],
  defaultReasoning: 'think',
  scan: scanDeepSeekDsml,
};
