// The parse of all text seen so far, built incrementally: the reasoning split and the tool scan each resume from
// their last checkpoint (checkpoints.ts), so each chunk costs what it adds. A snapshot is a settled part (final
// whatever follows; only ever appended to) and a tail recomputed on every chunk. The streaming driver diffs
// successive snapshots; the final snapshot is the ParseResult.
import type { ToolDefinition } from '../../engine/types.js';
import type { ParseWarning, ReasoningFormat, ReasoningPiece, Segment, ToolCallFormat, ToolChoice } from './types.js';
import { scanWithCheckpoints, type CheckpointedScan } from './checkpoints.js';
import { GrowingText } from './util/growing-text.js';
import { tryParseJson, isPlainObject } from './util/json.js';

export interface SnapshotCall {
  name: string | null;
  arguments: string;
  complete: boolean;
  /** Settled without closing: cut off by the end of the output, or broken markup. Never returned as a call. */
  unfinished: 'truncated' | 'malformed' | null;
  unknown: boolean;
  raw: string;
  /**
   * Set while the call is open (the scanner checkpointed inside it, see checkpoints.ts): its settled arguments
   * and raw text so far, kept as growing text so a long call costs what it adds; `arguments` and `raw` are
   * filled in when it closes. Only the last settled call can be open; the tail's `continuation` holds the rest.
   */
  growing?: { args: GrowingText; raw: GrowingText };
}

/** The rest of the open call as this chunk's scan sees it. */
export interface SnapshotContinuation {
  arguments: string;
  raw: string;
  complete: boolean;
  unfinished: 'truncated' | 'malformed' | null;
}

export interface ScanConfig {
  tool: ToolCallFormat;
  reasoning: ReasoningFormat | null;
  tools: ToolDefinition[];
  /** The request listed tools (so a name outside them is flagged unknown). */
  toolsGiven: boolean;
  toolChoice: ToolChoice;
  startsInReasoning: boolean;
}

/** Where parsed output goes: the settled part or the tail of a snapshot. */
interface Sink {
  content(s: string): void;
  reasoning(s: string): void;
  call(c: SnapshotCall): void;
  warning(w: ParseWarning): void;
  callCount(): number;
  /** The tail's view of the rest of the open call (tail sinks only). */
  continuation?(c: SnapshotContinuation): void;
}

export interface SnapshotTail {
  content: string;
  reasoning: string;
  calls: SnapshotCall[];
  warnings: ParseWarning[];
  continuation: SnapshotContinuation | null;
}

/** Settled part (shared, growing) plus this chunk's tail. Content = content + tail.content, and so on. */
export interface Snapshot {
  content: GrowingText;
  reasoning: GrowingText;
  calls: readonly SnapshotCall[];
  warnings: readonly ParseWarning[];
  tail: SnapshotTail;
}

type CallSeg = Extract<Segment, { kind: 'call' }>;

/** All segments of a scan, settled or not. */
const whole = (r: CheckpointedScan<Segment>): Segment[] => joinOpen([...r.settled, ...r.tail]);

/** An open call followed by its continuation (both in one list) becomes one call. */
function joinOpen(segs: Segment[]): Segment[] {
  const out: Segment[] = [];
  for (const seg of segs) {
    const last = out[out.length - 1];
    if (seg.kind === 'call' && seg.continues && last?.kind === 'call' && last.open) {
      out[out.length - 1] = { ...seg, name: last.name, arguments: last.arguments + seg.arguments, raw: last.raw + seg.raw, continues: last.continues, open: seg.open };
    } else out.push(seg);
  }
  return out;
}

function argsAreObject(args: string): boolean {
  const p = tryParseJson(args);
  return p.ok && isPlainObject(p.value);
}

function tailSink(t: SnapshotTail, before: () => number): Sink {
  return {
    content: (s) => (t.content += s),
    reasoning: (s) => (t.reasoning += s),
    call: (c) => t.calls.push(c),
    warning: (w) => t.warnings.push(w),
    callCount: () => before() + t.calls.length,
    continuation: (c) => (t.continuation = c),
  };
}

export class SnapshotBuilder {
  readonly content = new GrowingText();
  readonly reasoning = new GrowingText();
  readonly calls: SnapshotCall[] = [];
  readonly warnings: ParseWarning[] = [];
  private readonly settledSink: Sink = {
    content: (s) => this.content.append(s),
    reasoning: (s) => this.reasoning.append(s),
    call: (c) => this.calls.push(c),
    warning: (w) => this.warnings.push(w),
    callCount: () => this.calls.length,
  };
  private readonly known: Set<string | undefined>;
  /** tool_choice "none" on a format without channels or framing: text is content as is, never scanned. */
  private readonly rawText: boolean;
  private readonly none: boolean;
  /** Reasoning blocks, for promoting calls out of them at the end. */
  private readonly thoughts: string[] = [];
  private lastPiece: 'text' | 'reasoning' | null = null;
  // The reasoning split: text not yet settled by it, and the state to resume in.
  private pendingR = '';
  private resumeR: { state?: string } | undefined;
  // The tool scan of the current text piece: its settled text not yet consumed, and the state to resume in.
  private pendingT = '';
  private resumeT: { state?: string } | undefined;

  constructor(private readonly cfg: ScanConfig) {
    this.known = new Set(cfg.tools.map((t) => t.function?.name));
    this.none = cfg.toolChoice === 'none';
    this.rawText = this.none && !cfg.tool.inlineReasoning && !cfg.tool.framing;
  }

  /** Adds a chunk and returns the snapshot of everything so far. */
  push(chunk: string): Snapshot {
    this.pendingR += chunk;
    return this.step(false);
  }

  /** The final snapshot (the end of the output). */
  finish(): Snapshot {
    return this.step(true);
  }

  private step(final: boolean): Snapshot {
    const bugs: ParseWarning[] = [];
    const split = this.splitReasoning(final, bugs);
    for (const p of split.settled) this.settlePiece(p, bugs);
    const tail: SnapshotTail = { content: '', reasoning: '', calls: [], warnings: [], continuation: null };
    const sink = tailSink(tail, () => this.calls.length);
    const pieces = [...split.tail];
    // The current text piece: what the reasoning split settled of it, plus its unsettled continuation.
    let current = this.pendingT;
    if (pieces[0]?.kind === 'text') current += (pieces.shift() as ReasoningPiece).text;
    const currentEnds = final || pieces.length > 0;
    // An open call is closed by the scan even with no new text (the output may end right at its checkpoint).
    if (current !== '' || (currentEnds && this.hasOpenCall())) this.scanCurrent(current, currentEnds, final && pieces.length === 0, sink, bugs);
    pieces.forEach((p, i) => {
      const last = i === pieces.length - 1;
      if (p.kind === 'reasoning') sink.reasoning(p.text);
      else if (this.rawText) sink.content(p.text);
      else this.apply(sink, whole(this.runTool(p.text, final || !last, undefined, bugs)), final || !last, final && last);
    });
    if (final && !this.none && sink.callCount() === 0) {
      for (const t of this.thoughts) this.promote(whole(this.runTool(t, true, undefined, bugs)), sink);
    }
    for (const b of bugs) sink.warning(b);
    return { content: this.content, reasoning: this.reasoning, calls: this.calls, warnings: this.warnings, tail };
  }

  /** Runs the reasoning split from its checkpoint over the unsettled text. */
  private splitReasoning(final: boolean, bugs: ParseWarning[]): CheckpointedScan<ReasoningPiece> {
    const input = this.pendingR;
    const fmt = this.cfg.reasoning;
    let r: CheckpointedScan<ReasoningPiece>;
    if (!fmt) r = { settled: input ? [{ kind: 'text', text: input }] : [], tail: [], consumed: input.length, state: undefined };
    else {
      try {
        r = scanWithCheckpoints<ReasoningPiece>(input, this.resumeR, (text, hooks) =>
          fmt.scan(text, { final, startsInReasoning: this.cfg.startsInReasoning, ...hooks }),
        );
      } catch (err) {
        bugs.push({ code: 'malformed_call', message: `reasoning parser ${fmt.name} failed: ${(err as Error)?.message ?? String(err)}` });
        r = { settled: [], tail: [{ kind: 'text', text: input }], consumed: 0, state: undefined };
      }
      if (final) r = { settled: [...r.settled, ...r.tail], tail: [], consumed: input.length, state: r.state };
    }
    if (r.consumed > 0) {
      this.pendingR = input.slice(r.consumed);
      this.resumeR = { state: r.state };
    }
    return r;
  }

  /** A piece the reasoning split settled: reasoning is final; text joins the current text piece. */
  private settlePiece(p: ReasoningPiece, bugs: ParseWarning[]): void {
    if (p.kind === 'reasoning') {
      this.closeTextPiece(bugs);
      this.reasoning.append(p.text);
      if (this.lastPiece === 'reasoning') this.thoughts[this.thoughts.length - 1] += p.text;
      else this.thoughts.push(p.text);
    } else if (this.rawText) this.content.append(p.text);
    else this.pendingT += p.text;
    this.lastPiece = p.kind;
  }

  /** Reasoning follows the current text piece: its end is known, so all of it settles. */
  private closeTextPiece(bugs: ParseWarning[]): void {
    if (this.pendingT !== '' || this.hasOpenCall()) this.apply(this.settledSink, whole(this.runTool(this.pendingT, true, this.resumeT, bugs)), true, false);
    this.pendingT = '';
    this.resumeT = undefined;
  }

  /** Tool scan of the current text piece from its checkpoint; what settles (within settled text) is kept. */
  private scanCurrent(text: string, ends: boolean, atEnd: boolean, sink: Sink, bugs: ParseWarning[]): void {
    if (this.rawText) {
      sink.content(text);
      return;
    }
    const r = this.runTool(text, ends, this.resumeT, bugs);
    if (!ends && r.consumed > 0 && r.consumed <= this.pendingT.length) {
      this.apply(this.settledSink, r.settled, true, false);
      this.pendingT = this.pendingT.slice(r.consumed);
      this.resumeT = { state: r.state };
      this.apply(sink, r.tail, ends, atEnd);
    } else {
      this.apply(sink, whole(r), ends, atEnd);
    }
  }

  /** The tool scanner guarded: a scanner bug becomes a warning and the text is kept as plain text. */
  private runTool(text: string, final: boolean, resume: { state?: string } | undefined, bugs: ParseWarning[]): CheckpointedScan<Segment> {
    const fmt = this.cfg.tool;
    try {
      return scanWithCheckpoints<Segment>(text, resume, (t, hooks) => fmt.scan(t, { final, tools: this.cfg.tools, ...hooks }));
    } catch (err) {
      bugs.push({ code: 'malformed_call', message: `parser ${fmt.name} failed: ${(err as Error)?.message ?? String(err)}` });
      return { settled: [], tail: [{ kind: 'text', text }], consumed: 0, state: undefined };
    }
  }

  /** Segments into a sink. `segFinal`: nothing follows them in this piece; `atEnd`: they end the output. */
  private apply(sink: Sink, segs: Segment[], segFinal: boolean, atEnd: boolean): void {
    for (let k = 0; k < segs.length; k++) {
      const seg = segs[k];
      if (seg.kind === 'text') sink.content(seg.text);
      else if (seg.kind === 'reasoning') sink.reasoning(seg.text);
      else if (seg.kind === 'warning') sink.warning(seg.warning);
      else if (this.none) {
        // tool_choice "none": a format with its own channels or framing is still split, but calls stay text.
        if (seg.complete || segFinal) sink.content(seg.raw);
        else break;
      } else if (seg.continues) this.continueCall(sink, seg, segFinal || k < segs.length - 1, atEnd && k === segs.length - 1);
      else if (seg.open && sink === this.settledSink) this.openCall(seg);
      else this.addCall(sink, seg, segFinal || k < segs.length - 1, atEnd && k === segs.length - 1);
    }
  }

  private hasOpenCall(): boolean {
    return this.calls[this.calls.length - 1]?.growing !== undefined;
  }

  /** A call the scanner checkpointed inside: settled so far, open for its continuation. */
  private openCall(seg: CallSeg): void {
    const call: SnapshotCall = {
      name: seg.name,
      arguments: '',
      complete: false,
      unfinished: null,
      unknown: seg.name !== null && this.cfg.toolsGiven && !this.known.has(seg.name),
      raw: '',
      growing: { args: new GrowingText(), raw: new GrowingText() },
    };
    call.growing?.args.append(seg.arguments);
    call.growing?.raw.append(seg.raw);
    this.calls.push(call);
    if (call.unknown) this.warnings.push({ code: 'unknown_tool', message: `tool "${call.name}" is not among the request's tools` });
  }

  /** The continuation of the open call: appended to it when settled, else the tail's view of its rest. */
  private continueCall(sink: Sink, seg: CallSeg, settled: boolean, atEnd: boolean): void {
    const call = this.calls[this.calls.length - 1];
    const g = call?.growing;
    if (!g) {
      // No open call to continue (a scanner bug): keep it as a call of its own.
      this.addCall(sink, { ...seg, continues: false }, settled, atEnd);
      return;
    }
    const unfinished = !seg.complete && settled ? (atEnd ? 'truncated' : 'malformed') : null;
    if (sink !== this.settledSink) {
      sink.continuation?.({ arguments: seg.arguments, raw: seg.raw, complete: seg.complete, unfinished });
      if (unfinished || seg.complete) this.closeWarnings(sink, call.name, g.args.toString() + seg.arguments, g.raw.toString() + seg.raw, seg.complete, unfinished);
      return;
    }
    g.args.append(seg.arguments);
    g.raw.append(seg.raw);
    if (seg.open) return;
    call.arguments = g.args.toString();
    call.raw = g.raw.toString();
    call.complete = seg.complete;
    call.unfinished = unfinished;
    delete call.growing;
    this.closeWarnings(sink, call.name, call.arguments, call.raw, call.complete, unfinished);
  }

  /** The warnings of a call that closed after it was open. */
  private closeWarnings(sink: Sink, name: string | null, args: string, raw: string, complete: boolean, unfinished: SnapshotCall['unfinished']): void {
    if (unfinished === 'truncated') sink.warning({ code: 'truncated_call', message: `the output ended inside the call to "${name}"; it is not returned as a tool call`, raw });
    else if (unfinished === 'malformed') sink.warning({ code: 'truncated_call', message: `the call to "${name}" never closed; it is not returned as a tool call`, raw });
    if (complete && !argsAreObject(args)) sink.warning({ code: 'invalid_arguments', message: `arguments of "${name}" are not a JSON object`, raw: args });
  }

  /** `settled`: nothing more will come for this call; `atEnd`: it is the last thing of the output. */
  private addCall(sink: Sink, seg: CallSeg, settled: boolean, atEnd: boolean): void {
    const call: SnapshotCall = {
      name: seg.name,
      arguments: seg.arguments,
      complete: seg.complete,
      unfinished: null,
      unknown: seg.name !== null && this.cfg.toolsGiven && !this.known.has(seg.name),
      raw: seg.raw,
    };
    if (!seg.complete && settled) {
      if (call.name === null) {
        sink.warning({ code: 'truncated_call', message: 'a tool call ended before its name', raw: seg.raw });
        return;
      }
      // Never close the arguments: a completed-looking call would be run by clients that ignore flags.
      call.unfinished = atEnd ? 'truncated' : 'malformed';
    }
    sink.call(call);
    if (call.unknown) sink.warning({ code: 'unknown_tool', message: `tool "${call.name}" is not among the request's tools` });
    if (call.unfinished === 'truncated') {
      sink.warning({ code: 'truncated_call', message: `the output ended inside the call to "${call.name}"; it is not returned as a tool call`, raw: seg.raw });
    } else if (call.unfinished === 'malformed') {
      sink.warning({ code: 'truncated_call', message: `the call to "${call.name}" never closed; it is not returned as a tool call`, raw: seg.raw });
    }
    if (call.complete && !argsAreObject(call.arguments)) {
      sink.warning({ code: 'invalid_arguments', message: `arguments of "${call.name}" are not a JSON object`, raw: call.arguments });
    }
  }

  /**
   * Some models put their only call in their reasoning. Such calls become real calls only at the end of the
   * output and only when it made no call after the reasoning (else the one in the thoughts was a mention, and
   * running it would run the tool twice). Only a complete call with JSON-object arguments counts; the reasoning
   * text keeps the markup either way.
   */
  private promote(segs: Segment[], sink: Sink): void {
    for (const seg of segs) {
      if (seg.kind === 'call' && seg.complete && seg.name !== null && argsAreObject(seg.arguments)) this.addCall(sink, seg, true, false);
    }
  }
}
