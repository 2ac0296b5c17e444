// Small building blocks shared by the scanners of this directory (on top of util/): a segment builder that
// merges adjacent text, "text up to the next marker" with partial-marker hold-back, and JSON arguments
// scanning reduced to complete / partial / invalid.

import type { ParseWarning, ScanContext, Segment } from '../types.js';
import { findFirst, markerPrefixLength } from '../util/holdback.js';
import { scanJson } from '../util/json.js';
import { VALUE_LEAD } from '../value-checkpoints.js';

/** Appends text to a segment list, merging it into a text segment that ends the list. */
export function pushText(out: Segment[], s: string): void {
  if (!s) return;
  const last = out[out.length - 1];
  if (last && last.kind === 'text') last.text += s;
  else out.push({ kind: 'text', text: s });
}

export class SegmentBuilder {
  readonly segments: Segment[] = [];

  text(s: string): void {
    pushText(this.segments, s);
  }

  reasoning(s: string): void {
    if (!s) return;
    const last = this.segments[this.segments.length - 1];
    if (last && last.kind === 'reasoning') last.text += s;
    else this.segments.push({ kind: 'reasoning', text: s });
  }

  /** Appends segments produced by another scanner (merging text into text). */
  push(...segs: Segment[]): void {
    for (const s of segs) {
      if (s.kind === 'text') this.text(s.text);
      else if (s.kind === 'reasoning') this.reasoning(s.text);
      else this.segments.push(s);
    }
  }

  call(name: string, args: string, complete: boolean, raw: string): void {
    this.segments.push({ kind: 'call', name, arguments: args, complete, raw });
  }

  warn(code: ParseWarning['code'], message: string, raw?: string): void {
    this.segments.push({ kind: 'warning', warning: raw === undefined ? { code, message } : { code, message, raw } });
  }
}

export function skipWs(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\t' || text[i] === '\r')) i++;
  return i;
}

export type ArgsScan =
  /** The JSON object spans [start, end); `args` is its text. */
  | { status: 'complete'; args: string; end: number }
  /** The text ran out inside the object; `args` is the longest healable prefix (`openString`: see JsonScan). */
  | { status: 'partial'; args: string; openString?: { quote: number; end: number } }
  /** Not JSON at `at`; `args` is the healable prefix before it. */
  | { status: 'invalid'; args: string; at: number };

/** Scans JSON arguments whose opening brace is at `start`. */
export function scanArgs(text: string, start: number, final: boolean): ArgsScan {
  const s = scanJson(text, start, final);
  if (s.complete) return { status: 'complete', args: text.slice(start, s.end), end: s.end };
  if (s.invalid) return { status: 'invalid', args: text.slice(start, s.safeEnd), at: s.end };
  const partial: ArgsScan = { status: 'partial', args: text.slice(start, s.safeEnd) };
  if (s.openString !== undefined) partial.openString = { quote: s.openString, end: s.safeEnd };
  return partial;
}

/**
 * A partial call whose raw JSON arguments stop inside a string value (`open`): reports a checkpoint there
 * (value-checkpoints.ts). `from` is where a scan that meets the call's markup first may start (its opener).
 */
export function reportOpenString(ctx: ScanContext, text: string, from: number, open: { quote: number; end: number } | undefined, asStart?: boolean): void {
  if (!open || !ctx.openValue || open.end <= open.quote + 1) return;
  ctx.openValue(text.slice(from, open.quote + 1) + VALUE_LEAD, open.end, asStart);
}

/**
 * Emits the plain text from `pos` up to the next marker and returns that marker, or, when there is none,
 * emits up to the end (minus a trailing partial marker unless `final`), reports that point to `settle` (a
 * scanner in plain text checkpoints there, see checkpoints.ts) and returns null.
 */
export function textUntilMarker(
  text: string,
  pos: number,
  markers: readonly string[],
  final: boolean,
  emit: (s: string) => void,
  settle?: (at: number) => void,
): { index: number; marker: string } | null {
  const hit = findFirst(text, markers, pos);
  if (hit) {
    emit(text.slice(pos, hit.index));
    return hit;
  }
  const hold = final ? 0 : Math.min(text.length - pos, markerPrefixLength(text, markers));
  emit(text.slice(pos, text.length - hold));
  settle?.(text.length - hold);
  return null;
}

/** The identifier-ish tool name at text[i..]: letters, digits and _ - . : / (what tool names are made of). */
export function readName(text: string, i: number): { name: string; end: number } {
  let j = i;
  while (j < text.length && /[\p{L}\p{N}_\-.:/]/u.test(text[j])) j++;
  return { name: text.slice(i, j), end: j };
}

/** True when text[at..] is non-empty and a proper prefix of one of the markers (it may still become one). */
export function couldBeMarker(text: string, at: number, markers: readonly string[]): boolean {
  const rest = text.slice(at);
  return rest.length > 0 && markers.some((m) => m.length > rest.length && m.startsWith(rest));
}

export type Step = { next: number } | { stop: true };

export interface JsonCallSpec {
  /** Markers that close the call (consumed). */
  ends: readonly string[];
  /** Markers that end the call without being consumed (e.g. the next call's opener). */
  boundaries?: readonly string[];
  /** Text allowed between the JSON and the end marker (e.g. a closing ``` fence). */
  trailer?: string;
  /** Used in warning messages, e.g. "DeepSeek". */
  label: string;
}

/**
 * The rest of a call whose name is known and whose JSON arguments start at or after `q`:
 * streams the arguments, then expects one of `spec.ends`. The call segment is emitted as soon as this is
 * reached, so its name streams before its arguments. Broken JSON keeps the call (its healable prefix) and
 * adds a malformed_call warning holding the rest of the call's markup.
 */
export function scanJsonCall(
  text: string,
  callStart: number,
  name: string,
  q: number,
  spec: JsonCallSpec,
  final: boolean,
  b: SegmentBuilder,
  /** For checkpoints inside a long string argument (the call then ends the scan). */
  ctx?: ScanContext,
  /** The call is read only at the start of the output (value-checkpoints.ts). */
  asStart = false,
): Step {
  const stops = [...spec.ends, ...(spec.boundaries ?? [])];
  const tail = (from: number, message: string): Step => {
    const hit = findFirst(text, stops, from);
    if (!hit) {
      if (final) b.warn('malformed_call', message, text.slice(from));
      return { stop: true };
    }
    const consumed = spec.ends.includes(hit.marker) ? hit.index + hit.marker.length : hit.index;
    b.warn('malformed_call', message, text.slice(from, consumed));
    return { next: consumed };
  };
  q = skipWs(text, q);
  if (q >= text.length) {
    b.call(name, '', false, text.slice(callStart));
    return { stop: true };
  }
  if (text[q] !== '{') {
    b.call(name, '', false, text.slice(callStart, q));
    return tail(q, `${spec.label} tool call "${name}": arguments are not a JSON object`);
  }
  const s = scanArgs(text, q, final);
  if (s.status === 'partial') {
    b.call(name, s.args, false, text.slice(callStart));
    if (ctx) reportOpenString(ctx, text, callStart, s.openString, asStart);
    return { stop: true };
  }
  if (s.status === 'invalid') {
    b.call(name, s.args, false, text.slice(callStart, s.at));
    return tail(s.at, `${spec.label} tool call "${name}": invalid JSON in its arguments`);
  }
  let r = skipWs(text, s.end);
  if (spec.trailer && text.startsWith(spec.trailer, r)) r = skipWs(text, r + spec.trailer.length);
  const end = spec.ends.find((m) => text.startsWith(m, r));
  if (end) {
    b.call(name, s.args, true, text.slice(callStart, r + end.length));
    return { next: r + end.length };
  }
  b.call(name, s.args, true, text.slice(callStart, s.end));
  if (r >= text.length) return final ? { next: r } : { stop: true };
  if (spec.boundaries?.some((m) => text.startsWith(m, r))) return { next: r };
  if (!final && couldBeMarker(text, r, [...stops, ...(spec.trailer ? [spec.trailer] : [])])) return { stop: true };
  return tail(s.end, `${spec.label} tool call "${name}": unexpected text after its arguments`);
}

/** The delegate's context: its checkpoints, shifted to our text, resume in the delegate (state "name|inner"). */
export function delegateContext(ctx: ScanContext, name: string, shift: number, before: readonly Segment[], resume?: { state?: string }): ScanContext {
  const sub: ScanContext = { final: ctx.final, tools: ctx.tools };
  if (resume) sub.resume = resume;
  const outer = ctx.checkpoint;
  if (outer) sub.checkpoint = (at, segs, state) => outer(shift + at, [...before, ...segs], `${name}|${state ?? ''}`);
  return sub;
}
