// Stored responses for previous_response_id: the conversation each response ended with, in memory and bounded
// (the oldest is dropped first), per server. Instructions are not stored: as in OpenAI's API, a follow-up's own
// `instructions` replace the earlier ones.
import type { ChatMessage } from '../../engine/types.js';

export const DEFAULT_STORED_RESPONSES = 256;

export class ResponseStore {
  private readonly entries = new Map<string, ChatMessage[]>();

  constructor(readonly capacity = DEFAULT_STORED_RESPONSES) {}

  get size(): number {
    return this.entries.size;
  }

  get(id: string): ChatMessage[] | undefined {
    const messages = this.entries.get(id);
    if (!messages) return undefined;
    // Refresh: a conversation still being continued is not the one to drop.
    this.entries.delete(id);
    this.entries.set(id, messages);
    return structuredClone(messages);
  }

  put(id: string, messages: ChatMessage[]): void {
    this.entries.delete(id);
    this.entries.set(id, structuredClone(messages));
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
