// Formats whose calls are JSON behind an opening marker: a list of call objects ([...]) or one call object,
// then an optional closing marker. Each call object's keys vary by family (see EnvelopeShape). Some families
// also frame their plain text in markers of their own, which are removed wherever they stand:
//   command_r7b: <|START_ACTION|>[{"tool_call_id": "0", "tool_name": ..., "parameters": {...}}]<|END_ACTION|>
//   apertus:     <|tools_prefix|>[{"get_weather": {"city": "Paris"}}]<|tools_suffix|>
//   apriel:      <tool_calls>[{"name": ..., "arguments": {...}}]</tool_calls>
//   gigachat3:   <|message_sep|>\n\nfunction call<|role_sep|>\n{"name": ..., "arguments": {...}}  (3.0)
//                <|function_call|>{"name": ..., "arguments": {...}}                                (3.1)
import type { ScanContext, Segment } from '../types.js';
import { DEFAULT_SHAPE, scanEnvelope, type EnvelopeShape } from '../util/envelope.js';
import { findFirst, markerPrefixLength } from '../util/holdback.js';
import { scanEnvelopeArray } from './json-array.js';
import { reportOpenString, skipWs, pushText } from './scan-kit.js';
import { resumable } from '../value-checkpoints.js';

export interface MarkedJsonSpec {
  /** Markers that open calls. */
  opens: readonly string[];
  /** Marker that closes them (consumed when present; its absence at the end is tolerated). */
  close: string | null;
  /** What follows an opener: a list of call objects, one call object, or either. */
  body: 'array' | 'object' | 'either';
  shape?: EnvelopeShape;
  /** The family's own framing of plain text, removed wherever it stands. */
  strip?: readonly string[];
  /** Used in warning messages. */
  label: string;
}

type Step = { next: number } | { stop: true };

/** One call object at `at` (its '{'); `from` is where the opener began. */
function scanOneObject(text: string, from: number, at: number, spec: MarkedJsonSpec, ctx: ScanContext, out: Segment[]): Step {
  const env = scanEnvelope(text, at, ctx.final, spec.shape ?? DEFAULT_SHAPE);
  const broken = (message: string): Step => {
    if (!ctx.final) return { stop: true };
    out.push({ kind: 'warning', warning: { code: 'malformed_call', message, raw: text.slice(env.name === null ? from : env.end) } });
    return { next: text.length };
  };
  if (env.name === null) {
    if (!env.complete && !env.invalid) {
      out.push({ kind: 'call', name: null, arguments: '', complete: false, raw: text.slice(from) });
      return { stop: true };
    }
    return broken(`${spec.label} call object without a tool name`);
  }
  if (!env.complete) {
    out.push({ kind: 'call', name: env.name, arguments: env.arguments, complete: false, raw: text.slice(from, env.invalid ? env.end : text.length) });
    if (!env.invalid) reportOpenString(ctx, text, from, env.openString);
    return env.invalid ? broken(`invalid JSON in the call to "${env.name}"`) : { stop: true };
  }
  out.push({ kind: 'call', name: env.name, arguments: env.arguments, complete: true, raw: text.slice(from, env.end) });
  return { next: env.end };
}

/**
 * The calls of one list with the list's markup in their raw text (opener and '[' in the first, separators and
 * the closer after each), so a call kept as text (tool_choice "none") shows the markup as written.
 */
function withListMarkup(text: string, from: number, to: number, segs: Segment[]): Segment[] {
  let cursor = from;
  let last: Extract<Segment, { kind: 'call' }> | null = null;
  for (const seg of segs) {
    if (seg.kind !== 'call') continue;
    const at = text.indexOf(seg.raw, cursor);
    if (at < 0) continue;
    const end = at + seg.raw.length;
    seg.raw = text.slice(cursor, end);
    cursor = end;
    last = seg;
  }
  if (last && to > cursor) last.raw += text.slice(cursor, to);
  return segs;
}

export function markedJsonScanner(spec: MarkedJsonSpec): (text: string, ctx: ScanContext) => Segment[] {
  const strip = spec.strip ?? [];
  const markers = [...spec.opens, ...strip];
  return resumable((text, ctx) => {
    const out: Segment[] = [];
    let pos = 0;
    for (;;) {
      // Between calls the scan depends on nothing before: a checkpoint (see checkpoints.ts).
      ctx.checkpoint?.(pos, out);
      const hit = findFirst(text, markers, pos);
      if (!hit) {
        const hold = ctx.final ? 0 : markerPrefixLength(text.slice(pos), markers);
        pushText(out, text.slice(pos, text.length - hold));
        ctx.checkpoint?.(text.length - hold, out);
        return out;
      }
      pushText(out, text.slice(pos, hit.index));
      if (!spec.opens.includes(hit.marker)) {
        // Framing; unless a longer opener may still start here.
        const rest = text.slice(hit.index);
        if (!ctx.final && spec.opens.some((m) => m.length > rest.length && m.startsWith(rest))) return out;
        pos = hit.index + hit.marker.length;
        continue;
      }
      const i = skipWs(text, hit.index + hit.marker.length);
      if (i >= text.length) {
        out.push({ kind: 'call', name: null, arguments: '', complete: false, raw: text.slice(hit.index) });
        return out;
      }
      let step: Step;
      let calls: Segment[] = [];
      if (text[i] === '[' && spec.body !== 'object') {
        calls = [];
        const r = scanEnvelopeArray(text, i, ctx, calls, true, spec.shape ?? DEFAULT_SHAPE, { from: hit.index });
        step = r.kind === 'next' ? { next: r.next } : { stop: true };
      } else if (text[i] === '{' && spec.body !== 'array') {
        step = scanOneObject(text, hit.index, i, spec, ctx, out);
      } else {
        // An opener without calls after it: prose that mentions it.
        pushText(out, hit.marker);
        pos = hit.index + hit.marker.length;
        continue;
      }
      // Where the list's markup ends: unknown while an element is still being written.
      const listEnd = 'stop' in step ? -1 : step.next;
      if ('next' in step && spec.close) {
        const j = skipWs(text, step.next);
        if (text.startsWith(spec.close, j)) step = { next: j + spec.close.length };
        else if (!ctx.final && (j >= text.length || spec.close.startsWith(text.slice(j)))) step = { stop: true };
      }
      out.push(...withListMarkup(text, hit.index, 'next' in step ? step.next : listEnd, calls));
      if ('stop' in step) return out;
      pos = step.next;
    }
  });
}
