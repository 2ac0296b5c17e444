// OpenAI Harmony (gpt-oss): the output is a sequence of messages, each a header and a body:
//   <|channel|>analysis<|message|>…<|end|>                                             -> reasoning
//   <|start|>assistant<|channel|>commentary to=functions.NAME <|constrain|>json<|message|>{…}<|call|>   -> a call
//   <|start|>assistant to=functions.NAME<|channel|>commentary json<|message|>{…}<|call|>               -> a call
//   <|start|>assistant<|channel|>final<|message|>…<|return|>                          -> content
// The prompt ends with "<|start|>assistant", so the first header starts without <|start|>. A message with a
// recipient (to=…) is a call whatever its channel; commentary without one is a user-visible preamble.

import type { ScanContext, Segment, ToolCallFormat } from '../types.js';
import { findFirst, markerPrefixLength } from '../util/holdback.js';
import { SegmentBuilder, couldBeMarker, scanJsonCall, textUntilMarker, type Step } from './scan-kit.js';

const START = '<|start|>';
const CHANNEL = '<|channel|>';
const MESSAGE = '<|message|>';
const END = '<|end|>';
const CALL = '<|call|>';
const RETURN = '<|return|>';
const TERMS = [END, CALL, RETURN];
const BOUNDARIES = [START, CHANNEL];
const OUTSIDE_MARKERS = [START, CHANNEL, MESSAGE, ...TERMS];
/** A header longer than this without <|message|> is not a header. */
const MAX_HEADER = 400;
const CALL_SPEC = { ends: TERMS, boundaries: BOUNDARIES, label: 'Harmony' } as const;

/** The message whose header starts at `headerFrom` (its markup at `msgStart`). */
function scanMessage(text: string, msgStart: number, headerFrom: number, ctx: ScanContext, b: SegmentBuilder): Step {
  const mi = text.indexOf(MESSAGE, headerFrom);
  const nextStart = text.indexOf(START, headerFrom);
  if (nextStart >= 0 && (mi < 0 || nextStart < mi)) {
    b.warn('malformed_call', 'Harmony message header without <|message|>', text.slice(msgStart, nextStart));
    return { next: nextStart };
  }
  if (mi < 0) {
    if (!ctx.final && text.length - headerFrom <= MAX_HEADER) return { stop: true };
    b.warn('malformed_call', 'Harmony message header without <|message|>', text.slice(msgStart));
    return { stop: true };
  }
  const header = text.slice(headerFrom, mi);
  const channel = /<\|channel\|>\s*([^\s<]+)/.exec(header)?.[1] ?? '';
  const recipient = /(?:^|\s)to=([^\s<]+)/.exec(header)?.[1];
  const body = mi + MESSAGE.length;
  if (recipient) {
    const name = recipient.startsWith('functions.') ? recipient.slice('functions.'.length) : recipient;
    return scanJsonCall(text, msgStart, name, body, CALL_SPEC, ctx.final, b);
  }
  const emit = (s: string): void => (channel === 'analysis' ? b.reasoning(s) : b.text(s));
  const hit = findFirst(text, [...TERMS, ...BOUNDARIES], body);
  if (!hit) {
    const hold = ctx.final ? 0 : Math.min(text.length - body, markerPrefixLength(text, [...TERMS, ...BOUNDARIES]));
    emit(text.slice(body, text.length - hold));
    return { stop: true };
  }
  emit(text.slice(body, hit.index));
  return { next: TERMS.includes(hit.marker) ? hit.index + hit.marker.length : hit.index };
}

export function scanHarmony(text: string, ctx: ScanContext): Segment[] {
  const b = new SegmentBuilder();
  let pos = 0;
  // The first header may begin with its recipient, the "<|start|>assistant" part being in the prompt.
  const lead = /^\s*/.exec(text)?.[0].length ?? 0;
  if (text.startsWith('to=', lead)) {
    const step = scanMessage(text, 0, 0, ctx, b);
    if ('stop' in step) return b.segments;
    pos = step.next;
  } else if (!ctx.final && (lead === text.length || couldBeMarker(text, lead, ['to=']))) {
    return b.segments;
  }
  while (pos <= text.length) {
    const hit = textUntilMarker(text, pos, OUTSIDE_MARKERS, ctx.final, (s) => b.text(s));
    if (!hit) break;
    if (TERMS.includes(hit.marker)) {
      // A terminator outside a message is leftover markup.
      pos = hit.index + hit.marker.length;
      continue;
    }
    const headerFrom = hit.marker === START ? hit.index + START.length : hit.index;
    const step = scanMessage(text, hit.index, headerFrom, ctx, b);
    if ('stop' in step) break;
    pos = step.next;
  }
  return b.segments;
}

export const harmonyFormat: ToolCallFormat = {
  name: 'harmony',
  aliases: ['gpt-oss', 'openai', 'gptoss', 'openai_harmony'],
  family: 'harmony',
  markers: ['<|channel|>', '<|message|>'],
  inlineReasoning: true,
  scan: scanHarmony,
};
