// Logs and the audit database are the user's only: 0700 folders, 0600 files (WAL and shared memory too),
// whatever the umask, and files or vmlx folders an older version left open are narrowed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { AuditLog } from '../../src/agent/audit/index.js';
import { SessionLog } from '../../src/agent/loop/session-log.js';
import { ServerStderrLog } from '../../src/agent/mcp/stderr-log.js';

const root = mkdtempSync(join(tmpdir(), 'vmlx-private-'));
const savedUmask = process.umask(0o000); // without our explicit modes everything would be world-readable
after(() => {
  process.umask(savedUmask);
  rmSync(root, { recursive: true, force: true });
});
const mode = (p: string) => statSync(p).mode & 0o777;

test('audit database, its WAL and shm, and the vmlx home are private', () => {
  const home = join(root, 'home');
  mkdirSync(home, { mode: 0o755 });
  chmodSync(home, 0o755);
  process.env.VMLX_HOME = home;
  const db = join(home, 'audit.db');
  const log = AuditLog.open(db);
  try {
    log.record({ origin: 'cli', server: 's', tool: 't', arguments: {}, decision: 'allowed', rule: 'allowed', success: true });
    assert.equal(mode(home), 0o700, 'vmlx home narrowed');
    assert.equal(mode(db), 0o600);
    for (const side of [`${db}-wal`, `${db}-shm`]) {
      assert.ok(existsSync(side), side);
      assert.equal(mode(side), 0o600, side);
    }
  } finally {
    log.close();
  }
  // A folder the user named for --audit-db is created private, but an existing one keeps its mode.
  const shared = join(root, 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o755);
  AuditLog.open(join(shared, 'a.db')).close();
  assert.equal(mode(shared), 0o755);
  assert.equal(mode(join(shared, 'a.db')), 0o600);
  const fresh = join(root, 'new', 'deeper');
  AuditLog.open(join(fresh, 'a.db')).close();
  assert.equal(mode(fresh), 0o700);
  assert.equal(mode(join(root, 'new')), 0o700);
});

test('an audit database an older version left world-readable is narrowed on open', () => {
  const db = join(root, 'old.db');
  AuditLog.open(db).close();
  chmodSync(db, 0o644);
  AuditLog.open(db).close();
  assert.equal(mode(db), 0o600);
});

test('chat session logs and MCP server stderr logs are private', async () => {
  const logs = join(root, 'logs');
  const session = SessionLog.open(logs, 'abcdef12-session');
  session.write('info', 'hello');
  assert.equal(mode(logs), 0o700);
  assert.equal(mode(session.file), 0o600);

  const stderrLog = new ServerStderrLog(logs, 'fs');
  const stream = new PassThrough();
  stderrLog.attach(stream);
  stream.write('server banner\n');
  await stderrLog.close();
  assert.equal(mode(stderrLog.path), 0o600);

  // Files and folders an older version created open are narrowed.
  const old = join(root, 'old-logs');
  mkdirSync(old);
  chmodSync(old, 0o755);
  const oldFile = join(old, 'mcp-fs.log');
  writeFileSync(oldFile, 'old\n');
  chmodSync(oldFile, 0o644);
  await new ServerStderrLog(old, 'fs').close();
  assert.equal(mode(old), 0o700);
  assert.equal(mode(oldFile), 0o600);
});
