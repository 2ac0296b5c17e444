// Plain-text views of stored sessions, shared by `vmlx sessions` and the REPL's /sessions.
import type { ChatMessage } from '../../engine/types.js';
import type { SessionSummary } from './store.js';

/** Ids are UUIDs; the first 8 characters are enough to name one (any unique prefix is accepted). */
export const shortId = (id: string): string => id.slice(0, 8);

function when(iso: string): string {
  return iso.replace('T', ' ').replace(/:\d\d\.\d+Z$/, 'Z');
}

/** One line per session: short id, last update, message count, model, title. */
export function sessionLine(s: SessionSummary): string {
  return `${shortId(s.id)}  ${when(s.updatedAt)}  ${String(s.messageCount).padStart(3)} msgs  ${s.model}  ${s.title || '(untitled)'}`;
}

function indent(text: string, prefix: string): string {
  return text.split('\n').map((l) => `${prefix}${l}`).join('\n');
}

/** A stored conversation as the REPL showed it: prompts, answers, calls and (first lines of) results. */
export function conversationText(messages: readonly ChatMessage[], resultLines = 3): string {
  const out: string[] = [];
  for (const m of messages) {
    switch (m.role) {
      case 'system':
        out.push(indent(m.content, 'system: '));
        break;
      case 'user':
        out.push(indent(m.content, '› '));
        break;
      case 'assistant':
        if (m.content) out.push(m.content);
        for (const c of m.tool_calls ?? []) out.push(`[tool] ${c.function.name} ${c.function.arguments}`);
        break;
      case 'tool': {
        const lines = m.content.split('\n');
        const shown = lines.slice(0, resultLines).map((l) => `  │ ${l}`);
        if (lines.length > resultLines) shown.push(`  │ … ${lines.length - resultLines} more lines`);
        out.push(shown.join('\n'));
        break;
      }
    }
  }
  return out.join('\n');
}
