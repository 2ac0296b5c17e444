// /compact: the model itself summarises the older part of the conversation, which is then replaced by that
// summary. The system prompt and the last turns stay as they are; the tools are not part of the history.
import type { ChatMessage, GenerateParams, LanguageModel } from '../../engine/types.js';

/** Turns (a user message and everything after it) kept word for word after a compaction. */
export const KEPT_TURNS = 1;
export const SUMMARY_HEADER = '[Summary of the earlier conversation, written by the assistant when it was compacted]';

const SUMMARY_REQUEST =
  'Summarise the conversation so far for your own later use: the user\'s goals, the facts learned (tool results ' +
  'included), decisions made and what is still open. Be brief and concrete; write only the summary.';

export interface CompactionResult {
  summary: string;
  /** Prompt tokens of the conversation before and after (without tools). */
  tokensBefore: number;
  tokensAfter: number;
  /** Messages replaced by the summary. */
  replaced: number;
}

export class NothingToCompactError extends Error {
  constructor() {
    super('nothing to compact yet: the conversation has no turns before the last one');
    this.name = 'NothingToCompactError';
  }
}

/** Where the kept part starts: the user message that begins the last KEPT_TURNS turns. */
function keptFrom(messages: readonly ChatMessage[]): number {
  let seen = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].role === 'user' && ++seen === KEPT_TURNS) return i;
  }
  return messages.length;
}

/** Whether there is anything before the last KEPT_TURNS turns to summarise. */
export function hasTurnsToCompact(messages: readonly ChatMessage[]): boolean {
  const head = messages[0]?.role === 'system' ? 1 : 0;
  return keptFrom(messages) > head;
}

function countPrompt(model: LanguageModel, messages: ChatMessage[]): number {
  return model.countTokens(model.renderChat(messages, { addGenerationPrompt: false }));
}

/**
 * Replaces the messages between the system prompt and the last turns with a summary the model writes.
 * Changes `messages` in place only once the summary is complete (an aborted or failed summary changes nothing).
 */
export async function compactConversation(
  messages: ChatMessage[],
  model: LanguageModel,
  generation: GenerateParams,
  signal?: AbortSignal,
): Promise<CompactionResult> {
  const head = messages[0]?.role === 'system' ? 1 : 0;
  const from = keptFrom(messages);
  const older = messages.slice(head, from);
  if (older.length === 0) throw new NothingToCompactError();
  const request: ChatMessage[] = [...messages.slice(0, from), { role: 'user', content: SUMMARY_REQUEST }];
  const prompt = model.renderChat(request, { addGenerationPrompt: true, enableThinking: false });
  let summary = '';
  for await (const ev of model.generate(prompt, generation, signal)) {
    if (ev.type === 'text') summary += ev.text;
    else if (ev.type === 'done' && ev.finishReason === 'cancelled') throw new DOMException('compaction cancelled', 'AbortError');
  }
  if (signal?.aborted) throw new DOMException('compaction cancelled', 'AbortError');
  summary = summary.replace(/<think>[\s\S]*?<\/think>/g, '').trim();
  if (summary === '') throw new Error('the model wrote an empty summary; the conversation was left as it was');
  const tokensBefore = countPrompt(model, messages);
  const replacement: ChatMessage[] = [
    { role: 'user', content: `${SUMMARY_HEADER}\n${summary}` },
    { role: 'assistant', content: 'Understood; I will continue from this summary.' },
  ];
  messages.splice(head, older.length, ...replacement);
  return { summary, tokensBefore, tokensAfter: countPrompt(model, messages), replaced: older.length };
}
