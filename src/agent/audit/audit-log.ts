// The SQLite audit log (better-sqlite3, WAL). Every row is redacted by prepareRow before it is bound, so no
// unredacted value reaches the database or its WAL. Each record() is its own transaction: a row is durable
// against a crash of this process as soon as record() returns.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { defaultAuditDbPath, ensurePrivateDir, ensurePrivateFile, vmlxHome } from '../paths.js';
import { migrate } from './schema.js';
import { BUSY_TIMEOUT_MS, setWalMode } from '../sqlite/wal.js';
import { deleteInBatches, deleteInBatchesSync } from './prune.js';
import { parseArguments, prepareRow } from './row.js';
import type { AuditEntry, AuditQuery, AuditRow, AuditSink, StoredDecision } from './types.js';

export class AuditDbError extends Error {
  readonly userFacing = true;
  constructor(readonly file: string, detail: string) {
    super(`${file}: cannot open the audit log: ${detail}`);
    this.name = 'AuditDbError';
  }
}

interface DbRow {
  id: number;
  ts: number;
  session: string | null;
  origin: string | null;
  server: string;
  tool: string;
  arguments: string;
  decision: string;
  rule: string;
  success: number;
  error: string | null;
  duration_ms: number | null;
  result_size: number | null;
  result_preview: string | null;
}

const DAY_MS = 86_400_000;
/** How often a long-running process (serve, a chat left open) prunes again. */
const PRUNE_EVERY_MS = 6 * 3_600_000;

export interface AuditOpenOptions {
  /** Rows older than this many days are deleted in the background (in small batches); 0 or absent keeps them. */
  retentionDays?: number | undefined;
}
const toMs = (t: Date | number) => (typeof t === 'number' ? t : t.getTime());

export class AuditLog implements AuditSink {
  private readonly insert: Database.Statement;
  private retentionTimer: NodeJS.Timeout | undefined;
  private pruning: Promise<number> | undefined;
  private closed = false;

  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
    /** Schema version the file had when opened (0 = new). */
    readonly openedAtVersion: number,
  ) {
    this.insert = db.prepare(
      `INSERT INTO calls (ts, session, origin, server, tool, arguments, decision, rule, success, error, duration_ms, result_size, result_preview)
       VALUES (@timeMs, @session, @origin, @server, @tool, @argumentsJson, @decision, @rule, @success, @error, @durationMs, @resultSize, @resultPreview)`,
    );
  }

  /**
   * Opens (creating and migrating as needed) the audit database; default ~/.vmlx/audit.db. With
   * `retentionDays`, rows older than that are pruned in the background now and every few hours.
   */
  static open(path: string = defaultAuditDbPath(), opts: AuditOpenOptions = {}): AuditLog {
    let db: Database.Database | undefined;
    try {
      if (path !== ':memory:') {
        // Arguments are redacted, but the log is still nobody else's business: created private, not chmod-ed
        // after the fact. vmlx's own home is narrowed too if an older version left it open.
        ensurePrivateDir(dirname(path), { tighten: resolve(dirname(path)) === vmlxHome() });
        ensurePrivateFile(path);
      }
      db = new Database(path);
      if (path !== ':memory:') {
        // SQLite gives the WAL and shared-memory files the database's mode; older ones may be wider.
        for (const side of [`${path}-wal`, `${path}-shm`]) if (existsSync(side)) ensurePrivateFile(side);
      }
      // First, so that another process creating or migrating the same file makes this one wait, not fail.
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      setWalMode(db);
      // NORMAL in WAL mode: a committed row survives a crash or kill of this process (only an OS crash or
      // power loss can drop the last transactions). secure_delete zeroes cleared rows instead of leaving them.
      db.pragma('synchronous = NORMAL');
      db.pragma('secure_delete = ON');
      const from = migrate(db, path);
      const log = new AuditLog(db, path, from);
      if (opts.retentionDays !== undefined && opts.retentionDays > 0) log.keepFor(opts.retentionDays);
      return log;
    } catch (err) {
      db?.close();
      if ((err as { userFacing?: boolean }).userFacing) throw err;
      throw new AuditDbError(path, (err as Error).message);
    }
  }

  record(entry: AuditEntry): number {
    const info = this.insert.run(prepareRow(entry));
    return Number(info.lastInsertRowid);
  }

  query(q: AuditQuery = {}): AuditRow[] {
    const where: string[] = [];
    const params: Array<string | number> = [];
    if (q.toolFilter) {
      where.push(`tool LIKE ? ESCAPE '\\'`);
      params.push(`%${q.toolFilter.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    }
    if (q.serverFilter) {
      where.push('server = ?');
      params.push(q.serverFilter);
    }
    if (q.errorsOnly) where.push('success = 0');
    if (q.since !== undefined) {
      where.push('ts >= ?');
      params.push(toMs(q.since));
    }
    if (q.until !== undefined) {
      where.push('ts <= ?');
      params.push(toMs(q.until));
    }
    const limit = Math.max(1, Math.floor(q.limit ?? 100));
    const sql = `SELECT * FROM calls ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit}`;
    const rows = this.db.prepare(sql).all(...params) as DbRow[];
    return rows.reverse().map(fromDb);
  }

  get(id: number): AuditRow | undefined {
    const r = this.db.prepare('SELECT * FROM calls WHERE id = ?').get(id) as DbRow | undefined;
    return r ? fromDb(r) : undefined;
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM calls').get() as { n: number }).n;
  }

  /** Deletes every row in short batches (other processes keep writing meanwhile), then empties the WAL. */
  clear(): number {
    const n = deleteInBatchesSync(this.db, '1', []);
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    return n;
  }

  /**
   * Deletes rows recorded before `beforeMs` in short batches, pausing between them so that no writer waits
   * past the busy timeout. Resolves with the number deleted; stops early when the log is closed.
   */
  prune(beforeMs: number): Promise<number> {
    const run = (this.pruning ?? Promise.resolve(0)).then(() =>
      deleteInBatches(this.db, 'ts < ?', [beforeMs], { stopped: () => this.closed }),
    );
    this.pruning = run.catch(() => 0);
    return run;
  }

  /** Resolves once no pruning is running (for callers that want the table pruned before they go on). */
  async idle(): Promise<void> {
    await this.pruning;
  }

  /** Background retention: prunes rows older than `days` now and every few hours while the log is open. */
  private keepFor(days: number): void {
    const pruneOld = () => {
      // A failure (the disk, a writer holding the lock past the timeout) is retried at the next round.
      this.prune(Date.now() - days * DAY_MS).catch(() => {});
    };
    pruneOld();
    this.retentionTimer = setInterval(pruneOld, PRUNE_EVERY_MS);
    this.retentionTimer.unref();
  }

  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  close(): void {
    this.closed = true;
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    if (this.db.open) this.db.close();
  }
}

function fromDb(r: DbRow): AuditRow {
  return {
    id: r.id,
    time: new Date(r.ts).toISOString(),
    timeMs: r.ts,
    session: r.session,
    origin: r.origin,
    server: r.server,
    tool: r.tool,
    arguments: parseArguments(r.arguments),
    decision: r.decision as StoredDecision,
    rule: r.rule,
    success: r.success === 1,
    error: r.error,
    durationMs: r.duration_ms,
    resultSize: r.result_size,
    resultPreview: r.result_preview,
  };
}
