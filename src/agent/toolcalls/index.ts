// Public API of the tool-call and reasoning parsers: what the agent loop, the server and the CLI use.
import type { ParseOptions, ParseResult, ReasoningFormat, StreamDelta, ToolCallFormat } from './types.js';
import { findReasoningFormat, findToolFormat, reasoningFormats, toolFormats } from './registry.js';
import { detectReasoningFormat, detectToolFormat } from './detect.js';
import { autoFormat } from './formats/auto.js';
import { createStreamDriver } from './stream.js';
import { UnknownParserError } from './errors.js';

export type * from './types.js';
export { promptOpensReasoning } from './detect.js';
export { UnknownParserError } from './errors.js';

export interface ParserOptions extends ParseOptions {
  /** Tool parser name or alias, or 'auto' (default): chosen from the chat template / special tokens. */
  toolParser?: string;
  /** Reasoning parser name, 'auto' (default: the tool format's usual one or the template's) or 'none'. */
  reasoningParser?: string;
  chatTemplate?: string | null;
  specialTokens?: string[];
  /** The rendered prompt already opened a reasoning block (see promptOpensReasoning). */
  startsInReasoning?: boolean;
  /** Deterministic tool-call ids (tests). */
  idSeed?: number;
}

export interface StreamParser {
  /** Feed the next chunk of model output; returns what became certain. */
  push(chunk: string): StreamDelta[];
  /** End of output: flush what was held back. */
  finish(): StreamDelta[];
  /** The whole result (after finish: identical to parseModelOutput on the same text). */
  result(): ParseResult;
}

export interface ResolvedParsers {
  tool: ToolCallFormat;
  reasoning: ReasoningFormat | null;
}

export function resolveParsers(opts: {
  toolParser?: string;
  reasoningParser?: string;
  chatTemplate?: string | null;
  specialTokens?: string[];
}): ResolvedParsers {
  const toolName = opts.toolParser?.trim() || 'auto';
  let tool: ToolCallFormat;
  if (toolName.toLowerCase() === 'auto') tool = detectToolFormat(opts.chatTemplate, opts.specialTokens) ?? autoFormat;
  else {
    const found = findToolFormat(toolName) ?? (toolName.toLowerCase() === autoFormat.name ? autoFormat : undefined);
    if (!found) throw new UnknownParserError('tool', toolName, ['auto', ...toolFormats.map((f) => f.name)]);
    tool = found;
  }
  const reasoningName = opts.reasoningParser?.trim() || 'auto';
  let reasoning: ReasoningFormat | null;
  if (reasoningName.toLowerCase() === 'none') reasoning = null;
  else if (reasoningName.toLowerCase() === 'auto') {
    if (tool.defaultReasoning) reasoning = tool.defaultReasoning === 'none' ? null : (findReasoningFormat(tool.defaultReasoning) ?? null);
    else if (tool.inlineReasoning) reasoning = null;
    else reasoning = detectReasoningFormat(opts.chatTemplate, opts.specialTokens) ?? findReasoningFormat('think') ?? null;
  } else {
    const found = findReasoningFormat(reasoningName);
    if (!found) throw new UnknownParserError('reasoning', reasoningName, ['auto', 'none', ...reasoningFormats.map((f) => f.name)]);
    reasoning = found;
  }
  return { tool, reasoning };
}

export function createStreamParser(opts: ParserOptions = {}): StreamParser {
  const { tool, reasoning } = resolveParsers(opts);
  return createStreamDriver({
    tool,
    reasoning,
    tools: opts.tools ?? [],
    toolsGiven: Array.isArray(opts.tools),
    toolChoice: opts.toolChoice ?? 'auto',
    startsInReasoning: opts.startsInReasoning ?? false,
    idStyle: tool.idStyle ?? 'openai',
    idSeed: opts.idSeed,
  });
}

/** Parse a whole model output. The streaming driver fed one chunk, so it agrees with streaming by construction. */
export function parseModelOutput(text: string, opts: ParserOptions = {}): ParseResult {
  const p = createStreamParser(opts);
  p.push(text);
  p.finish();
  return p.result();
}

export function listToolParsers(): ToolCallFormat[] {
  return [...toolFormats, autoFormat];
}

export function listReasoningParsers(): ReasoningFormat[] {
  return [...reasoningFormats];
}
