// Request messages → engine chat messages (text parts joined, "developer" treated as system).
import type { ChatMessage } from '../engine/types.js';
import type { ChatRequestMessage } from './schemas.js';

type Content = string | Array<{ type: 'text'; text: string }> | null | undefined;

export function contentText(content: Content): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content.map((p) => p.text).join('');
}

export function toChatMessages(messages: ChatRequestMessage[]): ChatMessage[] {
  return messages.map((m): ChatMessage => {
    switch (m.role) {
      case 'system':
      case 'developer':
        return { role: 'system', content: contentText(m.content) };
      case 'user':
        return { role: 'user', content: contentText(m.content) };
      case 'assistant':
        return {
          role: 'assistant',
          content: m.content == null ? null : contentText(m.content),
          ...(m.reasoning_content ? { reasoning_content: m.reasoning_content } : {}),
          ...(m.tool_calls?.length
            ? { tool_calls: m.tool_calls.map((c) => ({ id: c.id, type: 'function' as const, function: c.function })) }
            : {}),
        };
      case 'tool':
        return { role: 'tool', content: contentText(m.content), tool_call_id: m.tool_call_id, ...(m.name ? { name: m.name } : {}) };
    }
  });
}
