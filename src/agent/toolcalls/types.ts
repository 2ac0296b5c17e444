// Contract for tool-call and reasoning parsing. Pure code: no engine, no I/O.
//
// Every format is a *scanner*: a pure function from "all text seen so far" to an ordered list of segments.
// The streaming driver re-scans the text after each chunk (from the scanner's last checkpoint, see
// checkpoints.ts) and emits only what is new, so streaming and non-streaming results are the same by
// construction, provided each scanner keeps this invariant:
//
//   scan(prefix, {final: false}) is a prefix of scan(fullText, {final: true}) for every prefix of fullText:
//   the same segments in the same order, where the last text/reasoning segment may be shorter and the last
//   call may have a shorter `arguments` (and `name` may still be null).
//
// A non-final scan therefore holds back any trailing text that might still turn out to be markup.
//
// Further rules every scanner keeps (the streaming driver in stream.ts relies on them):
//  - Never throw. Bad markup becomes a `malformed_call` warning segment whose `raw` holds the markup text.
//  - A non-final call's `arguments` is a *healable JSON prefix*: some suffix turns it into valid JSON
//    (util/json.ts: `scanJson(...).safeEnd` gives the longest such prefix of raw JSON; XML-style formats build
//    JSON incrementally and hold back what may still change, e.g. a typed value until its closing tag).
//  - In a final scan, a call cut off by the end of the text stays a `call` segment with complete=false (its
//    arguments a healable prefix). The driver never completes such arguments: the call is left out of
//    `tool_calls` and reported in `unfinished_calls` with a `truncated_call` warning (what was streamed of it
//    stays streamed). Scanners do not add that warning themselves.
//  - Formats that carry their own reasoning channel (harmony, gemma4) set `inlineReasoning` and emit
//    `reasoning` segments; the driver then runs no separate reasoning parser unless one is asked for.

import type { ToolDefinition } from '../../engine/types.js';

export type ToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

export interface ParseOptions {
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
}

export interface ParsedToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
  /** True when the name is not among the request's tools (the caller decides what to do). */
  unknown?: boolean;
}

/**
 * A call whose name was streamed but which never finished: the output ended inside it (the token budget ran
 * out) or its markup broke. Its arguments are exactly what the model wrote (a JSON prefix, never completed),
 * so no one mistakes it for a call to run.
 */
export interface UnfinishedToolCall {
  /** Its index among the streamed tool-call deltas. */
  index: number;
  id: string;
  name: string;
  arguments: string;
  /** The raw markup of the call as the model wrote it. */
  raw: string;
  /** 'truncated': the output ended inside it; 'malformed': its markup broke before it closed. */
  cause: 'truncated' | 'malformed';
}

export interface ParseWarning {
  /** constraint: what the grammar enforces less strictly than asked (a loosened schema, a format without one). */
  code: 'malformed_call' | 'truncated_call' | 'unknown_tool' | 'invalid_arguments' | 'stream_inconsistency' | 'constraint';
  message: string;
  /** The raw text of the offending markup, so nothing is silently lost. */
  raw?: string;
}

export interface ParseResult {
  content: string | null;
  reasoning_content: string | null;
  /** Only complete calls: safe to run. */
  tool_calls: ParsedToolCall[];
  /** Calls that were streamed but never finished (see UnfinishedToolCall); never to be run. */
  unfinished_calls: UnfinishedToolCall[];
  warnings: ParseWarning[];
}

/** OpenAI-style streaming deltas. */
export type StreamDelta =
  | { type: 'content'; text: string }
  | { type: 'reasoning'; text: string }
  /** First delta for a call carries index, id and name; later ones carry argument fragments. */
  | { type: 'tool_call'; index: number; id?: string; name?: string; arguments?: string }
  | { type: 'warning'; warning: ParseWarning };

export type Segment =
  | { kind: 'text'; text: string }
  | { kind: 'reasoning'; text: string }
  | {
      kind: 'call';
      /** null while the name is not yet known (non-final scans only). */
      name: string | null;
      /** The JSON arguments string so far; complete and valid JSON when `complete`. */
      arguments: string;
      complete: boolean;
      /** The raw markup of the call (for warnings). */
      raw: string;
      /**
       * Incremental scanning inside a long call (checkpoints.ts): `open` marks the call as handed to a checkpoint
       * that falls inside it (its arguments so far are final, more follow); `continues` marks the first segment
       * of a scan resumed there, whose `arguments` and `raw` are only the continuation.
       */
      open?: boolean;
      continues?: boolean;
    }
  | { kind: 'warning'; warning: ParseWarning };

export interface ScanContext {
  final: boolean;
  tools: ToolDefinition[];
  /**
   * Incremental scanning (optional; checkpoints.ts). Call it where everything before `at` is settled: whatever
   * text follows, a scan of the whole text starts with exactly `segments` (as they are now; text merged into the
   * last one later does not count) and goes on like a scan of text.slice(at) given `resume: { state }`.
   */
  checkpoint?: (at: number, segments: readonly Segment[], state?: string) => void;
  /** Set when `text` continues an earlier scan from a checkpoint: it is not the start of the output. */
  resume?: { state?: string };
  /**
   * A checkpoint inside a string value of a long call (optional; value-checkpoints.ts). Call it just before
   * returning segments that end with an unfinished call standing inside a string value: the call's `arguments`
   * are final as they are and stand for the text up to `at` (its `raw` runs to the end of the text), and
   * scanning `pre` (markup that opens the same call, up to the opening of that value, then one character
   * 'x' of value text) followed by text.slice(at) gives the same call, its arguments continuing after the 'x'.
   * `pre` is scanned like the text here (`asStart`: as the start of the output, else as a resumed scan).
   */
  openValue?: (pre: string, at: number, asStart?: boolean) => void;
}

export interface ToolCallFormat {
  /** Canonical name, e.g. 'hermes'. */
  name: string;
  aliases: string[];
  family: string;
  /** Strings whose presence in a chat template or the special tokens identifies this format (for `auto`). */
  markers: string[];
  /** Alternative marker sets: the format also matches when every string of one set is present. */
  altMarkers?: string[][];
  /** The format emits reasoning segments itself (harmony channels, gemma4 thought channel). */
  inlineReasoning?: boolean;
  /**
   * Every message of the format is framed in its own markup (functionary's recipient lines), which is removed
   * even when calls are not wanted (tool_choice "none", no tools): the scanner runs and calls stay text.
   */
  framing?: boolean;
  /** Name of the reasoning parser that usually goes with this format, if any. */
  defaultReasoning?: string;
  /** Shape of tool-call ids this family's history template needs (mistral: 9 alphanumerics). */
  idStyle?: 'openai' | 'mistral9' | 'kimi';
  scan(text: string, ctx: ScanContext): Segment[];
}

export interface ReasoningFormat {
  name: string;
  aliases: string[];
  /** Strings whose presence in a chat template identifies this reasoning format (for `auto`). */
  markers?: string[];
  /** Whether the template may already have opened the reasoning block (implicit start, e.g. deepseek_r1). */
  /** Splits text into reasoning and text pieces; checkpoint/resume as in ScanContext. */
  scan(text: string, ctx: ReasoningScanContext): ReasoningPiece[];
}

export type ReasoningPiece = { kind: 'text' | 'reasoning'; text: string };

export interface ReasoningScanContext {
  final: boolean;
  startsInReasoning: boolean;
  checkpoint?: (at: number, pieces: readonly ReasoningPiece[], state?: string) => void;
  resume?: { state?: string };
}
