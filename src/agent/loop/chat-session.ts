// A conversation over several turns: owns the history, the session's "always" answers and the cancellation of
// the turn in progress. Both the REPL and --print drive the agent through this.
import type { ChatMessage } from '../../engine/types.js';
import { SessionApprovals, type ApprovalMode } from './approvals.js';
import { TurnCancellation, type CancelLevel } from './cancellation.js';
import type { AgentEvent } from './events.js';
import { compactConversation, type CompactionResult } from './compaction.js';
import { runTurn, type Conversation, type TurnOptions } from './run-turn.js';
import type { ConversationRecorder } from '../sessions/recorder.js';

export type ChatSessionOptions = Omit<TurnOptions, 'signal' | 'cancellation' | 'approvals'> & {
  systemPrompt?: string;
  /** Saves the conversation as it happens (the session store); absent: nothing is saved. */
  recorder?: ConversationRecorder;
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
  /** Starts as the options say; /approval-mode changes it for the next turns. */
  approvalMode: ApprovalMode;
  private cancellation: TurnCancellation | null = null;
  private turnDone: Promise<void> = Promise.resolve();

  constructor(private readonly options: ChatSessionOptions) {
    this.approvalMode = options.approvalMode ?? 'default';
    this.startOver();
  }

  get busy(): boolean {
    return this.cancellation !== null;
  }

  get messages(): readonly ChatMessage[] {
    return this.conversation.messages;
  }

  /** Adds the user's message and runs one turn over the conversation. */
  async *send(text: string, signal?: AbortSignal): AsyncGenerator<AgentEvent, void, undefined> {
    if (this.cancellation) throw new TurnInProgressError();
    const cancellation = new TurnCancellation(signal);
    this.cancellation = cancellation;
    let finished!: () => void;
    this.turnDone = new Promise((resolve) => (finished = resolve));
    this.conversation.messages.push({ role: 'user', content: text });
    this.save();
    const { systemPrompt: _system, recorder: _recorder, ...turnOptions } = this.options;
    try {
      for await (const event of runTurn(this.conversation, { ...turnOptions, approvalMode: this.approvalMode, approvals: this.approvals, cancellation })) {
        this.save();
        yield event;
      }
    } finally {
      this.save();
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
      this.save();
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

  /** The stored session this conversation is saved as (undefined when nothing is saved). */
  get sessionId(): string | undefined {
    return this.options.recorder?.id;
  }

  /** Continues a stored conversation: its messages replace the current ones, and later turns extend it. */
  resume(id: string, messages: readonly ChatMessage[]): void {
    if (this.cancellation) throw new TurnInProgressError();
    this.conversation.messages.splice(0, this.conversation.messages.length, ...messages);
    this.options.recorder?.resume(id, this.conversation.messages);
  }

  private save(): void {
    this.options.recorder?.sync(this.conversation.messages);
  }

  /** Starts the conversation over, saved as a new session (the "always" answers stay: they are per process). */
  reset(): void {
    this.options.recorder?.startNew();
    this.startOver();
  }

  private startOver(): void {
    this.conversation.messages.length = 0;
    if (this.options.systemPrompt) this.conversation.messages.push({ role: 'system', content: this.options.systemPrompt });
  }
}
