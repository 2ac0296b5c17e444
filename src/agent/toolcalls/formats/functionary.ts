// MeetKai Functionary, in the shapes its generations write:
//   v2 / v3 medium: <|from|>assistant\n<|recipient|>NAME\n<|content|>{json}   (recipient "all": plain content)
//   v3.2:           >>>NAME\n{json}>>>all\ntext                            (the first ">>>" may sit in the prompt)
//   v3.1:           <function=NAME>{json}</function>
// ">>>" only opens a message when a name and a newline follow it directly, so a Python prompt in prose stays text.
import type { ScanContext, Segment, ToolCallFormat } from '../types.js';
import { findFirst, markerPrefixLength } from '../util/holdback.js';
import { SegmentBuilder, couldBeMarker, scanJsonCall, textUntilMarker, type Step } from './scan-kit.js';
import { resumable } from '../value-checkpoints.js';

const FROM = '<|from|>';
const RECIPIENT = '<|recipient|>';
const CONTENT = '<|content|>';
const STOP = '<|stop|>';
const EOT = '<|eot_id|>';
const ARROWS = '>>>';
const FN = '<function=';
const FN_END = '</function>';
const MARKERS = [FROM, RECIPIENT, STOP, EOT, ARROWS, FN];
const NAME_RE = /^[A-Za-z_][\w.\-]*$/;

/** <|recipient|>NAME\n<|content|>BODY at `at`. */
function scanRecipient(text: string, at: number, ctx: ScanContext, b: SegmentBuilder): Step | null {
  const ci = text.indexOf(CONTENT, at + RECIPIENT.length);
  const head = text.slice(at + RECIPIENT.length, ci < 0 ? text.length : ci);
  if (ci < 0) {
    const settled = head.slice(0, head.length - markerPrefixLength(head, [CONTENT]));
    if (!ctx.final && head.length < 200 && !settled.includes('<')) return { stop: true };
    return null;
  }
  const name = head.trim();
  if (!NAME_RE.test(name)) return null;
  const body = ci + CONTENT.length;
  if (name === 'all') {
    const stops = [STOP, EOT, FROM, RECIPIENT];
    const hit = findFirst(text, stops, body);
    if (!hit) {
      const hold = ctx.final ? 0 : Math.min(text.length - body, markerPrefixLength(text, stops));
      b.text(text.slice(body, text.length - hold));
      return { stop: true };
    }
    b.text(text.slice(body, hit.index));
    return { next: hit.marker === STOP || hit.marker === EOT ? hit.index + hit.marker.length : hit.index };
  }
  return scanJsonCall(text, at, name, body, { ends: [STOP, EOT], boundaries: [FROM, RECIPIENT], label: 'Functionary' }, ctx.final, b, ctx);
}

/** NAME\n after ">>>" (or at the start of the output), `at` where the markup began and `nameAt` the name. */
function scanArrowMessage(text: string, at: number, nameAt: number, ctx: ScanContext, b: SegmentBuilder): Step | null {
  const nl = text.indexOf('\n', nameAt);
  const name = text.slice(nameAt, nl < 0 ? text.length : nl);
  if (nl < 0) return !ctx.final && name.length < 100 && (name === '' || NAME_RE.test(name)) ? { stop: true } : null;
  if (!NAME_RE.test(name)) return null;
  if (name === 'all') return { next: nl + 1 };
  // Without ">>>" (at === nameAt) this is the leading message, read only at the start of the output.
  return scanJsonCall(text, at, name, nl + 1, { ends: [EOT], boundaries: [ARROWS], label: 'Functionary' }, ctx.final, b, ctx, at === nameAt);
}

/** <function=NAME>{json}</function> at `at`. */
function scanFunctionTag(text: string, at: number, ctx: ScanContext, b: SegmentBuilder): Step | null {
  const nameAt = at + FN.length;
  const gt = text.indexOf('>', nameAt);
  const name = text.slice(nameAt, gt < 0 ? text.length : gt);
  if (gt < 0) return !ctx.final && name.length < 100 && (name === '' || NAME_RE.test(name)) ? { stop: true } : null;
  if (!NAME_RE.test(name)) return null;
  return scanJsonCall(text, at, name, gt + 1, { ends: [FN_END], label: 'Functionary' }, ctx.final, b, ctx);
}

/** The v3.2 prompt may end with ">>>", so the output can start directly with "NAME\n" (known tools or "all"). */
function leadingMessage(text: string, ctx: ScanContext, b: SegmentBuilder): Step | 'hold' | null {
  const names = ['all', ...ctx.tools.map((t) => t.function?.name).filter((n): n is string => typeof n === 'string')];
  const heads = names.map((n) => n + '\n');
  const hit = heads.find((h) => text.startsWith(h));
  if (hit) return scanArrowMessage(text, 0, 0, ctx, b);
  if (!ctx.final && couldBeMarker(text, 0, heads)) return 'hold';
  return null;
}

export function scanFunctionary(text: string, ctx: ScanContext): Segment[] {
  const b = new SegmentBuilder();
  let pos = 0;
  // Only the start of the output may begin inside the first message.
  const lead = ctx.resume ? null : leadingMessage(text, ctx, b);
  if (lead === 'hold' || (lead && 'stop' in lead)) return b.segments;
  if (lead) pos = lead.next;
  while (pos <= text.length) {
    const hit = textUntilMarker(text, pos, MARKERS, ctx.final, (s) => b.text(s), (at) => ctx.checkpoint?.(at, b.segments));
    if (!hit) break;
    let step: Step | null;
    if (hit.marker === FROM) {
      // <|from|>ROLE\n: header markup before the recipient.
      const m = /^[a-z_]*\n?/.exec(text.slice(hit.index + FROM.length, hit.index + FROM.length + 40));
      const end = hit.index + FROM.length + (m ? m[0].length : 0);
      if (end >= text.length && !ctx.final) break;
      step = { next: end };
    } else if (hit.marker === RECIPIENT) step = scanRecipient(text, hit.index, ctx, b);
    else if (hit.marker === ARROWS) step = scanArrowMessage(text, hit.index, hit.index + ARROWS.length, ctx, b);
    else if (hit.marker === FN) step = scanFunctionTag(text, hit.index, ctx, b);
    else step = { next: hit.index + hit.marker.length }; // <|stop|>, <|eot_id|>: markup
    if (step === null) {
      b.text(hit.marker);
      pos = hit.index + hit.marker.length;
      continue;
    }
    if ('stop' in step) break;
    pos = step.next;
  }
  return b.segments;
}

export const functionaryFormat: ToolCallFormat = {
  name: 'functionary',
  aliases: ['functionary_v3', 'functionary_v3.1', 'functionary_v3.2', 'functionary_v2', 'meetkai'],
  family: 'functionary',
  markers: ['<|recipient|>', '<|content|>'],
  altMarkers: [['>>>all']],
  defaultReasoning: 'none',
  framing: true,
  scan: resumable(scanFunctionary),
};
