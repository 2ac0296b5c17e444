// llama3 / llama3.1 / llama3.2 / llama3.3 JSON tool calling:
//   <|python_tag|>{"name": ..., "parameters": {...}}; {...}     (several separated by ';')
//   {"type": "function", "name": ..., "parameters": {...}}      (the bare envelope at the start of the output)
//   <function=NAME>{json}</function>                             (legacy 3.1 custom-tool form)
// A bare object is a call only when its keys are the envelope's (type/name/parameters/arguments), so JSON
// data the user asked for stays text. `requireKnownName` (the generic `auto` detector) also demands the name
// be one of the request's tools.
import type { ScanContext, Segment, ToolCallFormat } from '../types.js';
import { scanEnvelope } from '../util/envelope.js';
import { findFirst, markerPrefixLength } from '../util/holdback.js';
import { SegmentBuilder, scanJsonCall, skipWs } from './scan-kit.js';
import { resumable, VALUE_LEAD } from '../value-checkpoints.js';

const TAG = '<|python_tag|>';
const FN = '<function=';
const FN_END = '</function>';
const ENVELOPE_KEYS = new Set(['type', 'name', 'parameters', 'arguments']);
/** The generic detector accepts exactly name + arguments/parameters. */
const STRICT_KEYS = new Set(['name', 'parameters', 'arguments']);

type Step = { next: number } | { stop: true };

export interface EnvelopeListOptions {
  /** Only these top-level keys make an envelope. */
  keys: Set<string>;
  /** The name must be among ctx.tools. */
  requireKnownName: boolean;
  /**
   * The markup before the list (its opener) for checkpoints inside a call's string argument
   * (value-checkpoints.ts); `asStart`: the list is read only at the start of the output.
   */
  head?: { prefix: string; asStart?: boolean };
}

/**
 * Envelopes starting at `at`, separated by ';'. Returns null when the first object is not a call (the caller
 * keeps the text), else where scanning continues.
 */
export function scanEnvelopeList(text: string, at: number, ctx: ScanContext, out: Segment[], opts: EnvelopeListOptions): Step | null {
  let i = skipWs(text, at);
  let first = true;
  for (;;) {
    if (i >= text.length) {
      if (first && !ctx.final) return { stop: true };
      return first ? null : { next: i };
    }
    if (text[i] !== '{') return first ? null : { next: i };
    const env = scanEnvelope(text, i, ctx.final);
    const known = env.name !== null && ctx.tools.some((t) => t.function?.name === env.name);
    // A call once its name is one of the tools, or (explicit llama3) once it also carries arguments; only the
    // keys up to that point may disqualify it, so a decision never flips while streaming.
    let decisionAt = -1;
    const nameAt = env.keys.indexOf('name');
    const argsAt = env.keys.findIndex((k) => k === 'parameters' || k === 'arguments');
    if (env.name !== null && known) decisionAt = nameAt;
    else if (env.name !== null && !opts.requireKnownName && argsAt >= 0) decisionAt = Math.max(nameAt, argsAt);
    const badKey = env.keys.slice(0, decisionAt < 0 ? env.keys.length : decisionAt + 1).some((k) => !opts.keys.has(k));
    const decided = decisionAt >= 0 && !badKey;
    if (!decided) {
      // Undecided while nothing disqualifies it yet.
      if (!ctx.final && !badKey && !env.invalid && !env.complete) return { stop: true };
      return first ? null : { next: i };
    }
    if (!env.complete) {
      out.push({ kind: 'call', name: env.name, arguments: env.arguments, complete: false, raw: text.slice(i) });
      if (env.invalid && ctx.final) out.push({ kind: 'warning', warning: { code: 'malformed_call', message: `invalid JSON in the call to "${env.name}"`, raw: text.slice(i) } });
      if (!env.invalid && env.openString && opts.head && ctx.openValue) {
        ctx.openValue(opts.head.prefix + text.slice(i, env.openString.quote + 1) + VALUE_LEAD, env.openString.end, opts.head.asStart);
      }
      return { stop: true };
    }
    out.push({ kind: 'call', name: env.name, arguments: env.arguments, complete: true, raw: text.slice(i, env.end) });
    first = false;
    const j = skipWs(text, env.end);
    if (text[j] === ';') {
      const k = skipWs(text, j + 1);
      if (k >= text.length && !ctx.final) return { stop: true };
      if (text[k] === '{') {
        i = k;
        continue;
      }
      return { next: j + 1 };
    }
    if (j >= text.length && !ctx.final) return { stop: true };
    return { next: env.end };
  }
}

function scanLlama3Text(text: string, ctx: ScanContext, requireKnownName: boolean): Segment[] {
  const out: Segment[] = [];
  const opts: EnvelopeListOptions = { keys: requireKnownName ? STRICT_KEYS : ENVELOPE_KEYS, requireKnownName };
  let pos = 0;
  // The bare envelope form: only at the very start of the output.
  const lead = skipWs(text, 0);
  if (ctx.resume) {
    // Resumed from a checkpoint: not the start of the output.
  } else if (text[lead] === '{') {
    const r = scanEnvelopeList(text, lead, ctx, out, { ...opts, head: { prefix: '', asStart: true } });
    if (r && 'stop' in r) return out;
    if (r) pos = r.next;
  } else if (lead >= text.length && !ctx.final) return out;
  for (;;) {
    // Between calls the scan depends on nothing before: a checkpoint (see checkpoints.ts).
    ctx.checkpoint?.(pos, out);
    const hit = findFirst(text, [TAG, FN], pos);
    if (!hit) {
      const rest = text.slice(pos);
      const hold = ctx.final ? 0 : markerPrefixLength(rest, [TAG, FN]);
      if (rest.length > hold) out.push({ kind: 'text', text: rest.slice(0, rest.length - hold) });
      ctx.checkpoint?.(text.length - hold, out);
      return out;
    }
    if (hit.index > pos) out.push({ kind: 'text', text: text.slice(pos, hit.index) });
    if (hit.marker === TAG) {
      const r = scanEnvelopeList(text, hit.index + TAG.length, ctx, out, { ...opts, head: { prefix: TAG } });
      if (r === null) {
        // <|python_tag|> followed by code or prose (built-in tools): the tag itself is dropped.
        pos = hit.index + TAG.length;
        continue;
      }
      if ('stop' in r) return out;
      pos = r.next;
      continue;
    }
    const nameStart = hit.index + FN.length;
    const m = /^[A-Za-z_][\w.-]*/.exec(text.slice(nameStart, nameStart + 200));
    const after = nameStart + (m ? m[0].length : 0);
    if (!m || after >= text.length) {
      if (after >= text.length && !ctx.final && (!m || m[0].length < 200)) return out;
      if (!m) {
        out.push({ kind: 'text', text: FN });
        pos = nameStart;
        continue;
      }
    }
    if (text[after] !== '>' && after < text.length) {
      out.push({ kind: 'text', text: FN });
      pos = nameStart;
      continue;
    }
    if (requireKnownName && !ctx.tools.some((t) => t.function?.name === m![0])) {
      out.push({ kind: 'text', text: FN });
      pos = nameStart;
      continue;
    }
    const b = new SegmentBuilder();
    const step = scanJsonCall(text, hit.index, m![0], after + 1, { ends: [FN_END], label: 'Llama' }, ctx.final, b, ctx);
    out.push(...b.segments);
    if ('stop' in step) return out;
    pos = step.next;
  }
}

const scanLlama3Any = resumable((text, ctx) => scanLlama3Text(text, ctx, false));
const scanLlama3Known = resumable((text, ctx) => scanLlama3Text(text, ctx, true));

/** `requireKnownName`: the generic detector's stricter reading (see EnvelopeListOptions). */
export function scanLlama3(text: string, ctx: ScanContext, requireKnownName = false): Segment[] {
  return (requireKnownName ? scanLlama3Known : scanLlama3Any)(text, ctx);
}

export const llama3Format: ToolCallFormat = {
  name: 'llama3',
  aliases: ['llama3.1', 'llama3.2', 'llama3.3', 'llama3_json', 'llama31', 'llama32', 'llama33', 'llama'],
  family: 'llama3',
  markers: ['<|python_tag|>'],
  altMarkers: [['ipython', '<|start_header_id|>'], ['<|start_header_id|>', '<|eot_id|>']],
  idStyle: 'openai',
  scan: scanLlama3Any,
};
