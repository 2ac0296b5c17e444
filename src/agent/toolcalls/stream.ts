// The streaming driver: after each chunk, take the snapshot of all text so far (built incrementally, see
// snapshot.ts) and emit only what is new. Non-streaming parsing is the same driver fed one chunk, so both paths
// agree by construction. A self-check verifies every new snapshot extends what was already emitted (each part
// is checked once it is settled, and the unsettled tail on every chunk); a scanner that breaks that rule
// freezes the stream (no wrong deltas) and is reported as a `stream_inconsistency` warning.
import type { ParseResult, ParseWarning, ParsedToolCall, StreamDelta, UnfinishedToolCall } from './types.js';
import { SnapshotBuilder, type ScanConfig, type Snapshot, type SnapshotCall } from './snapshot.js';
import { GrowingText } from './util/growing-text.js';
import { createIdGenerator, type IdGenerator, type IdStyle } from './util/ids.js';

export interface DriverConfig extends ScanConfig {
  idStyle: IdStyle;
  idSeed?: number;
}

export interface StreamDriver {
  push(chunk: string): StreamDelta[];
  finish(): StreamDelta[];
  result(): ParseResult;
}

/**
 * One visible text stream (content or reasoning) of settled text plus a tail. Visible means trimmed: leading
 * whitespace never shows; trailing whitespace is held back until more text follows (and dropped at the end), so
 * "\n\n" around tags never reaches the caller and the visible text only ever grows. `raw` (tool_choice "none")
 * keeps the text as is.
 */
class VisibleStream {
  private readonly emitted = new GrowingText();
  /** Length of the settled text at the previous check: what lies before it was checked already. */
  private checkedSettled = 0;

  constructor(private readonly raw: boolean) {}

  /** Visible [start, end) of settled + tail. */
  private bounds(settled: GrowingText, tail: string): [number, number] {
    const total = settled.length + tail.length;
    if (this.raw) return [0, total];
    const lead = settled.leadingWhitespace() < settled.length ? settled.leadingWhitespace() : settled.length + (tail.length - tail.trimStart().length);
    const tailTrail = tail.length - tail.trimEnd().length;
    const trail = tailTrail < tail.length ? tailTrail : tail.length + settled.trailingWhitespace();
    return [lead, Math.max(lead, total - trail)];
  }

  private slice(settled: GrowingText, tail: string, from: number, to: number): string {
    const s = from < settled.length ? settled.sliceFrom(from) + tail : tail.slice(from - settled.length);
    return s.slice(0, to - from);
  }

  /** False when the text no longer extends what was emitted. */
  consistent(settled: GrowingText, tail: string): boolean {
    const [start] = this.bounds(settled, tail);
    const from = Math.max(start, Math.min(this.checkedSettled, start + this.emitted.length));
    const to = start + this.emitted.length;
    this.checkedSettled = settled.length;
    if (to <= from) return true;
    return this.slice(settled, tail, from, to) === this.emitted.sliceFrom(from - start);
  }

  /** The newly visible text (and records it as emitted). */
  delta(settled: GrowingText, tail: string): string {
    const [start, end] = this.bounds(settled, tail);
    if (end - start <= this.emitted.length) return '';
    const d = this.slice(settled, tail, start + this.emitted.length, end);
    this.emitted.append(d);
    return d;
  }

  text(settled: GrowingText, tail: string): string {
    const [start, end] = this.bounds(settled, tail);
    return this.slice(settled, tail, start, end);
  }
}

export function createStreamDriver(cfg: DriverConfig): StreamDriver {
  const builder = new SnapshotBuilder(cfg);
  let done = false;
  let frozen = false;
  let finalSnap: Snapshot | null = null;
  const rawContent = cfg.toolChoice === 'none';
  const content = new VisibleStream(rawContent);
  const reasoning = new VisibleStream(false);
  // Per emitted call: name, the arguments sent so far, and how much of them is settled and checked already.
  const emittedCalls: Array<{ name: string; args: GrowingText; checked: number }> = [];
  const emittedWarnings: ParseWarning[] = [];
  /** Settled calls and warnings already checked against what was emitted. */
  let checkedCalls = 0;
  let checkedWarnings = 0;
  const ids: string[] = [];
  const idGen: IdGenerator = createIdGenerator(cfg.idStyle, cfg.idSeed);
  const inconsistencies: ParseWarning[] = [];

  const sameWarning = (a: ParseWarning, b: ParseWarning): boolean => a.code === b.code && a.message === b.message && a.raw === b.raw;

  const inconsistent = (what: string): void => {
    if (!frozen) inconsistencies.push({ code: 'stream_inconsistency', message: `parser ${cfg.tool.name}: ${what} changed after it was streamed` });
    frozen = true;
  };

  /** Named calls of a snapshot: settled then tail (a call without a name yet shows nothing); an open call whole. */
  const namedCalls = (snap: Snapshot): SnapshotCall[] => [...snap.calls.map((c) => (c.growing ? joined(c, snap) : c)), ...snap.tail.calls.filter((c) => c.name !== null)];

  /** The open call with the tail's continuation, as one call (costs its length: for results only). */
  const joined = (c: SnapshotCall, snap: Snapshot): SnapshotCall => {
    const g = c.growing as NonNullable<SnapshotCall['growing']>;
    const cont = snap.tail.continuation;
    return {
      name: c.name,
      arguments: g.args.toString() + (cont?.arguments ?? ''),
      complete: cont?.complete ?? false,
      unfinished: cont ? cont.unfinished : 'truncated',
      unknown: c.unknown,
      raw: g.raw.toString() + (cont?.raw ?? ''),
    };
  };

  /** A call's arguments read by length and from an offset, so an open call's are never copied whole. */
  interface ArgsView {
    name: string;
    length: number;
    /** How much of them no later chunk can change. */
    stable: number;
    from(offset: number): string;
  }
  const view = (c: SnapshotCall, snap: Snapshot, settled: boolean): ArgsView => {
    const g = c.growing;
    if (!g) return { name: c.name as string, length: c.arguments.length, stable: settled ? c.arguments.length : 0, from: (o) => c.arguments.slice(o) };
    const rest = snap.tail.continuation?.arguments ?? '';
    const n = g.args.length;
    return { name: c.name as string, length: n + rest.length, stable: n, from: (o) => (o < n ? g.args.sliceFrom(o) + rest : rest.slice(o - n)) };
  };

  /** Check the snapshot extends everything emitted; then emit the difference. */
  const diff = (snap: Snapshot): StreamDelta[] => {
    const out: StreamDelta[] = [];
    if (!content.consistent(snap.content, snap.tail.content)) inconsistent('content');
    if (!reasoning.consistent(snap.reasoning, snap.tail.reasoning)) inconsistent('reasoning');
    // Settled calls (all named) never change: each is checked once. A tail call may still lack its name.
    const tailNamed = snap.tail.calls.filter((c) => c.name !== null);
    const settledCalls = snap.calls.length;
    const callAt = (i: number): ArgsView | undefined =>
      i < settledCalls ? view(snap.calls[i], snap, true) : tailNamed[i - settledCalls] && view(tailNamed[i - settledCalls], snap, false);
    const callCount = settledCalls + tailNamed.length;
    for (let i = checkedCalls; i < emittedCalls.length; i++) {
      const c = callAt(i);
      const e = emittedCalls[i];
      // Only what may have changed since the last check is compared: the unsettled part of what was sent.
      if (!c || c.name !== e.name || c.length < e.args.length || c.from(e.checked).slice(0, e.args.length - e.checked) !== e.args.sliceFrom(e.checked)) {
        inconsistent(`tool call ${i}`);
      } else e.checked = Math.min(e.args.length, c.stable);
    }
    const open = settledCalls > 0 && snap.calls[settledCalls - 1].growing !== undefined;
    checkedCalls = Math.min(emittedCalls.length, open ? settledCalls - 1 : settledCalls);
    const warningCount = snap.warnings.length + snap.tail.warnings.length;
    const warningAt = (i: number): ParseWarning | undefined => (i < snap.warnings.length ? snap.warnings[i] : snap.tail.warnings[i - snap.warnings.length]);
    for (let i = checkedWarnings; i < emittedWarnings.length; i++) {
      const w = warningAt(i);
      if (!w || !sameWarning(w, emittedWarnings[i])) inconsistent(`warning ${i}`);
    }
    checkedWarnings = Math.min(emittedWarnings.length, snap.warnings.length);
    if (frozen) return out;
    const r = reasoning.delta(snap.reasoning, snap.tail.reasoning);
    if (r) out.push({ type: 'reasoning', text: r });
    const c = content.delta(snap.content, snap.tail.content);
    if (c) out.push({ type: 'content', text: c });
    for (let i = Math.max(0, emittedCalls.length - 1); i < callCount; i++) {
      const call = callAt(i) as ArgsView;
      const name = call.name;
      if (i >= emittedCalls.length) {
        ids[i] ??= idGen.next(name, i);
        out.push({ type: 'tool_call', index: i, id: ids[i], name });
        emittedCalls.push({ name, args: new GrowingText(), checked: 0 });
      }
      const sent = emittedCalls[i].args;
      if (call.length > sent.length) {
        const d = call.from(sent.length);
        out.push({ type: 'tool_call', index: i, arguments: d });
        sent.append(d);
      }
    }
    for (let i = emittedWarnings.length; i < warningCount; i++) {
      const w = warningAt(i) as ParseWarning;
      emittedWarnings.push(w);
      out.push({ type: 'warning', warning: w });
    }
    return out;
  };

  const withInconsistencies = (deltas: StreamDelta[], before: number): StreamDelta[] => {
    for (let i = before; i < inconsistencies.length; i++) deltas.push({ type: 'warning', warning: inconsistencies[i] });
    return deltas;
  };

  const finishSnapshot = (): Snapshot => (finalSnap ??= builder.finish());
  /** All text so far, for result() before finish(). */
  const seen = new GrowingText();
  const peekFinal = (): Snapshot => {
    const fresh = new SnapshotBuilder(cfg);
    fresh.push(seen.toString());
    return fresh.finish();
  };

  return {
    push(chunk: string): StreamDelta[] {
      if (done || typeof chunk !== 'string' || chunk === '') return [];
      const before = inconsistencies.length;
      seen.append(chunk);
      return withInconsistencies(diff(builder.push(chunk)), before);
    },
    finish(): StreamDelta[] {
      if (done) return [];
      done = true;
      const before = inconsistencies.length;
      return withInconsistencies(diff(finishSnapshot()), before);
    },
    result(): ParseResult {
      // Before finish(): the final parse of the text so far, by a fresh builder (the stream goes on).
      const snap = finalSnap ?? peekFinal();
      const text = content.text(snap.content, snap.tail.content);
      const thought = reasoning.text(snap.reasoning, snap.tail.reasoning);
      const calls: ParsedToolCall[] = [];
      const unfinished: UnfinishedToolCall[] = [];
      namedCalls(snap).forEach((c, i) => {
        ids[i] ??= idGen.next(c.name as string, i);
        if (c.unfinished) {
          unfinished.push({ index: i, id: ids[i], name: c.name as string, arguments: c.arguments, raw: c.raw, cause: c.unfinished });
          return;
        }
        const call: ParsedToolCall = { id: ids[i], type: 'function', function: { name: c.name as string, arguments: c.arguments } };
        if (c.unknown) call.unknown = true;
        calls.push(call);
      });
      return {
        content: text === '' ? null : text,
        reasoning_content: thought === '' ? null : thought,
        tool_calls: calls,
        unfinished_calls: unfinished,
        warnings: [...snap.warnings, ...snap.tail.warnings, ...inconsistencies],
      };
    },
  };
}
