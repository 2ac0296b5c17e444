// A conversation over several turns: owns the history, the session's "always" answers and the cancellation of
// the turn in progress. Both the REPL and --print drive the agent through this.
import type { ChatMessage } from '../../engine/types.js';
import { SessionApprovals, type ApprovalMode } from './approvals.js';
import { TurnCancellation, type CancelLevel } from './cancellation.js';
import type { AgentEvent } from './events.js';
import { compactConversation, hasTurnsToCompact, type CompactionResult } from './compaction.js';
import { planToolExposure, type ToolExposure } from './deferred-tools.js';
import { runTurn, type Conversation, type TurnOptions } from './run-turn.js';
import type { ConversationRecorder } from '../sessions/recorder.js';

export type ChatSessionOptions = Omit<TurnOptions, 'signal' | 'cancellation' | 'approvals' | 'approvalMode'> & {
  /** The mode the chat starts in (the session then holds it: see approvalMode). */
  approvalMode?: ApprovalMode;
  systemPrompt?: string;
  /** Compact the older turns before a turn once the context would pass this percent of the window (0 or absent: never). */
  autoCompactPercent?: number;
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
  /** Starts as the options say; /approval-mode changes it from the next tool call on, also within a running turn. */
  approvalMode: ApprovalMode;
  /** Tokens in the context after the last round (null until a turn has run, or after /clear and /resume). */
  private contextTokens: number | null = null;
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
    const { systemPrompt: _system, recorder: _recorder, autoCompactPercent: _auto, ...turnOptions } = this.options;
    try {
      yield* this.autoCompact(text, cancellation);
      this.conversation.messages.push({ role: 'user', content: text });
      this.save();
      for await (const event of runTurn(this.conversation, { ...turnOptions, approvalMode: () => this.approvalMode, approvals: this.approvals, cancellation })) {
        if (event.type === 'usage') this.contextTokens = event.contextTokens;
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
   * Compacts before the turn when the conversation so far plus the new message would pass the threshold. A
   * conversation with nothing before its last turn is left alone (the overflow check still guards the turn).
   */
  private async *autoCompact(text: string, cancellation: TurnCancellation): AsyncGenerator<AgentEvent, void, undefined> {
    const percent = this.options.autoCompactPercent ?? 0;
    if (percent <= 0 || this.contextTokens === null) return;
    const maxContext = this.options.model.info.contextLength;
    const projected = this.contextTokens + this.options.model.countTokens(text);
    if (projected * 100 < percent * maxContext) return;
    if (!hasTurnsToCompact(this.conversation.messages)) return;
    yield { type: 'compaction_started', contextTokens: projected, maxContext, thresholdPercent: percent };
    try {
      const r = await compactConversation(this.conversation.messages, this.options.model, this.options.generation ?? {}, cancellation.beginStep());
      this.contextTokens = r.tokensAfter;
      this.save();
      yield { type: 'compaction_finished', replaced: r.replaced, tokensBefore: r.tokensBefore, tokensAfter: r.tokensAfter };
    } catch (err) {
      const cancelled = (err as Error).name === 'AbortError';
      yield { type: 'compaction_failed', error: cancelled ? 'compaction cancelled' : (err as Error).message, cancelled };
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
      const result = await compactConversation(this.conversation.messages, this.options.model, this.options.generation ?? {}, cancellation.beginStep());
      this.contextTokens = result.tokensAfter;
      return result;
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
    this.contextTokens = this.measure();
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

  /** The conversation's size in tokens, rendered without tools (as /compact counts it). */
  private measure(): number | null {
    try {
      return this.options.model.countTokens(this.options.model.renderChat(this.conversation.messages, { addGenerationPrompt: false }));
    } catch {
      return null; // a template that cannot render this history fails the next turn with its own message
    }
  }

  private startOver(): void {
    this.contextTokens = null;
    this.conversation.messages.length = 0;
    if (this.options.systemPrompt) this.conversation.messages.push({ role: 'system', content: this.options.systemPrompt });
  }
}
