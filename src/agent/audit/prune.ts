// Deleting many audit rows without starving other writers. One DELETE of millions of rows holds SQLite's
// write lock for seconds, longer than another process's busy timeout, and its writes fail. Here each batch
// is its own short transaction whose size adapts to stay under a time target, and the pause after a batch
// is three times as long as the batch: the lock is free at least three quarters of the time, so a writer
// polling for it (SQLite's busy handler retries every few ms) gets it well within its timeout.
import type Database from 'better-sqlite3';

export interface BatchDeleteOptions {
  /** Longest a batch should hold the write lock (ms); the batch size adapts to it. */
  targetBatchMs?: number;
  /** Shortest pause between batches (ms); the pause is otherwise three times the batch's time. */
  minPauseMs?: number;
  /** Checked before each batch: true stops the deletion (the log was closed). */
  stopped?: () => boolean;
}

const FIRST_BATCH = 500;
const MAX_BATCH = 50_000;

/**
 * The deletion as steps: each step deletes one batch and yields how long to pause before the next.
 * Returns the number of rows deleted. `where` is SQL over the calls table with `?` parameters.
 */
function* batches(db: Database.Database, where: string, params: readonly unknown[], opts: BatchDeleteOptions): Generator<number, number, void> {
  if (opts.stopped?.() || !db.open) return 0;
  const target = opts.targetBatchMs ?? 10;
  const minPause = opts.minPauseMs ?? 10;
  const del = db.prepare(`DELETE FROM calls WHERE id IN (SELECT id FROM calls WHERE ${where} LIMIT ?)`);
  let size = FIRST_BATCH;
  let total = 0;
  for (;;) {
    if (opts.stopped?.() || !db.open) return total;
    const started = performance.now();
    const n = del.run(...params, size).changes;
    const took = performance.now() - started;
    total += n;
    if (n < size) return total;
    if (took < target / 2) size = Math.min(MAX_BATCH, size * 2);
    else if (took > target) size = Math.max(50, Math.floor(size / 2));
    yield Math.max(minPause, Math.ceil(3 * took));
  }
}

/** Batched deletion that pauses with timers: the process keeps serving (chat, serve) while it runs. */
export async function deleteInBatches(db: Database.Database, where: string, params: readonly unknown[], opts: BatchDeleteOptions = {}): Promise<number> {
  const steps = batches(db, where, params, opts);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise((resolve) => setTimeout(resolve, step.value));
  }
}

/** Batched deletion for a command that does nothing else meanwhile (audit clear): pauses by blocking. */
export function deleteInBatchesSync(db: Database.Database, where: string, params: readonly unknown[], opts: BatchDeleteOptions = {}): number {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const steps = batches(db, where, params, opts);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    Atomics.wait(pause, 0, 0, step.value);
  }
}
