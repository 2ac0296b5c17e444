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
import { resumable } from '../value-checkpoints.js';

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

/** The message whose header starts at `headerFrom` (its markup at `msgStart`); null when it is not a header. */
function scanMessage(text: string, msgStart: number, headerFrom: number, ctx: ScanContext, b: SegmentBuilder): Step | null {
  // Only a <|message|> within MAX_HEADER characters ends a header, so the decision never depends on how much
  // text has arrived beyond that window.
  const window = text.slice(headerFrom, headerFrom + MAX_HEADER + MESSAGE.length);
  const wi = window.indexOf(MESSAGE);
  const mi = wi < 0 ? -1 : headerFrom + wi;
  const si = window.indexOf(START);
  const nextStart = si < 0 ? -1 : headerFrom + si;
  if (nextStart >= 0 && (mi < 0 || nextStart < mi)) {
    b.warn('malformed_call', 'Harmony message header without <|message|>', text.slice(msgStart, nextStart));
    return { next: nextStart };
  }
  if (mi < 0) {
    if (text.length - headerFrom > MAX_HEADER + MESSAGE.length) return null;
    if (!ctx.final) return { stop: true };
    b.warn('malformed_call', 'Harmony message header without <|message|>', text.slice(msgStart));
    return { stop: true };
  }
  const header = text.slice(headerFrom, mi);
  // A header may switch channels before its <|message|>: the last channel is the message's.
  const channel = [...header.matchAll(/<\|channel\|>\s*([^\s<]+)/g)].at(-1)?.[1] ?? '';
  // "to=assistant" addresses the assistant itself: not a call.
  const recipient = [...header.matchAll(/(?:^|\s)to=([^\s<]+)/g)].map((m) => m[1]).filter((r) => r !== 'assistant').at(-1);
  const body = mi + MESSAGE.length;
  if (recipient?.startsWith('functions.')) return scanJsonCall(text, msgStart, recipient.slice('functions.'.length), body, CALL_SPEC, ctx.final, b, ctx);
  if (recipient && ctx.tools.some((t) => t.function?.name === recipient)) return scanJsonCall(text, msgStart, recipient, body, CALL_SPEC, ctx.final, b, ctx);
  if (recipient) return skipBuiltinCall(text, msgStart, body, recipient, ctx, b);
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

/**
 * A message to a built-in tool (container.exec, browser.*, python) the request did not offer: not a call the
 * caller can run and not content either; reported with its markup as a warning.
 */
function skipBuiltinCall(text: string, msgStart: number, body: number, recipient: string, ctx: ScanContext, b: SegmentBuilder): Step {
  const hit = findFirst(text, [...TERMS, ...BOUNDARIES], body);
  if (!hit && !ctx.final) return { stop: true };
  const end = !hit ? text.length : TERMS.includes(hit.marker) ? hit.index + hit.marker.length : hit.index;
  b.warn('unknown_tool', `Harmony message to the built-in tool "${recipient}", which is not among the request's tools`, text.slice(msgStart, end));
  return hit ? { next: end } : { stop: true };
}

export function scanHarmony(text: string, ctx: ScanContext): Segment[] {
  const b = new SegmentBuilder();
  let pos = 0;
  // The first header may begin with its recipient, the "<|start|>assistant" part being in the prompt.
  const lead = /^\s*/.exec(text)?.[0].length ?? 0;
  if (ctx.resume) {
    // Resumed from a checkpoint: not the start of the output.
  } else if (text.startsWith('to=', lead)) {
    const step = scanMessage(text, 0, 0, ctx, b);
    if (step && 'stop' in step) return b.segments;
    if (step) pos = step.next;
  } else if (!ctx.final && (lead === text.length || couldBeMarker(text, lead, ['to=']))) {
    return b.segments;
  }
  while (pos <= text.length) {
    const hit = textUntilMarker(text, pos, OUTSIDE_MARKERS, ctx.final, (s) => b.text(s), (at) => ctx.checkpoint?.(at, b.segments));
    if (!hit) break;
    if (TERMS.includes(hit.marker)) {
      // A terminator outside a message is leftover markup.
      pos = hit.index + hit.marker.length;
      continue;
    }
    const headerFrom = hit.marker === START ? hit.index + START.length : hit.index;
    const step = scanMessage(text, hit.index, headerFrom, ctx, b);
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

export const harmonyFormat: ToolCallFormat = {
  name: 'harmony',
  aliases: ['gpt-oss', 'openai', 'gptoss', 'openai_harmony'],
  family: 'harmony',
  markers: ['<|channel|>', '<|message|>'],
  inlineReasoning: true,
  scan: resumable(scanHarmony),
};
