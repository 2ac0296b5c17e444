// A conversation over several turns: owns the history, the session's "always" answers and the cancellation of
// the turn in progress. Both the REPL and --print drive the agent through this.
import type { ChatMessage } from '../../engine/types.js';
import { SessionApprovals } from './approvals.js';
import { TurnCancellation, type CancelLevel } from './cancellation.js';
import type { AgentEvent } from './events.js';
import { compactConversation, type CompactionResult } from './compaction.js';
import { planToolExposure, type ToolExposure } from './deferred-tools.js';
import { runTurn, type Conversation, type TurnOptions } from './run-turn.js';

export type ChatSessionOptions = Omit<TurnOptions, 'signal' | 'cancellation' | 'approvals'> & {
  systemPrompt?: string;
};

export class TurnInProgressError extends Error {
  constructor() {
    super('a turn is already running in this session');
    this.name = 'TurnInProgressError';
  }
}

export class ChatSession {
  readonly conversation: Conversation = { messages: [] };
  readonly approvals = new SessionApprovals();
  private cancellation: TurnCancellation | null = null;
  private turnDone: Promise<void> = Promise.resolve();

  constructor(private readonly options: ChatSessionOptions) {
    this.reset();
  }

  get busy(): boolean {
    return this.cancellation !== null;
  }

  get messages(): readonly ChatMessage[] {
    return this.conversation.messages;
  }

  /** How the next turn shows the tools to the model: every schema, or search_tools/call_tool (deferred). */
  toolExposure(): ToolExposure {
    return planToolExposure(this.options.executor.listTools(), this.options.model, this.options.toolSchemaShare);
  }

  /** Adds the user's message and runs one turn over the conversation. */
  async *send(text: string, signal?: AbortSignal): AsyncGenerator<AgentEvent, void, undefined> {
    if (this.cancellation) throw new TurnInProgressError();
    const cancellation = new TurnCancellation(signal);
    this.cancellation = cancellation;
    let finished!: () => void;
    this.turnDone = new Promise((resolve) => (finished = resolve));
    this.conversation.messages.push({ role: 'user', content: text });
    const { systemPrompt: _system, ...turnOptions } = this.options;
    try {
      yield* runTurn(this.conversation, { ...turnOptions, approvals: this.approvals, cancellation });
    } finally {
      cancellation.release();
      this.cancellation = null;
      finished();
    }
  }

  /**
   * /compact: the model summarises the turns before the last one, which the summary then replaces. Runs like a
   * turn (busy, cancellable with cancel()); the conversation is unchanged if it fails or is cancelled.
   */
  async compact(): Promise<CompactionResult> {
    if (this.cancellation) throw new TurnInProgressError();
    const cancellation = new TurnCancellation();
    this.cancellation = cancellation;
    let finished!: () => void;
    this.turnDone = new Promise((resolve) => (finished = resolve));
    try {
      return await compactConversation(this.conversation.messages, this.options.model, this.options.generation ?? {}, cancellation.beginStep());
    } finally {
      this.cancellation = null;
      finished();
    }
  }

  /** Aborts the turn in progress (if any) and resolves once it has ended, e.g. before the model is disposed. */
  async abort(): Promise<void> {
    this.cancellation?.abortTurn();
    await this.turnDone;
  }

  /** Esc / Ctrl-C during a turn: the first call aborts the current step, the second the turn. */
  cancel(): CancelLevel | null {
    return this.cancellation ? this.cancellation.cancel() : null;
  }

  /** Aborts the whole turn in progress at once (Esc at a confirmation: deny, and let the user speak). */
  cancelTurn(): void {
    this.cancellation?.abortTurn();
  }

  /** Starts the conversation over (the session's "always" answers stay: they are per session). */
  reset(): void {
    this.conversation.messages.length = 0;
    if (this.options.systemPrompt) this.conversation.messages.push({ role: 'system', content: this.options.systemPrompt });
  }
}
