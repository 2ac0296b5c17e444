// Audit retention: rows older than --audit-retention-days are pruned, and pruning or clearing a large table
// never makes a concurrent writer (another process's connection) wait past its busy timeout.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { AuditLog } from '../../src/agent/audit/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'vmlx-retention-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const DAY = 86_400_000;
const row = (time: number, tool = 't') => ({ time, origin: 'cli', server: 's', tool, arguments: { a: 1 }, decision: 'allowed' as const, rule: 'allowed', success: true });

test('prune deletes only rows older than the cut-off; open with retentionDays prunes in the background', async () => {
  const path = join(tmp, 'small.db');
  const now = Date.now();
  const log = AuditLog.open(path);
  for (let i = 0; i < 30; i++) log.record(row(now - (i < 20 ? 100 : 10) * DAY, i < 20 ? 'old' : 'recent'));
  assert.equal(await log.prune(now - 50 * DAY), 20);
  assert.deepEqual([...new Set(log.query({ limit: 100 }).map((r) => r.tool))], ['recent']);
  for (let i = 0; i < 5; i++) log.record(row(now - 100 * DAY, 'old'));
  log.close();

  const kept = AuditLog.open(path, { retentionDays: 0 });
  await kept.idle();
  assert.equal(kept.count(), 15, 'retention 0 keeps everything');
  kept.close();
  const pruned = AuditLog.open(path, { retentionDays: 90 });
  await pruned.idle();
  assert.equal(pruned.count(), 10);
  const pruned2 = AuditLog.open(path, { retentionDays: 5 });
  await pruned2.idle();
  assert.equal(pruned2.count(), 0);
  pruned.close();
  pruned2.close();
});

// A writer on its own thread and connection (as a second vmlx process has) writes a row every millisecond until
// told to stop and counts the writes that failed with SQLITE_BUSY. Its busy timeout is far shorter than
// vmlx's 5 s, and one DELETE of the rows below holds the lock longer than it (about 0.5 s here), so the test
// fails for an unbatched delete while a batched one (about 10 ms per batch) passes with a wide margin.
const WRITER_BUSY_TIMEOUT_MS = 200;
const WRITER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.path);
db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
const insert = db.prepare("INSERT INTO calls (ts, server, tool, arguments, decision, rule, success) VALUES (?, 'w', 'writer', '{}', 'allowed', 'allowed', 1)");
const flag = new Int32Array(workerData.flag);
let ok = 0, busy = 0, other = '', maxWaitMs = 0;
parentPort.postMessage('started');
while (Atomics.load(flag, 0) === 0) {
  const t0 = performance.now();
  try { insert.run(Date.now()); ok++; maxWaitMs = Math.max(maxWaitMs, performance.now() - t0); } catch (e) { if (e.code === 'SQLITE_BUSY') busy++; else { other = e.message; break; } }
  if (ok === 1) Atomics.store(flag, 1, 1);
  Atomics.wait(flag, 0, 0, 1); // a busy writer, not a flood: about one row a millisecond
}
db.close();
parentPort.postMessage({ ok, busy, other, maxWaitMs });
`;

interface WriterReport {
  deleted: number;
  ok: number;
  busy: number;
  other: string;
  /** The slowest successful write (reported, not asserted: timings belong in benchmarks). */
  maxWaitMs: number;
}

async function withWriter(path: string, work: () => Promise<number> | number): Promise<WriterReport> {
  const flag = new Int32Array(new SharedArrayBuffer(8));
  const worker = new Worker(WRITER, { eval: true, workerData: { path, busyTimeoutMs: WRITER_BUSY_TIMEOUT_MS, flag: flag.buffer, sqlite: createRequire(import.meta.url).resolve('better-sqlite3') } });
  const result = new Promise<Omit<WriterReport, 'deleted'>>((resolve, reject) => {
    worker.on('message', (m) => typeof m === 'object' && resolve(m));
    worker.once('error', reject);
  });
  // Start the deletion only once the writer has committed a row, so the two really overlap.
  while (Atomics.load(flag, 1) === 0) await new Promise((r) => setTimeout(r, 5));
  let deleted: number;
  try {
    deleted = await work();
  } finally {
    Atomics.store(flag, 0, 1); // the writer stops whatever happened
  }
  return { deleted, ...(await result) };
}

test('pruning and clearing a large table never make a concurrent writer time out', async (t) => {
  const path = join(tmp, 'large.db');
  AuditLog.open(path).close();
  const N = 100_000;
  const db = new Database(path);
  // One statement over a recursive CTE fills the table quickly: half the rows a year old, half new.
  db.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     INSERT INTO calls (ts, session, origin, server, tool, arguments, decision, rule, success, duration_ms, result_size, result_preview)
     SELECT CASE WHEN i % 2 = 0 THEN ? ELSE ? END, 'session', 'chat', 'fs', 'read_text_file',
            '{"path":"/srv/data/file-' || i || '.txt"}', 'allowed', 'allowed', 1, 2.5, 100, 'contents of file ' || i FROM n`,
  ).run(N, Date.now() - 365 * DAY, Date.now());
  db.close();

  const log = AuditLog.open(path);
  try {
    const pruned = await withWriter(path, () => log.prune(Date.now() - 90 * DAY));
    assert.equal(pruned.deleted, N / 2);
    assert.equal(pruned.other, '');
    assert.equal(pruned.busy, 0, `${pruned.busy} writes timed out while pruning`);
    assert.ok(pruned.ok > 0);
    assert.equal(log.count(), N / 2 + pruned.ok);
    t.diagnostic(`prune: ${pruned.deleted} rows, ${pruned.ok} concurrent writes, slowest write ${pruned.maxWaitMs.toFixed(1)} ms`);

    const cleared = await withWriter(path, () => log.clear());
    assert.equal(cleared.other, '');
    assert.equal(cleared.busy, 0, `${cleared.busy} writes timed out while clearing`);
    assert.ok(cleared.deleted >= N / 2 + pruned.ok);
    assert.equal(log.count(), cleared.ok - (cleared.deleted - N / 2 - pruned.ok));
    t.diagnostic(`clear: ${cleared.deleted} rows, ${cleared.ok} concurrent writes, slowest write ${cleared.maxWaitMs.toFixed(1)} ms`);
  } finally {
    log.close();
  }
});
