// What the model is told about each tool call: the result text capped in size and marked as tool output,
// or a one-line explanation of why the call did not run. The UI shows the full outcome instead.
import type { ToolCallOutcome } from '../mcp/types.js';
import type { ToolErrorStatus } from './events.js';

export const DEFAULT_MAX_TOOL_RESULT_BYTES = 16 * 1024;
/** The share of the context window one tool result may take at most. */
export const TOOL_RESULT_CONTEXT_SHARE = 0.25;
/** Bytes per token assumed when turning that share into bytes (low: CJK and code take more tokens). */
const BYTES_PER_TOKEN = 3;

/**
 * The cap on one tool result for a model: 16 KiB, or less when that would be more than a quarter of its context
 * window (16 KiB is about half of an 8k context). A result over it is cut with a marker, never dropped.
 */
export function toolResultCap(contextLength: number): number {
  const share = Math.floor(contextLength * TOOL_RESULT_CONTEXT_SHARE * BYTES_PER_TOKEN);
  return Math.max(512, Math.min(DEFAULT_MAX_TOOL_RESULT_BYTES, share));
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function capUtf8(text: string, maxBytes: number): { text: string; truncated: boolean; bytes: number } {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return { text, truncated: false, bytes: buf.length };
  let end = Math.max(0, maxBytes);
  // step back over UTF-8 continuation bytes (10xxxxxx) so the cut lands on a character boundary
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end -= 1;
  return { text: buf.subarray(0, end).toString('utf8'), truncated: true, bytes: buf.length };
}

/** The tool message content for a call that ran successfully. */
export function successContent(qualifiedName: string, outcome: ToolCallOutcome, maxBytes: number): string {
  const capped = capUtf8(outcome.text, maxBytes);
  const note = capped.truncated
    ? `\n[tool output truncated: first ${Buffer.byteLength(capped.text)} of ${capped.bytes} bytes shown]`
    : '';
  return `[tool output of ${qualifiedName}]\n${capped.text}${note}`;
}

/** The tool message content for a call that failed or never ran. */
export function errorContent(name: string, status: ToolErrorStatus, error: string, maxBytes: number): string {
  const detail = capUtf8(error, maxBytes).text;
  switch (status) {
    case 'denied':
      return `[tool call denied: ${name} was not run] ${detail}`;
    case 'aborted':
      return `[tool call aborted: ${name} was cancelled by the user before it completed]`;
    case 'unknown_tool':
      return `[tool call failed: ${detail}]`;
    case 'invalid_arguments':
      return `[tool call failed: the arguments for ${name} are not a JSON object] ${detail}`;
    case 'timeout':
      return `[tool error from ${name}: timed out] ${detail}`;
    default:
      return `[tool error from ${name}] ${detail}`;
  }
}
