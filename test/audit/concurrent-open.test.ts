// Several processes creating the same new audit database at the same moment: each one must open it,
// migrate it at most once between them, and record its row (no "table calls already exists").
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuditLog, SCHEMA_VERSION } from '../../src/agent/audit/index.js';

const OPENER = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'racing-opener.js');
const dir = mkdtempSync(join(tmpdir(), 'vmlx-audit-race-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Opener {
  ready: Promise<void>;
  done: Promise<{ code: number | null; out: string; err: string }>;
  go: () => void;
}

function startOpener(path: string, label: string): Opener {
  const child = spawn(process.execPath, [OPENER, path, label], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.startsWith('ready\n')) markReady();
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.on('close', (code) => {
      markReady(); // a child that died while loading must not hang the barrier
      resolve({ code, out, err });
    }),
  );
  return { ready, done, go: () => child.stdin.end('go\n') };
}

async function race(path: string, n: number): Promise<Array<{ code: number | null; out: string; err: string }>> {
  const openers = Array.from({ length: n }, (_, i) => startOpener(path, `opener_${i}`));
  await Promise.all(openers.map((o) => o.ready)); // the barrier: everyone is loaded and waiting
  for (const o of openers) o.go();
  return Promise.all(openers.map((o) => o.done));
}

test('four processes opening one new database at once all succeed, migrate once and keep every row', async () => {
  // A few rounds, each on a fresh file: the window is small, one round may happen to serialise.
  for (let round = 0; round < 3; round++) {
    const path = join(dir, `round-${round}.db`);
    const results = await race(path, 4);
    for (const r of results) {
      assert.equal(r.code, 0, `opener failed: ${r.out}${r.err}`);
      assert.match(r.out, new RegExp(`^ready\\nok ${SCHEMA_VERSION} (0|${SCHEMA_VERSION})\\n$`));
    }
    // Exactly one opener found the file new (version 0); the others saw it migrated.
    const fresh = results.filter((r) => r.out.endsWith(' 0\n')).length;
    assert.equal(fresh, 1, results.map((r) => r.out).join(''));
    const log = AuditLog.open(path);
    try {
      assert.equal(log.schemaVersion(), SCHEMA_VERSION);
      assert.equal(log.openedAtVersion, SCHEMA_VERSION);
      assert.deepEqual(log.query({ limit: 100 }).map((r) => r.tool).sort(), ['opener_0', 'opener_1', 'opener_2', 'opener_3']);
    } finally {
      log.close();
    }
  }
});
