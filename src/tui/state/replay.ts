// A stored conversation as transcript items, so a resumed chat shows what was said before.
import type { ChatMessage } from '../../engine/types.js';
import type { TranscriptItem } from './transcript.js';

type NewItem = TranscriptItem extends infer T ? (T extends TranscriptItem ? Omit<T, 'id'> : never) : never;

function parseArgs(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** User messages, answers and tool calls (with their results) in order; the system prompt is not shown. */
export function replayItems(messages: readonly ChatMessage[], now: number): NewItem[] {
  const results = new Map<string, string>();
  for (const m of messages) if (m.role === 'tool') results.set(m.tool_call_id, m.content);
  const items: NewItem[] = [];
  for (const m of messages) {
    if (m.role === 'user') items.push({ kind: 'user', text: m.content });
    else if (m.role === 'assistant') {
      if (m.content) items.push({ kind: 'assistant', text: m.content, reasoning: '' });
      for (const c of m.tool_calls ?? []) {
        const split = c.function.name.indexOf('__');
        items.push({
          kind: 'tool',
          callId: c.id,
          name: c.function.name,
          ...(split > 0 ? { server: c.function.name.slice(0, split), tool: c.function.name.slice(split + 2) } : {}),
          args: parseArgs(c.function.arguments),
          rawArgs: c.function.arguments,
          status: 'done',
          startedAt: now,
          ...(results.has(c.id) ? { result: results.get(c.id)! } : {}),
        });
      }
    }
  }
  return items;
}
