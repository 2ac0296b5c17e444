// The audit log of tool calls: SQLite on disk (AuditLog) or in memory (MemoryAuditLog).
export { AuditLog, AuditDbError } from './audit-log.js';
export { MemoryAuditLog } from './memory.js';
export { AuditSchemaError, SCHEMA_VERSION, MIGRATIONS } from './schema.js';
export { PREVIEW_MAX_CHARS } from './row.js';
export type { AuditDecision, AuditEntry, AuditQuery, AuditRow, AuditSink, StoredDecision } from './types.js';
import type { AuditSink } from './types.js';

/** Records that a server was started without validation (skip_security_validation + --allow-unsafe-mcp). */
export function recordSecurityBypass(
  sink: AuditSink,
  server: string,
  opts: { origin: string; session?: string; command?: string; args?: readonly string[]; url?: string; message?: string },
): number {
  return sink.record({
    origin: opts.origin,
    ...(opts.session !== undefined ? { session: opts.session } : {}),
    server,
    tool: '(server start)',
    arguments: { command: opts.command, args: opts.args, url: opts.url },
    decision: 'bypassed',
    rule: 'skip_security_validation',
    success: true,
    resultPreview: opts.message,
  });
}
