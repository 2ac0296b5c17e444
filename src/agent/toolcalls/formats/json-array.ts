// A JSON array of call envelopes, [{"name": ..., "arguments": {...}}, ...], as mistral (old), xlam, granite and
// phi4_mini write it. Each element becomes a call as it streams. When the array is not announced by a marker
// (xlam's bare form) it counts as calls only once the first element reads as an envelope.
import type { ScanContext, Segment } from '../types.js';
import { DEFAULT_SHAPE, scanEnvelope, type EnvelopeShape } from '../util/envelope.js';
import { skipWs } from './scan-kit.js';
import { VALUE_LEAD } from '../value-checkpoints.js';

export type ArrayStep = { kind: 'notcall' } | { kind: 'stop' } | { kind: 'next'; next: number };

const KEYS = new Set(['name', 'arguments', 'parameters', 'type', 'id']);

/** Where a scan that meets the list's markup first may start (its opener), for checkpoints inside a call. */
export interface ListHead {
  from: number;
  /** The list is read only at the start of the output (xlam's bare form). */
  asStart?: boolean;
}

/**
 * `at` is the '['. `announced`: a marker already said calls follow (no envelope test needed). With `head`, a
 * call cut inside a string argument reports a checkpoint (value-checkpoints.ts) whose markup is the head, the
 * '[' and that call alone.
 */
export function scanEnvelopeArray(
  text: string,
  at: number,
  ctx: ScanContext,
  out: Segment[],
  announced: boolean,
  shape: EnvelopeShape = DEFAULT_SHAPE,
  head?: ListHead,
): ArrayStep {
  let i = skipWs(text, at + 1);
  let first = true;
  for (;;) {
    if (i >= text.length) return first && ctx.final && !announced ? { kind: 'notcall' } : first && ctx.final ? { kind: 'next', next: i } : { kind: 'stop' };
    if (text[i] === ']') return first && !announced ? { kind: 'notcall' } : { kind: 'next', next: i + 1 };
    if (text[i] !== '{') return first && !announced ? { kind: 'notcall' } : broken(text, i, ctx, out, 'expected a call object');
    const env = scanEnvelope(text, i, ctx.final, shape);
    if (first && !announced) {
      const known = env.name !== null && ctx.tools.some((t) => t.function?.name === env.name);
      const nameAt = env.keys.indexOf('name');
      const argsAt = env.keys.findIndex((k) => k === 'arguments' || k === 'parameters');
      const decisionAt = env.name === null ? -1 : known ? nameAt : argsAt >= 0 ? Math.max(nameAt, argsAt) : -1;
      const bad = env.keys.slice(0, decisionAt < 0 ? env.keys.length : decisionAt + 1).some((k) => !KEYS.has(k));
      if (decisionAt < 0 || bad) {
        if (!ctx.final && !bad && !env.invalid && !env.complete) return { kind: 'stop' };
        return { kind: 'notcall' };
      }
    }
    first = false;
    if (env.name === null) {
      if (!env.complete && !env.invalid && !ctx.final) return { kind: 'stop' };
      if (!env.complete && !env.invalid) {
        out.push({ kind: 'call', name: null, arguments: '', complete: false, raw: text.slice(i) });
        return { kind: 'next', next: text.length };
      }
      return broken(text, i, ctx, out, 'a call object without a "name"');
    }
    if (!env.complete) {
      out.push({ kind: 'call', name: env.name, arguments: env.arguments, complete: false, raw: text.slice(i, env.invalid ? env.end : text.length) });
      if (env.invalid) return broken(text, env.end, ctx, out, `invalid JSON in the call to "${env.name}"`);
      if (head && env.openString && ctx.openValue) {
        const { quote, end } = env.openString;
        ctx.openValue(text.slice(head.from, at + 1) + text.slice(i, quote + 1) + VALUE_LEAD, end, head.asStart);
      }
      return { kind: 'stop' };
    }
    out.push({ kind: 'call', name: env.name, arguments: env.arguments, complete: true, raw: text.slice(i, env.end) });
    i = skipWs(text, env.end);
    if (i >= text.length) return ctx.final ? { kind: 'next', next: i } : { kind: 'stop' };
    if (text[i] === ',') {
      i = skipWs(text, i + 1);
      continue;
    }
    if (text[i] === ']') return { kind: 'next', next: i + 1 };
    return broken(text, i, ctx, out, 'expected , or ] in the call list');
  }
}

/** The list broke after calls were reported: at the end, the rest of the output is the malformed markup. */
function broken(text: string, at: number, ctx: ScanContext, out: Segment[], message: string): ArrayStep {
  if (!ctx.final) return { kind: 'stop' };
  out.push({ kind: 'warning', warning: { code: 'malformed_call', message, raw: text.slice(at) } });
  return { kind: 'next', next: text.length };
}
