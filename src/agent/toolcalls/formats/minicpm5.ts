// MiniCPM5 (OpenBMB): calls are bare XML elements in the answer,
//   <function name="get_weather"><param name="city">Paris</param></function>
// one after another; values are raw text typed by the tool's schema, and a value may be wrapped in
// <![CDATA[…]]> to carry markup. Thoughts in <think>…</think>.
import type { ScanContext, Segment, ToolCallFormat } from '../types.js';
import { findFirst, markerPrefixLength } from '../util/holdback.js';
import { couldBeMarker, pushText } from './scan-kit.js';
import { scanAttrCallBody, type AttrCallSpec } from './attr-call.js';
import { resumable } from '../value-checkpoints.js';

const OPEN = '<function name="';
const SPEC: AttrCallSpec = { paramOpen: '<param name="', paramHeadEnd: '>', paramClose: '</param>', callClose: '</function>', cdata: true, label: 'MiniCPM5' };
const BODY_STARTS = [SPEC.paramOpen, SPEC.callClose];

export function scanMiniCpm5(text: string, ctx: ScanContext): Segment[] {
  const out: Segment[] = [];
  let pos = 0;
  for (;;) {
    // Between calls the scan depends on nothing before: a checkpoint (see checkpoints.ts).
    ctx.checkpoint?.(pos, out);
    const hit = findFirst(text, [OPEN], pos);
    if (!hit) {
      const hold = ctx.final ? 0 : markerPrefixLength(text.slice(pos), [OPEN]);
      pushText(out, text.slice(pos, text.length - hold));
      ctx.checkpoint?.(text.length - hold, out);
      return out;
    }
    pushText(out, text.slice(pos, hit.index));
    const nameStart = hit.index + OPEN.length;
    const quote = text.indexOf('"', nameStart);
    const gt = quote < 0 ? -1 : quote + 1;
    const undecided = (): Segment[] => {
      out.push({ kind: 'call', name: null, arguments: '', complete: false, raw: text.slice(hit.index) });
      return out;
    };
    if (quote < 0 || gt >= text.length) {
      if (!ctx.final && text.length - nameStart <= 200) return undecided();
    }
    const name = quote < 0 ? '' : text.slice(nameStart, quote);
    // A real call: a closed name, then '>' and a parameter or the closing tag. Anything else is prose that
    // mentions the tag (it stays text).
    let k = gt + 1;
    while (k < text.length && /\s/.test(text[k])) k++;
    const real = quote >= 0 && name !== '' && !/[<>\n]/.test(name) && text[gt] === '>' && BODY_STARTS.some((m) => text.startsWith(m, k));
    if (!real) {
      const maybe = quote >= 0 && name !== '' && !/[<>\n]/.test(name) && text[gt] === '>' && (k >= text.length || couldBeMarker(text, k, BODY_STARTS));
      if (!ctx.final && maybe) return undecided();
      pushText(out, OPEN);
      pos = nameStart;
      continue;
    }
    const r = scanAttrCallBody(text, hit.index, name, gt + 1, SPEC, ctx, out);
    if ('stop' in r) return out;
    pos = r.next;
  }
}

export const miniCpm5Format: ToolCallFormat = {
  name: 'minicpm5',
  aliases: ['minicpm', 'minicpm-5', 'openbmb'],
  family: 'minicpm5',
  markers: ['Tool usage guidelines:', '<function name="', '<param name="'],
  defaultReasoning: 'think',
  idStyle: 'openai',
  scan: resumable(scanMiniCpm5),
};
