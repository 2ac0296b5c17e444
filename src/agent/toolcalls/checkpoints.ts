// Incremental scanning: a scanner reports checkpoints (see ScanContext.checkpoint in types.ts); the driver keeps
// what lies before the latest one and re-scans only from there on the next chunk, so the cost of a stream is
// linear in its length instead of quadratic.
//
// How a scanner plugs in: in its main loop, wherever it stands in plain text (the text before has produced all
// its segments and nothing after depends on it), call `ctx.checkpoint?.(position, segmentsSoFar, state?)`; and
// when `ctx.resume` is set, start in that state (and skip whatever only the start of the output may hold, such
// as a leading bare call list). A scanner that never calls it still works: it is re-scanned from the start.

/** Anything with a kind; text-like segments also carry `text`, which later text may extend. */
export type Scanned = { kind: string; text?: string; open?: boolean; arguments?: string; raw?: string };

export interface ResumeHooks<S> {
  checkpoint: (at: number, segments: readonly S[], state?: string) => void;
  resume?: { state?: string };
}

export interface CheckpointedScan<S> {
  /** Segments before the checkpoint: final whatever comes next. */
  settled: S[];
  /** Segments after it (a later scan may extend or change them). */
  tail: S[];
  /** How much of the text the settled segments cover (0 when there was no checkpoint). */
  consumed: number;
  /** The scanner state to resume in. */
  state: string | undefined;
}

export function scanWithCheckpoints<S extends Scanned>(
  text: string,
  resume: { state?: string } | undefined,
  scan: (text: string, hooks: ResumeHooks<S>) => S[],
): CheckpointedScan<S> {
  type Cp = { at: number; count: number; lastLen: number; state?: string; open?: S };
  let cp: Cp | null = null;
  const checkpoint = (at: number, segments: readonly S[], state?: string): void => {
    if (at <= 0 || at > text.length || (cp && at < cp.at)) return;
    const last = segments[segments.length - 1];
    cp = { at, count: segments.length, lastLen: typeof last?.text === 'string' ? last.text.length : -1, state };
    // A checkpoint inside a call: the call as it stands here (the scan ends with the same call, grown).
    if (last?.open) cp.open = { ...last };
  };
  const segs = scan(text, resume ? { checkpoint, resume } : { checkpoint });
  const found = cp as Cp | null;
  if (!found) return { settled: [], tail: segs, consumed: 0, state: resume?.state };
  const settled = segs.slice(0, found.count);
  const tail = segs.slice(found.count);
  if (found.open) {
    // The settled part ends with the call so far; the tail starts with the rest of it.
    const whole = settled[settled.length - 1];
    const args = found.open.arguments ?? '';
    const raw = found.open.raw ?? '';
    settled[settled.length - 1] = found.open;
    tail.unshift({ ...whole, arguments: (whole.arguments ?? '').slice(args.length), raw: (whole.raw ?? '').slice(raw.length), open: false, continues: true });
    return { settled, tail, consumed: found.at, state: found.state };
  }
  const last = settled[settled.length - 1];
  if (last && found.lastLen >= 0 && typeof last.text === 'string' && last.text.length > found.lastLen) {
    // Text the scanner merged into the last settled segment after the checkpoint belongs to the tail.
    settled[settled.length - 1] = { ...last, text: last.text.slice(0, found.lastLen) };
    tail.unshift({ ...last, text: last.text.slice(found.lastLen) });
  }
  return { settled, tail, consumed: found.at, state: found.state };
}
