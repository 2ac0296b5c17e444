// Keeps one conversation's stored copy in step with the messages in memory. The agent loop changes the
// history in place (appends; /compact splices; an over-long message is taken out again), so each sync compares
// the messages by identity with those last saved and rewrites only from the first one that differs.
import { randomUUID } from 'node:crypto';
import type { ChatMessage } from '../../engine/types.js';
import type { SessionMeta, SessionStore } from './store.js';

/** What a chat session needs from its recorder. */
export interface ConversationRecorder {
  readonly id: string;
  /** Saves what changed since the last sync. */
  sync(messages: readonly ChatMessage[]): void;
  /** /clear: later syncs go to a new session (the old one stays stored). */
  startNew(): void;
  /** Continues a stored session: `messages` are what it holds. */
  resume(id: string, messages: readonly ChatMessage[]): void;
}

export class StoreRecorder implements ConversationRecorder {
  private saved: ChatMessage[] = [];
  private failed = false;

  constructor(
    private readonly store: SessionStore,
    private readonly meta: SessionMeta,
    private currentId: string = randomUUID(),
    /** A failed save is reported once (the chat goes on; the disk may be full). */
    private readonly onError: (message: string) => void = () => {},
  ) {}

  get id(): string {
    return this.currentId;
  }

  sync(messages: readonly ChatMessage[]): void {
    let same = 0;
    while (same < this.saved.length && same < messages.length && this.saved[same] === messages[same]) same++;
    if (same === this.saved.length && same === messages.length) return;
    // Nothing said yet (only a system prompt, or nothing): no session worth listing.
    if (!messages.some((m) => m.role === 'user')) return;
    try {
      this.store.save(this.currentId, this.meta, messages, same);
      this.saved = messages.slice();
      this.failed = false;
    } catch (err) {
      if (!this.failed) this.onError(`the conversation could not be saved to ${this.store.path}: ${(err as Error).message}`);
      this.failed = true;
    }
  }

  startNew(): void {
    this.currentId = randomUUID();
    this.saved = [];
  }

  resume(id: string, messages: readonly ChatMessage[]): void {
    this.currentId = id;
    this.saved = messages.slice();
  }
}
