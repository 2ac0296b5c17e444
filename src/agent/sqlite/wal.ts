// WAL mode for the SQLite files vmlx shares between processes (the audit log, the session store).
import type Database from 'better-sqlite3';

/** How long a writer waits for another process's lock before failing. */
export const BUSY_TIMEOUT_MS = 5_000;

/**
 * Switches the file to WAL. When several processes switch one new file at once, SQLite answers
 * SQLITE_BUSY here without consulting the busy handler, so this step retries on its own, up to the same
 * bound as busy_timeout.
 */
export function setWalMode(db: Database.Database): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw err;
      Atomics.wait(pause, 0, 0, 5); // open() is synchronous: a short blocking pause between attempts
    }
  }
}

