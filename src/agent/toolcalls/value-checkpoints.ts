// Checkpoints inside one long call (an agent writing a whole file as one string argument), for any format.
//
// A scanner that ends inside a string value of an unfinished call reports it through `ctx.openValue(pre, at)`
// (types.ts): `pre` is short markup that opens the same call up to that value, then one character of value
// text. `resumable(scan)` turns the report into a checkpoint inside the call: the call so far is settled as
// `open`, and the next scan runs on `pre` + the new text, so its call carries the same arguments up to the
// lead character and then the continuation, which is cut off and marked `continues` (checkpoints.ts). Value
// text never changes how what follows it is scanned (JSON escaping and XML-ish raw text are per character),
// so the lead character stands for all of it: each chunk costs `pre` plus what it adds, whatever the length of
// the value. Where `pre` itself lands in the arguments is measured once, by scanning `pre` alone.
import type { ScanContext, Segment } from './types.js';

export type Scan = (text: string, ctx: ScanContext) => Segment[];

/** The value text `pre` ends with. Any character that escapes to itself and is no marker prefix will do. */
export const VALUE_LEAD = 'x';
const TAG = 'value:';

interface ValueState {
  pre: string;
  /** The resume context `pre` is scanned in (null: as the start of the output). */
  inner: { state?: string } | null;
  /** Segments the scan of `pre` yields before the call (left out of the resumed scan's segments). */
  drop: number;
  /** Lengths of the call's arguments and raw text that `pre` yields (cut off the resumed call). */
  argsCut: number;
  rawCut: number;
}

function readState(state: string | undefined): ValueState | null {
  if (!state?.startsWith(TAG)) return null;
  try {
    const v = JSON.parse(state.slice(TAG.length)) as ValueState;
    return typeof v.pre === 'string' && typeof v.argsCut === 'number' ? v : null;
  } catch {
    return null;
  }
}

type Call = Extract<Segment, { kind: 'call' }>;

/** Where `pre` leaves the call: null when it does not end inside one (then no checkpoint is taken). */
function measure(scan: Scan, pre: string, inner: { state?: string } | null, tools: ScanContext['tools']): Omit<ValueState, 'pre' | 'inner'> | null {
  const ctx: ScanContext = { final: false, tools };
  if (inner) ctx.resume = inner;
  const segs = scan(pre, ctx);
  const last = segs[segs.length - 1];
  if (last?.kind !== 'call' || last.complete || last.name === null) return null;
  if (!last.arguments.endsWith(VALUE_LEAD) || !last.raw.endsWith(VALUE_LEAD)) return null;
  return { drop: segs.length - 1, argsCut: last.arguments.length, rawCut: last.raw.length };
}

/** Wraps a format's scanner so that it checkpoints inside long string values and resumes there. */
export function resumable(scan: Scan): Scan {
  return (text, ctx) => {
    const vs = readState(ctx.resume?.state);
    if (!vs) return scanReporting(scan, text, ctx, 0, null, ctx.resume ?? null);
    return scanReporting(scan, vs.pre + text, ctx, vs.pre.length, vs, vs.inner);
  };
}

/**
 * Runs `scan` on `full` (= `shift` characters of `pre`, then the caller's text) in the resume context `inner`,
 * maps its segments and checkpoints back to the caller's text, and turns an open-value report into a
 * checkpoint.
 */
function scanReporting(scan: Scan, full: string, ctx: ScanContext, shift: number, vs: ValueState | null, inner: { state?: string } | null): Segment[] {
  /** The caller's view of segments of `full`: the resumed call carries only its continuation. */
  const view = (segs: readonly Segment[]): Segment[] => {
    if (!vs) return segs as Segment[];
    const out = segs.slice(vs.drop);
    const first = out[0];
    if (first?.kind === 'call') out[0] = { ...first, arguments: first.arguments.slice(vs.argsCut), raw: first.raw.slice(vs.rawCut), continues: true };
    return out;
  };
  const sub: ScanContext = { final: ctx.final, tools: ctx.tools };
  if (inner) sub.resume = inner;
  const outer = ctx.checkpoint;
  let report: { pre: string; at: number; asStart: boolean } | null = null;
  if (outer && !ctx.final) {
    sub.checkpoint = (at, segs, state) => {
      if (at > shift) outer(at - shift, view(segs), state);
    };
    sub.openValue = (pre, at, asStart) => {
      report = { pre, at, asStart: asStart === true };
    };
  }
  const segs = view(scan(full, sub));
  const r = report as { pre: string; at: number; asStart: boolean } | null;
  if (!r || !outer || r.at <= shift) return segs;
  const last = segs[segs.length - 1];
  const held = full.length - r.at;
  if (last?.kind !== 'call' || last.complete || held < 0 || held > last.raw.length) return segs;
  const preInner = r.asStart ? inner : (inner ?? {});
  const same = vs && vs.pre === r.pre && JSON.stringify(vs.inner) === JSON.stringify(preInner);
  const m = same ? vs : measure(scan, r.pre, preInner, ctx.tools);
  if (!m) return segs;
  const state: ValueState = { pre: r.pre, inner: preInner, drop: m.drop, argsCut: m.argsCut, rawCut: m.rawCut };
  const open: Call = { ...last, raw: last.raw.slice(0, last.raw.length - held), open: true };
  outer(r.at - shift, [...segs.slice(0, -1), open], TAG + JSON.stringify(state));
  return segs;
}
