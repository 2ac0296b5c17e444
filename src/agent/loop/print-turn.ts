// Non-interactive chat (--print or a prompt on stdin): one turn, with its output in one of three formats.
// text: the final answer on stdout, tool activity on stderr. json: one PrintResult object on stdout.
// stream-json: every agent event as one JSON line on stdout as it happens, then the PrintResult.
// The exit code says how the turn ended (see print-result.ts).
import type { ChatSession } from './chat-session.js';
import type { AgentEvent } from './events.js';
import { PrintResultBuilder, type PrintResult } from './print-result.js';

export { EXIT_CANCELLED, EXIT_FAILED, EXIT_OK, EXIT_ROUND_LIMIT, EXIT_TOOL_DENIED } from './print-result.js';

export const OUTPUT_FORMATS = ['text', 'json', 'stream-json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface PrintIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  signal?: AbortSignal;
  format?: OutputFormat;
}

function oneLine(value: unknown, max = 200): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : JSON.stringify(value);
  } catch {
    text = String(value);
  }
  text = text.replace(/\s+/g, ' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function describe(e: AgentEvent): string | null {
  switch (e.type) {
    case 'tool_call_started':
      return `[tool] ${e.name} ${oneLine(e.arguments ?? e.rawArguments)}`;
    case 'tool_result':
      return `[tool] ${e.name} ok (${e.outcome.durationMs} ms, ${Buffer.byteLength(e.outcome.text)} bytes)`;
    case 'tool_error':
      return `[tool] ${e.name} ${e.status}: ${oneLine(e.error)}`;
    case 'parse_warning':
      return `[warning] ${e.warning.message}`;
    case 'usage':
      return e.finishReason === 'length' ? `[reply cut off: it reached the limit of ${e.usage.completionTokens} generated tokens (--max-tokens)]` : null;
    default:
      return null;
  }
}

/** An event as one JSON line (a confirmation's `respond` callback is not data and is left out). */
export function eventJson(e: AgentEvent | PrintResult | { type: 'session'; sessionId: string | null }): string {
  return JSON.stringify(e, (_key, value: unknown) => (typeof value === 'function' ? undefined : value));
}

function writeText(e: AgentEvent, io: PrintIo): void {
  const line = describe(e);
  if (line) io.stderr.write(`${line}\n`);
  if (e.type === 'turn_finished') {
    if (e.answer) io.stdout.write(e.answer.endsWith('\n') ? e.answer : `${e.answer}\n`);
    if (e.reason === 'max_rounds') io.stderr.write(`vmlx: stopped after ${e.rounds} rounds of tool calls without a final answer (--max-rounds)\n`);
  } else if (e.type === 'turn_failed') io.stderr.write(`vmlx: ${e.error}\n`);
  else if (e.type === 'turn_aborted') io.stderr.write('vmlx: cancelled\n');
}

export async function runPrintTurn(session: ChatSession, prompt: string, io: PrintIo): Promise<number> {
  const format = io.format ?? 'text';
  const builder = new PrintResultBuilder();
  const sessionId = session.sessionId ?? null;
  if (format === 'stream-json') io.stdout.write(`${eventJson({ type: 'session', sessionId })}\n`);
  else if (format === 'text' && sessionId) io.stderr.write(`[session] ${sessionId}\n`);
  for await (const e of session.send(prompt, io.signal)) {
    builder.add(e);
    if (format === 'text') writeText(e, io);
    else if (format === 'stream-json') io.stdout.write(`${eventJson(e)}\n`);
  }
  const result = builder.result(sessionId);
  if (format !== 'text') io.stdout.write(`${eventJson(result)}\n`);
  return result.exitCode;
}
