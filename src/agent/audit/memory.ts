// An in-memory audit sink (the sandbox's default when no database is attached, and for embedding).
// Same redaction as the SQLite log; keeps the newest `capacity` rows.
import { parseArguments, prepareRow } from './row.js';
import type { AuditEntry, AuditQuery, AuditRow, AuditSink } from './types.js';

export class MemoryAuditLog implements AuditSink {
  private rows: AuditRow[] = [];
  private nextId = 1;

  constructor(private readonly capacity = 10_000) {}

  record(entry: AuditEntry): number {
    const p = prepareRow(entry);
    const id = this.nextId++;
    this.rows.push({
      id,
      time: new Date(p.timeMs).toISOString(),
      timeMs: p.timeMs,
      session: p.session,
      origin: p.origin,
      server: p.server,
      tool: p.tool,
      arguments: parseArguments(p.argumentsJson),
      decision: p.decision,
      rule: p.rule,
      success: p.success === 1,
      error: p.error,
      durationMs: p.durationMs,
      resultSize: p.resultSize,
      resultPreview: p.resultPreview,
    });
    if (this.rows.length > this.capacity) this.rows.splice(0, this.rows.length - this.capacity);
    return id;
  }

  query(q: AuditQuery = {}): AuditRow[] {
    const tool = q.toolFilter?.toLowerCase();
    const since = q.since === undefined ? undefined : +q.since;
    const until = q.until === undefined ? undefined : +q.until;
    const hits = this.rows.filter(
      (r) =>
        (tool === undefined || r.tool.toLowerCase().includes(tool)) &&
        (q.serverFilter === undefined || q.serverFilter === '' || r.server === q.serverFilter) &&
        (!q.errorsOnly || !r.success) &&
        (since === undefined || r.timeMs >= since) &&
        (until === undefined || r.timeMs <= until),
    );
    return hits.slice(-Math.max(1, Math.floor(q.limit ?? 100)));
  }

  get(id: number): AuditRow | undefined {
    return this.rows.find((r) => r.id === id);
  }

  clear(): number {
    const n = this.rows.length;
    this.rows = [];
    return n;
  }
}
