// What a non-interactive turn amounts to: the answer, the tool calls, the usage and the exit code, gathered
// from the same typed events the REPL renders. `--output-format json` prints this object.
import type { AgentEvent, ToolErrorStatus } from './events.js';

/** Exit codes of `vmlx chat --print` (documented in its help and docs/chat.md). */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_TOOL_DENIED = 2;
export const EXIT_ROUND_LIMIT = 3;
export const EXIT_CANCELLED = 130;

export type PrintStatus = 'answered' | 'tool_denied' | 'max_rounds' | 'failed' | 'cancelled';

export interface PrintedToolCall {
  callId: string;
  round: number;
  name: string;
  server?: string;
  tool?: string;
  arguments: unknown;
  status: 'ok' | ToolErrorStatus;
  /** The result text (ok) or why it produced none. */
  result?: string;
  error?: string;
  durationMs?: number;
}

export interface PrintResult {
  type: 'result';
  sessionId: string | null;
  status: PrintStatus;
  exitCode: number;
  answer: string | null;
  toolCalls: PrintedToolCall[];
  usage: { rounds: number; promptTokens: number; completionTokens: number };
  /** Set when the reply was cut at --max-tokens. */
  truncated: boolean;
  error?: string;
}

const EXIT_CODES: Record<PrintStatus, number> = {
  answered: EXIT_OK,
  tool_denied: EXIT_TOOL_DENIED,
  max_rounds: EXIT_ROUND_LIMIT,
  failed: EXIT_FAILED,
  cancelled: EXIT_CANCELLED,
};

/** Folds a turn's events into its PrintResult. */
export class PrintResultBuilder {
  private readonly calls = new Map<string, PrintedToolCall>();
  private answer: string | null = null;
  private ending: 'answered' | 'max_rounds' | 'failed' | 'cancelled' = 'failed';
  private error: string | undefined;
  private denied = false;
  private truncated = false;
  private rounds = 0;
  private promptTokens = 0;
  private completionTokens = 0;

  add(e: AgentEvent): void {
    switch (e.type) {
      case 'tool_call_started':
        this.calls.set(e.callId, {
          callId: e.callId,
          round: e.round,
          name: e.name,
          ...(e.server ? { server: e.server } : {}),
          ...(e.tool ? { tool: e.tool } : {}),
          arguments: e.arguments ?? e.rawArguments,
          status: 'ok',
        });
        break;
      case 'tool_result':
        this.update(e.callId, { status: 'ok', result: e.outcome.text, durationMs: e.outcome.durationMs });
        break;
      case 'tool_error':
        if (e.status === 'denied') this.denied = true;
        this.update(e.callId, { status: e.status, error: e.error, durationMs: e.outcome.durationMs });
        break;
      case 'usage':
        this.promptTokens += e.usage.promptTokens;
        this.completionTokens += e.usage.completionTokens;
        if (e.finishReason === 'length') this.truncated = true;
        break;
      case 'turn_finished':
        this.rounds = e.rounds;
        this.answer = e.answer;
        this.ending = e.reason;
        break;
      case 'turn_failed':
        this.rounds = e.rounds;
        this.ending = 'failed';
        this.error = e.error;
        break;
      case 'turn_aborted':
        this.rounds = e.rounds;
        this.ending = 'cancelled';
        break;
      default:
        break;
    }
  }

  private update(callId: string, patch: Partial<PrintedToolCall>): void {
    const call = this.calls.get(callId);
    if (call) Object.assign(call, patch);
  }

  /** A denied call only sets the status when the turn otherwise answered (a failure or the limit says more). */
  result(sessionId: string | null): PrintResult {
    const status: PrintStatus = this.ending === 'answered' && this.denied ? 'tool_denied' : this.ending;
    return {
      type: 'result',
      sessionId,
      status,
      exitCode: EXIT_CODES[status],
      answer: this.answer,
      toolCalls: [...this.calls.values()],
      usage: { rounds: this.rounds, promptTokens: this.promptTokens, completionTokens: this.completionTokens },
      truncated: this.truncated,
      ...(this.error !== undefined ? { error: this.error } : {}),
    };
  }
}
