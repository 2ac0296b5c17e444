// Versioned schema of the audit database. PRAGMA user_version is the version; each migration moves the
// database exactly one version up. Never edit a shipped migration: add one.
import type Database from 'better-sqlite3';
import { migrateSchema, type Migration } from '../sqlite/migrate.js';

export const MIGRATIONS: ReadonlyArray<Migration> = [
  {
    version: 1,
    description: 'calls: one row per executed tool call',
    sql: `
      CREATE TABLE calls (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts INTEGER NOT NULL,
        server TEXT NOT NULL,
        tool TEXT NOT NULL,
        arguments TEXT NOT NULL,
        success INTEGER NOT NULL,
        error TEXT,
        duration_ms REAL
      );`,
  },
  {
    version: 2,
    description: 'refused calls too: session, origin, decision and rule; result size and preview; time indexes',
    sql: `
      ALTER TABLE calls ADD COLUMN session TEXT;
      ALTER TABLE calls ADD COLUMN origin TEXT;
      ALTER TABLE calls ADD COLUMN decision TEXT NOT NULL DEFAULT 'allowed';
      ALTER TABLE calls ADD COLUMN rule TEXT NOT NULL DEFAULT 'allowed';
      ALTER TABLE calls ADD COLUMN result_size INTEGER;
      ALTER TABLE calls ADD COLUMN result_preview TEXT;
      CREATE INDEX calls_ts ON calls(ts);
      CREATE INDEX calls_server_ts ON calls(server, ts);`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export class AuditSchemaError extends Error {
  readonly userFacing = true;
  constructor(message: string) {
    super(message);
    this.name = 'AuditSchemaError';
  }
}

/** Brings the database up to SCHEMA_VERSION; returns the version it started from (see migrateSchema). */
export function migrate(db: Database.Database, file: string): number {
  return migrateSchema(db, MIGRATIONS, (version) =>
    new AuditSchemaError(`${file}: the audit database has schema version ${version}, newer than this vmlx understands (${SCHEMA_VERSION}); upgrade vmlx or use another --audit-db`),
  );
}
