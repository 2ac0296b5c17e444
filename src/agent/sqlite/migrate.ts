// Versioned SQLite schemas: PRAGMA user_version is the version and each migration moves a database exactly one
// version up. Shared by the audit log and the session store; never edit a shipped migration, add one.
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/**
 * Brings the database up to the last migration's version; returns the version it started from. Safe when
 * several processes open one new file at once: the version is re-read inside a BEGIN IMMEDIATE transaction
 * (which waits out the busy_timeout for the writer lock), so only the migrations still missing once this
 * process holds the lock are applied, all in that one transaction. Versions only grow, so the read outside
 * the lock is a valid fast path for an up-to-date file and keeps plain readers from taking the write lock.
 * `tooNew` builds the error for a file written by a newer vmlx.
 */
export function migrateSchema(
  db: Database.Database,
  migrations: ReadonlyArray<Migration>,
  tooNew: (version: number, known: number) => Error,
): number {
  const latest = migrations[migrations.length - 1]!.version;
  const read = (): number => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > latest) throw tooNew(version, latest);
    return version;
  };
  if (read() === latest) return latest;
  return db.transaction(() => {
    const from = read();
    for (const m of migrations) {
      if (m.version <= from) continue;
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }
    return from;
  }).immediate();
}
