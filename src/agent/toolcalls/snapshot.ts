// One scan of all text seen so far: reasoning split, tool scan of each piece, calls promoted out of reasoning,
// and the derived warnings (unknown tool, invalid or truncated arguments). The streaming driver diffs
// successive snapshots; the final snapshot is the ParseResult.
import type { ToolDefinition } from '../../engine/types.js';
import type { ParseWarning, ReasoningFormat, Segment, ToolCallFormat, ToolChoice } from './types.js';
import { tryParseJson, isPlainObject } from './util/json.js';

export interface SnapshotCall {
  name: string | null;
  arguments: string;
  complete: boolean;
  /** Settled without closing: cut off by the end of the output, or broken markup. Never returned as a call. */
  unfinished: 'truncated' | 'malformed' | null;
  unknown: boolean;
  raw: string;
}

export interface Snapshot {
  content: string;
  reasoning: string;
  calls: SnapshotCall[];
  warnings: ParseWarning[];
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

/** Thrown-exception guard: a scanner bug becomes a warning and the piece is kept as plain text. */
function runScanner(fmt: ToolCallFormat, text: string, final: boolean, tools: ToolDefinition[], bugs: ParseWarning[]): Segment[] {
  try {
    return fmt.scan(text, { final, tools });
  } catch (err) {
    bugs.push({ code: 'malformed_call', message: `parser ${fmt.name} failed: ${(err as Error)?.message ?? String(err)}` });
    return [{ kind: 'text', text }];
  }
}

function runReasoning(
  fmt: ReasoningFormat,
  text: string,
  final: boolean,
  startsInReasoning: boolean,
  bugs: ParseWarning[],
): Array<{ kind: 'text' | 'reasoning'; text: string }> {
  try {
    return fmt.scan(text, { final, startsInReasoning });
  } catch (err) {
    bugs.push({ code: 'malformed_call', message: `reasoning parser ${fmt.name} failed: ${(err as Error)?.message ?? String(err)}` });
    return [{ kind: 'text', text }];
  }
}

function argsAreObject(args: string): boolean {
  const p = tryParseJson(args);
  return p.ok && isPlainObject(p.value);
}

export function takeSnapshot(text: string, final: boolean, cfg: ScanConfig): Snapshot {
  const snap: Snapshot = { content: '', reasoning: '', calls: [], warnings: [] };
  const bugs: ParseWarning[] = [];
  const known = new Set(cfg.tools.map((t) => t.function?.name));
  const none = cfg.toolChoice === 'none';
  const pieces = cfg.reasoning ? runReasoning(cfg.reasoning, text, final, cfg.startsInReasoning, bugs) : [{ kind: 'text' as const, text }];

  /** `settled`: nothing more will come for this call; `atEnd`: it is the last thing of the final scan. */
  const addCall = (seg: Extract<Segment, { kind: 'call' }>, settled: boolean, atEnd = false): void => {
    const call: SnapshotCall = {
      name: seg.name,
      arguments: seg.arguments,
      complete: seg.complete,
      unfinished: null,
      unknown: seg.name !== null && cfg.toolsGiven && !known.has(seg.name),
      raw: seg.raw,
    };
    if (!seg.complete && settled) {
      if (call.name === null) {
        snap.warnings.push({ code: 'truncated_call', message: 'a tool call ended before its name', raw: seg.raw });
        return;
      }
      // Never close the arguments: a completed-looking call would be run by clients that ignore flags.
      call.unfinished = atEnd ? 'truncated' : 'malformed';
    }
    snap.calls.push(call);
    if (call.unknown) snap.warnings.push({ code: 'unknown_tool', message: `tool "${call.name}" is not among the request's tools` });
    if (call.unfinished === 'truncated') {
      snap.warnings.push({ code: 'truncated_call', message: `the output ended inside the call to "${call.name}"; it is not returned as a tool call`, raw: seg.raw });
    } else if (call.unfinished === 'malformed') {
      snap.warnings.push({ code: 'truncated_call', message: `the call to "${call.name}" never closed; it is not returned as a tool call`, raw: seg.raw });
    }
    if (call.complete && !argsAreObject(call.arguments)) {
      snap.warnings.push({ code: 'invalid_arguments', message: `arguments of "${call.name}" are not a JSON object`, raw: call.arguments });
    }
  };

  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i];
    const segFinal = final || i < pieces.length - 1;
    if (piece.kind === 'reasoning') {
      if (none) snap.reasoning += piece.text;
      else promoteFromReasoning(runScanner(cfg.tool, piece.text, segFinal, cfg.tools, bugs), segFinal, snap, addCall);
      continue;
    }
    if (none && !cfg.tool.inlineReasoning) {
      snap.content += piece.text;
      continue;
    }
    const segs = runScanner(cfg.tool, piece.text, segFinal, cfg.tools, bugs);
    for (let k = 0; k < segs.length; k++) {
      const seg = segs[k];
      if (seg.kind === 'text') snap.content += seg.text;
      else if (seg.kind === 'reasoning') snap.reasoning += seg.text;
      else if (seg.kind === 'warning') snap.warnings.push(seg.warning);
      else if (none) {
        // tool_choice "none": a format with its own channels is still split, but calls stay text.
        if (seg.complete || segFinal) snap.content += seg.raw;
        else break;
        // A call followed by more segments is settled even in a non-final scan.
      } else addCall(seg, segFinal || k < segs.length - 1, final && i === pieces.length - 1 && k === segs.length - 1);
    }
  }
  snap.warnings.push(...bugs);
  return snap;
}

/**
 * Inside reasoning only a complete call with JSON-object arguments becomes a real call; anything else the
 * scanner found (prose mentioning a tag, broken markup) is reasoning text again. An unfinished call is held
 * back until it resolves.
 */
function promoteFromReasoning(
  segs: Segment[],
  segFinal: boolean,
  snap: Snapshot,
  addCall: (seg: Extract<Segment, { kind: 'call' }>, segFinal: boolean) => void,
): void {
  for (const seg of segs) {
    if (seg.kind === 'text' || seg.kind === 'reasoning') snap.reasoning += seg.text;
    else if (seg.kind === 'warning') {
      if (seg.warning.code === 'malformed_call' && seg.warning.raw !== undefined) snap.reasoning += seg.warning.raw;
      else if (seg.warning.code !== 'malformed_call') snap.warnings.push(seg.warning);
    } else if (seg.complete && seg.name !== null && argsAreObject(seg.arguments)) addCall(seg, segFinal);
    else if (seg.complete || segFinal) snap.reasoning += seg.raw;
    else return;
  }
}
