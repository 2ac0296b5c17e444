// The typed event stream of one agent turn. The TUI, --print mode and tests all consume this one protocol.
import type { FinishReason, GenerationUsage } from '../../engine/types.js';
import type { ToolCallOutcome } from '../mcp/types.js';
import type { ParseWarning } from '../toolcalls/types.js';

/** The user's answer to a confirmation request: run once, run always (this tool, this session), or deny. */
export type ConfirmAnswer = 'once' | 'always' | 'deny';

/** Identifies one tool call of a turn. */
export interface ToolCallRef {
  /** The call id the model (or parser) gave it; tool messages refer to it. */
  callId: string;
  /** 1-based round of the turn in which the model made the call. */
  round: number;
  /** The name the model used (`server__tool`, or something that does not exist). */
  name: string;
  /** Resolved server and tool; absent when the name matches no tool. */
  server?: string;
  tool?: string;
}

export interface ConfirmationRequest extends ToolCallRef {
  server: string;
  tool: string;
  arguments: unknown;
  /** Why the user is asked (the policy said "ask", e.g. a high-risk tool). */
  reason: string;
}

/** Why a call produced no normal result. */
export type ToolErrorStatus = Exclude<ToolCallOutcome['status'], 'ok'> | 'unknown_tool' | 'invalid_arguments';

export type AgentEvent =
  | { type: 'round_started'; round: number; promptTokens: number }
  | { type: 'text_delta'; round: number; text: string }
  | { type: 'reasoning_delta'; round: number; text: string }
  /** The model has begun writing a tool call (its name is known; the arguments are still streaming). */
  | { type: 'tool_call_streaming'; round: number; index: number; name: string }
  /** A parser warning (malformed or truncated call markup); the text is kept in the content. */
  | { type: 'parse_warning'; round: number; warning: ParseWarning }
  /** A call the model made, with its parsed arguments (null when the arguments were not valid JSON). */
  | ({ type: 'tool_call_started'; arguments: unknown; rawArguments: string } & ToolCallRef)
  /**
   * The policy asks the user. The turn waits until `respond` is called (exactly once; later calls are ignored).
   * Only emitted in interactive turns; non-interactive turns treat "ask" as deny.
   */
  | { type: 'confirmation_request'; request: ConfirmationRequest; respond: (answer: ConfirmAnswer) => void }
  /** The tool ran and succeeded; `outcome.text` is the full result for display, `modelContent` what the model gets. */
  | ({ type: 'tool_result'; outcome: ToolCallOutcome; modelContent: string } & ToolCallRef)
  /** The call failed, was refused (sandbox, policy, user), aborted, or named no tool. */
  | ({ type: 'tool_error'; status: ToolErrorStatus; error: string; outcome: ToolCallOutcome; modelContent: string } & ToolCallRef)
  | {
      type: 'usage';
      round: number;
      usage: GenerationUsage;
      /** Why this round's generation stopped ('length' = it hit max tokens). */
      finishReason: FinishReason;
      /** Tokens in the context after this round (prompt + completion). */
      contextTokens: number;
      maxContext: number;
    }
  /** Auto-compaction: the context passed the threshold, so the older turns are summarised before this turn. */
  | { type: 'compaction_started'; contextTokens: number; maxContext: number; thresholdPercent: number }
  | { type: 'compaction_finished'; replaced: number; tokensBefore: number; tokensAfter: number }
  /** The summary failed or was cancelled; the conversation is unchanged and the turn goes on. */
  | { type: 'compaction_failed'; error: string; cancelled: boolean }
  | { type: 'turn_finished'; reason: 'answered' | 'max_rounds'; rounds: number; answer: string | null }
  | { type: 'turn_aborted'; stage: 'generation' | 'tools' | 'confirmation'; rounds: number }
  /** The model failed (generation threw, context overflow, ...); the conversation is left valid. */
  | {
      type: 'turn_failed';
      rounds: number;
      error: string;
      /** The prompt did not fit the context window (in the first round the new message was not kept). */
      overflow?: boolean;
    };

export type AgentEventType = AgentEvent['type'];
