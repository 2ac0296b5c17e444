// What an audit row holds and how it is queried; shared by the SQLite log and the in-memory log.
import type { CallOrigin } from '../mcp/types.js';

/** How the call was decided. 'allow'/'deny' are accepted as spellings of 'allowed'/'denied'. */
export type AuditDecision = 'allowed' | 'denied' | 'bypassed' | 'allow' | 'deny';
export type StoredDecision = 'allowed' | 'denied' | 'bypassed';

export interface AuditEntry {
  /** When the call was attempted (default: now). */
  time?: Date | number;
  session?: string | undefined;
  /** Alias of `session`. */
  sessionId?: string | undefined;
  origin: CallOrigin | string;
  server: string;
  tool: string;
  arguments: unknown;
  decision: AuditDecision;
  /** The sandbox, policy or validator rule that decided ('allowed' when nothing objected). */
  rule: string;
  success: boolean;
  error?: string | undefined;
  durationMs?: number | undefined;
  resultSize?: number | undefined;
  resultPreview?: string | undefined;
}

export interface AuditRow {
  id: number;
  /** ISO 8601. */
  time: string;
  timeMs: number;
  session: string | null;
  origin: string | null;
  server: string;
  tool: string;
  /** Redacted arguments (parsed back from JSON). */
  arguments: unknown;
  decision: StoredDecision;
  rule: string;
  success: boolean;
  error: string | null;
  durationMs: number | null;
  resultSize: number | null;
  resultPreview: string | null;
}

export interface AuditQuery {
  /** Most recent N rows (default 100). */
  limit?: number;
  /** Substring of the tool name (case-insensitive). */
  toolFilter?: string;
  /** Exact server name. */
  serverFilter?: string;
  /** Only rows that did not succeed (failures and denials). */
  errorsOnly?: boolean;
  since?: Date | number;
  until?: Date | number;
}

/** Anything that keeps audit rows: AuditLog (SQLite) or MemoryAuditLog. */
export interface AuditSink {
  /** Redacts and stores one row; returns its id. */
  record(entry: AuditEntry): number;
  /** Newest rows matching the query, returned oldest first. */
  query(q?: AuditQuery): AuditRow[];
  /** One row by id (undefined when it does not exist). */
  get(id: number): AuditRow | undefined;
  /** Deletes every row; returns how many were deleted. */
  clear(): number;
}
