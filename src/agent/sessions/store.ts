// The session store: every chat conversation, saved message by message in SQLite (WAL) beside the audit log.
// Each save is one transaction, so a crash or kill loses at most the message that was still being generated.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { ChatMessage } from '../../engine/types.js';
import { ensurePrivateDir, ensurePrivateFile, vmlxHome } from '../paths.js';
import { migrateSchema } from '../sqlite/migrate.js';
import { BUSY_TIMEOUT_MS, setWalMode } from '../sqlite/wal.js';
import { parseStoredMessage, SESSION_MIGRATIONS } from './schema.js';

/** The session database: `sessions.db` in the vmlx home. */
export function defaultSessionsDbPath(env: Record<string, string | undefined> = process.env): string {
  return join(vmlxHome(env), 'sessions.db');
}

export class SessionStoreError extends Error {
  readonly userFacing = true;
  constructor(message: string) {
    super(message);
    this.name = 'SessionStoreError';
  }
}

/** The id (or prefix) names no stored session, or more than one. */
export class UnknownSessionError extends Error {
  readonly userFacing = true;
  constructor(readonly query: string, matches = 0) {
    super(
      matches > 1
        ? `session '${query}' is ambiguous (${matches} sessions start with it); give more of the id`
        : `no session '${query}' (vmlx sessions list shows the saved ones)`,
    );
    this.name = 'UnknownSessionError';
  }
}

export interface SessionMeta {
  model: string;
  cwd: string;
}

export interface SessionSummary extends SessionMeta {
  id: string;
  title: string;
  createdAt: string;
  updatedAt: string;
  messageCount: number;
}

interface SummaryRow {
  id: string;
  created_at: number;
  updated_at: number;
  model: string;
  cwd: string;
  title: string;
  message_count: number;
}

const TITLE_CHARS = 60;

/** The first line of the first user message, shortened: what `sessions list` shows. */
export function titleOf(messages: readonly ChatMessage[]): string {
  const first = messages.find((m) => m.role === 'user');
  const line = (first?.content ?? '').trim().split('\n')[0] ?? '';
  return line.length > TITLE_CHARS ? `${line.slice(0, TITLE_CHARS - 1)}…` : line;
}

const SUMMARY_SQL = `SELECT s.*, (SELECT count(*) FROM messages m WHERE m.session_id = s.id) AS message_count FROM sessions s`;

export class SessionStore {
  private constructor(private readonly db: Database.Database, readonly path: string) {}

  static open(path: string = defaultSessionsDbPath()): SessionStore {
    let db: Database.Database | undefined;
    try {
      if (path !== ':memory:') {
        // Conversations are the user's own: created private, like the audit log.
        ensurePrivateDir(dirname(path), { tighten: resolve(dirname(path)) === vmlxHome() });
        ensurePrivateFile(path);
      }
      db = new Database(path);
      if (path !== ':memory:') for (const side of [`${path}-wal`, `${path}-shm`]) if (existsSync(side)) ensurePrivateFile(side);
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      setWalMode(db);
      db.pragma('synchronous = NORMAL'); // WAL + NORMAL: a committed save survives a crash of this process
      db.pragma('foreign_keys = ON');
      migrateSchema(db, SESSION_MIGRATIONS, (version, known) =>
        new SessionStoreError(`${path}: the session database has schema version ${version}, newer than this vmlx understands (${known}); upgrade vmlx`),
      );
      return new SessionStore(db, path);
    } catch (err) {
      db?.close();
      if ((err as { userFacing?: boolean }).userFacing) throw err;
      throw new SessionStoreError(`${path}: cannot open the session database: ${(err as Error).message}`);
    }
  }

  /**
   * Makes the stored messages of `id` equal to `messages`, given that the first `keep` of them are stored
   * already: later stored ones are deleted and the rest written, in one transaction. Creates the session.
   */
  save(id: string, meta: SessionMeta, messages: readonly ChatMessage[], keep: number): void {
    const now = Date.now();
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO sessions (id, created_at, updated_at, model, cwd, title) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at, model = excluded.model, title = excluded.title`,
        )
        .run(id, now, now, meta.model, meta.cwd, titleOf(messages));
      this.db.prepare('DELETE FROM messages WHERE session_id = ? AND seq >= ?').run(id, keep);
      const insert = this.db.prepare('INSERT INTO messages (session_id, seq, ts, message) VALUES (?, ?, ?, ?)');
      for (let i = keep; i < messages.length; i++) insert.run(id, i, now, JSON.stringify(messages[i]));
    })();
  }

  /** Sessions, most recently updated first. */
  list(limit = 20): SessionSummary[] {
    const rows = this.db.prepare(`${SUMMARY_SQL} ORDER BY s.updated_at DESC, s.rowid DESC LIMIT ?`).all(Math.max(1, Math.floor(limit))) as SummaryRow[];
    return rows.map(summary);
  }

  latest(): SessionSummary | undefined {
    return this.list(1)[0];
  }

  /** The session whose id is `query` or, when unambiguous, starts with it. */
  find(query: string): SessionSummary {
    const exact = this.db.prepare(`${SUMMARY_SQL} WHERE s.id = ?`).get(query) as SummaryRow | undefined;
    if (exact) return summary(exact);
    const escaped = query.replace(/[\\%_]/g, (c) => `\\${c}`);
    const rows = this.db.prepare(`${SUMMARY_SQL} WHERE s.id LIKE ? ESCAPE '\\' LIMIT 2`).all(`${escaped}%`) as SummaryRow[];
    if (rows.length !== 1 || query.trim() === '') throw new UnknownSessionError(query, rows.length);
    return summary(rows[0]!);
  }

  /** The stored conversation of a session (by full id). */
  messages(id: string): ChatMessage[] {
    const rows = this.db.prepare('SELECT seq, message FROM messages WHERE session_id = ? ORDER BY seq').all(id) as Array<{ seq: number; message: string }>;
    return rows.map((r) => {
      try {
        return parseStoredMessage(r.message);
      } catch (err) {
        throw new SessionStoreError(`${this.path}: session ${id}, message ${r.seq + 1} is not a valid chat message: ${(err as Error).message.split('\n')[0]}`);
      }
    });
  }

  /** Deletes a session and its messages (by full id); false when there was none. */
  remove(id: string): boolean {
    return this.db.prepare('DELETE FROM sessions WHERE id = ?').run(id).changes > 0;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function summary(r: SummaryRow): SessionSummary {
  return {
    id: r.id,
    title: r.title,
    model: r.model,
    cwd: r.cwd,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
    messageCount: r.message_count,
  };
}
