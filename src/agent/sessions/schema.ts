// The session store's database schema and the shape of a stored message (checked when read back: the file may
// have been written by another version or edited by hand).
import { z } from 'zod';
import type { Migration } from '../sqlite/migrate.js';
import type { ChatMessage } from '../../engine/types.js';

export const SESSION_MIGRATIONS: ReadonlyArray<Migration> = [
  {
    version: 1,
    description: 'sessions and their messages, one row per message in conversation order',
    sql: `
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        model TEXT NOT NULL,
        cwd TEXT NOT NULL,
        title TEXT NOT NULL
      );
      CREATE INDEX sessions_updated ON sessions(updated_at);
      CREATE TABLE messages (
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        message TEXT NOT NULL,
        PRIMARY KEY (session_id, seq)
      );`,
  },
];

const ToolCall = z.object({
  id: z.string(),
  type: z.literal('function'),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

export const StoredMessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: z.string() }),
  z.object({ role: z.literal('user'), content: z.string() }),
  z.object({
    role: z.literal('assistant'),
    content: z.string().nullable(),
    reasoning_content: z.string().nullable().optional(),
    tool_calls: z.array(ToolCall).optional(),
  }),
  z.object({ role: z.literal('tool'), content: z.string(), tool_call_id: z.string(), name: z.string().optional() }),
]);

/** Parses one stored message; the caller names the session and position in its error. */
export function parseStoredMessage(json: string): ChatMessage {
  return StoredMessageSchema.parse(JSON.parse(json)) as ChatMessage;
}
