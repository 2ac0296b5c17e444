// Non-interactive chat (--print or a prompt on stdin): one turn, the final answer on stdout, tool activity on
// stderr, and an exit code that says whether the model answered.
import type { ChatSession } from './chat-session.js';
import type { AgentEvent } from './events.js';

export interface PrintIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  signal?: AbortSignal;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_CANCELLED = 130;

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

export async function runPrintTurn(session: ChatSession, prompt: string, io: PrintIo): Promise<number> {
  let code = EXIT_FAILED;
  for await (const e of session.send(prompt, io.signal)) {
    const line = describe(e);
    if (line) io.stderr.write(`${line}\n`);
    if (e.type === 'turn_finished') {
      if (e.answer) io.stdout.write(e.answer.endsWith('\n') ? e.answer : `${e.answer}\n`);
      if (e.reason === 'answered') code = EXIT_OK;
      else io.stderr.write(`vmlx: stopped after ${e.rounds} rounds of tool calls without a final answer (--max-rounds)\n`);
    } else if (e.type === 'turn_failed') {
      io.stderr.write(`vmlx: ${e.error}\n`);
      code = EXIT_FAILED;
    } else if (e.type === 'turn_aborted') {
      io.stderr.write('vmlx: cancelled\n');
      code = EXIT_CANCELLED;
    }
  }
  return code;
}
