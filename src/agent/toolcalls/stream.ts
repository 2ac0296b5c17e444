// The streaming driver: re-scan all text after each chunk, emit only what is new. Non-streaming parsing is the
// same driver fed one chunk, so both paths agree by construction. A self-check verifies every new snapshot
// extends what was already emitted; a scanner that breaks that rule freezes the stream (no wrong deltas) and
// is reported as a `stream_inconsistency` warning.
import type { ParseResult, ParseWarning, ParsedToolCall, StreamDelta, UnfinishedToolCall } from './types.js';
import { takeSnapshot, type ScanConfig, type Snapshot } from './snapshot.js';
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
 * What of a text stream may be shown: trimmed. Leading whitespace never shows; trailing whitespace is held back
 * until more text follows (and dropped at the end), so "\n\n" around tags never reaches the caller and the
 * visible text only ever grows. `raw` (tool_choice "none") keeps the text as is.
 */
function visible(text: string, raw: boolean): string {
  return raw ? text : text.trim();
}

export function createStreamDriver(cfg: DriverConfig): StreamDriver {
  let text = '';
  let done = false;
  let frozen = false;
  let finalSnap: Snapshot | null = null;
  let emittedContent = '';
  let emittedReasoning = '';
  // Per emitted call: name and the arguments sent so far.
  const emittedCalls: Array<{ name: string; args: string }> = [];
  let emittedWarnings = 0;
  const ids: string[] = [];
  const idGen: IdGenerator = createIdGenerator(cfg.idStyle, cfg.idSeed);
  const inconsistencies: ParseWarning[] = [];
  const rawContent = cfg.toolChoice === 'none';

  const sameWarning = (a: ParseWarning, b: ParseWarning): boolean => a.code === b.code && a.message === b.message && a.raw === b.raw;

  const inconsistent = (what: string): void => {
    if (!frozen) inconsistencies.push({ code: 'stream_inconsistency', message: `parser ${cfg.tool.name}: ${what} changed after it was streamed` });
    frozen = true;
  };

  /** Check the snapshot extends everything emitted; then emit the difference. */
  const allWarnings: ParseWarning[] = [];
  const diff = (snap: Snapshot): StreamDelta[] => {
    const out: StreamDelta[] = [];
    const content = visible(snap.content, rawContent);
    const reasoning = visible(snap.reasoning, false);
    if (!content.startsWith(emittedContent)) inconsistent('content');
    if (!reasoning.startsWith(emittedReasoning)) inconsistent('reasoning');
    const named = snap.calls.filter((c) => c.name !== null);
    for (let i = 0; i < emittedCalls.length; i++) {
      const c = named[i];
      if (!c || c.name !== emittedCalls[i].name || !c.arguments.startsWith(emittedCalls[i].args)) inconsistent(`tool call ${i}`);
    }
    for (let i = 0; i < emittedWarnings; i++) {
      if (!snap.warnings[i] || !sameWarning(snap.warnings[i], allWarnings[i])) inconsistent(`warning ${i}`);
    }
    if (frozen) return out;
    if (reasoning.length > emittedReasoning.length) {
      out.push({ type: 'reasoning', text: reasoning.slice(emittedReasoning.length) });
      emittedReasoning = reasoning;
    }
    if (content.length > emittedContent.length) {
      out.push({ type: 'content', text: content.slice(emittedContent.length) });
      emittedContent = content;
    }
    for (let i = 0; i < named.length; i++) {
      const c = named[i];
      const name = c.name as string;
      if (i >= emittedCalls.length) {
        ids[i] ??= idGen.next(name, i);
        out.push({ type: 'tool_call', index: i, id: ids[i], name });
        emittedCalls.push({ name, args: '' });
      }
      const prev = emittedCalls[i].args;
      if (c.arguments.length > prev.length) {
        out.push({ type: 'tool_call', index: i, arguments: c.arguments.slice(prev.length) });
        emittedCalls[i].args = c.arguments;
      }
    }
    for (let i = emittedWarnings; i < snap.warnings.length; i++) {
      allWarnings.push(snap.warnings[i]);
      out.push({ type: 'warning', warning: snap.warnings[i] });
    }
    emittedWarnings = snap.warnings.length;
    return out;
  };

  const withInconsistencies = (deltas: StreamDelta[], before: number): StreamDelta[] => {
    for (let i = before; i < inconsistencies.length; i++) deltas.push({ type: 'warning', warning: inconsistencies[i] });
    return deltas;
  };

  return {
    push(chunk: string): StreamDelta[] {
      if (done || typeof chunk !== 'string' || chunk === '') return [];
      text += chunk;
      const before = inconsistencies.length;
      return withInconsistencies(diff(takeSnapshot(text, false, cfg)), before);
    },
    finish(): StreamDelta[] {
      if (done) return [];
      done = true;
      finalSnap = takeSnapshot(text, true, cfg);
      const before = inconsistencies.length;
      return withInconsistencies(diff(finalSnap), before);
    },
    result(): ParseResult {
      const snap = finalSnap ?? takeSnapshot(text, true, cfg);
      const content = visible(snap.content, rawContent);
      const reasoning = visible(snap.reasoning, false);
      const calls: ParsedToolCall[] = [];
      const unfinished: UnfinishedToolCall[] = [];
      const named = snap.calls.filter((c) => c.name !== null);
      named.forEach((c, i) => {
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
        content: content === '' ? null : content,
        reasoning_content: reasoning === '' ? null : reasoning,
        tool_calls: calls,
        unfinished_calls: unfinished,
        warnings: [...snap.warnings, ...inconsistencies],
      };
    },
  };
}
