// The SQLite audit log: filters, redaction before write (scanning the raw db and WAL bytes), truncation,
// migrations from a hand-made v1 database, and a writer killed with SIGKILL mid-stream.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { AuditLog, AuditDbError, AuditSchemaError, MemoryAuditLog, SCHEMA_VERSION, recordSecurityBypass, type AuditSink } from '../../src/agent/audit/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'vmlx-audit-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const dbFile = () => join(tmp, `a${n++}.db`);

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
function fill(log: AuditSink): void {
  log.record({ time: T0, session: 's1', origin: 'chat', server: 'fs', tool: 'read_file', arguments: { path: '/tmp/a' }, decision: 'allowed', rule: 'allowed', success: true, durationMs: 5, resultSize: 10, resultPreview: 'hello' });
  log.record({ time: T0 + 60_000, sessionId: 's1', origin: 'chat', server: 'fs', tool: 'write_file', arguments: { path: '../x' }, decision: 'deny', rule: 'path_traversal', success: false, error: 'refused' });
  log.record({ time: T0 + 120_000, origin: 'serve', server: 'mem', tool: 'read_graph', arguments: {}, decision: 'allow', rule: 'allowed', success: false, error: 'timeout: 1000 ms' });
  log.record({ time: T0 + 180_000, origin: 'api', server: 'mem', tool: 'create_entities', arguments: { entities: [] }, decision: 'allowed', rule: 'allowed', success: true });
}

function checkFilters(log: AuditSink): void {
  const tools = (rows: { tool: string }[]) => rows.map((r) => r.tool);
  assert.deepEqual(tools(log.query()), ['read_file', 'write_file', 'read_graph', 'create_entities'], 'oldest first');
  assert.deepEqual(tools(log.query({ limit: 2 })), ['read_graph', 'create_entities'], 'limit keeps the newest');
  assert.deepEqual(tools(log.query({ toolFilter: 'READ' })), ['read_file', 'read_graph'], 'tool substring, any case');
  assert.deepEqual(tools(log.query({ toolFilter: '_' })), ['read_file', 'write_file', 'read_graph', 'create_entities'], '_ is literal');
  assert.deepEqual(tools(log.query({ toolFilter: '%' })), [], '% is literal');
  assert.deepEqual(tools(log.query({ serverFilter: 'mem' })), ['read_graph', 'create_entities']);
  assert.deepEqual(tools(log.query({ errorsOnly: true })), ['write_file', 'read_graph']);
  assert.deepEqual(tools(log.query({ since: T0 + 60_000 })), ['write_file', 'read_graph', 'create_entities']);
  assert.deepEqual(tools(log.query({ since: new Date(T0 + 60_000), until: new Date(T0 + 120_000) })), ['write_file', 'read_graph']);
  assert.deepEqual(tools(log.query({ serverFilter: 'fs', errorsOnly: true, toolFilter: 'write' })), ['write_file']);
  const [first, second] = log.query();
  assert.equal(first!.time, '2026-01-01T12:00:00.000Z');
  assert.deepEqual([first!.session, first!.origin, first!.decision, first!.success, first!.durationMs, first!.resultSize, first!.resultPreview], ['s1', 'chat', 'allowed', true, 5, 10, 'hello']);
  assert.deepEqual([second!.session, second!.decision, second!.rule, second!.error], ['s1', 'denied', 'path_traversal', 'refused']);
  assert.deepEqual(first!.arguments, { path: '/tmp/a' });
}

test('SQLite log: filters, limit, since/until, decisions, get and clear', () => {
  const path = dbFile();
  const log = AuditLog.open(path);
  try {
    assert.equal(log.schemaVersion(), SCHEMA_VERSION);
    assert.equal(log.openedAtVersion, 0);
    fill(log);
    checkFilters(log);
    const id = log.record({ origin: 'cli', server: 'x', tool: 'y', arguments: null, decision: 'bypassed', rule: 'r', success: true });
    assert.equal(log.get(id)?.tool, 'y');
    assert.equal(log.get(99999), undefined);
    assert.equal(log.clear(), 5);
    assert.equal(log.count(), 0);
    // ids are never reused after a clear (AUTOINCREMENT), so old references stay unambiguous
    assert.ok(log.record({ origin: 'cli', server: 'x', tool: 'y', arguments: {}, decision: 'allowed', rule: 'allowed', success: true }) > id);
  } finally {
    log.close();
  }
  const raw = new Database(path);
  assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal', 'WAL mode is persistent in the file');
  raw.close();
});

test('memory log: same filters', () => {
  const log = new MemoryAuditLog();
  fill(log);
  checkFilters(log);
  const small = new MemoryAuditLog(2);
  fill(small);
  assert.deepEqual(small.query().map((r) => r.tool), ['read_graph', 'create_entities']);
});

const SECRETS = [
  'hunter2-very-secret',
  'sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX',
  'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
  'AKIAIOSFODNN7EXAMPLE',
  'deadbeefcafebabe0123456789abcdef',
  'xoxb-1234567890-abcdefghijklmn',
  'bearer-token-value-123456',
  'dbpass-s3cr3t',
  'session-secret-42',
  'nested-credential-value',
];

test('redaction happens before anything is written: the db and WAL bytes hold no secret', () => {
  const path = dbFile();
  const log = AuditLog.open(path);
  for (let i = 0; i < 50; i++) {
    log.record({
      origin: 'chat',
      session: 'run token=session-secret-42',
      server: 'gh',
      tool: 'create_issue',
      arguments: {
        title: `issue ${i}`,
        password: 'hunter2-very-secret',
        deep: { list: [{ Api_Key: 'sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX' }, { x: { CREDENTIALS: { v: 'nested-credential-value' } } }] },
        body: 'my token is ghp_abcdefghijklmnopqrstuvwxyz0123456789 and AKIAIOSFODNN7EXAMPLE',
        url: 'https://x.example/?key=deadbeefcafebabe0123456789abcdef',
        [`header${i}`]: 'Bearer bearer-token-value-123456',
      },
      decision: 'allowed',
      rule: 'allowed',
      success: false,
      error: 'failed: postgresql://admin:dbpass-s3cr3t@db/app',
      resultPreview: 'slack said xoxb-1234567890-abcdefghijklmn',
      resultSize: 99,
    });
  }
  const scan = (file: string) => {
    if (!existsSync(file)) return;
    const bytes = readFileSync(file);
    for (const s of SECRETS) assert.equal(bytes.indexOf(Buffer.from(s)), -1, `${s} found in ${file}`);
  };
  assert.ok(readFileSync(`${path}-wal`).length > 0, 'rows are in the WAL while the log is open');
  assert.ok(readFileSync(`${path}-wal`).indexOf(Buffer.from('create_issue')) >= 0, 'the scan can see row text');
  scan(path);
  scan(`${path}-wal`);
  const row = log.query({ limit: 1 })[0]!;
  assert.equal((row.arguments as Record<string, unknown>).password, '[REDACTED]');
  assert.match(row.error!, /admin:\[REDACTED\]@db/);
  log.close();
  scan(path);
  scan(`${path}-wal`);
  assert.ok(readFileSync(path).indexOf(Buffer.from('create_issue')) >= 0, 'rows reached the main file after close');
});

test('long values are truncated with a marker before they are stored', () => {
  const log = AuditLog.open(dbFile());
  try {
    const id = log.record({ origin: 'chat', server: 'fs', tool: 'write_file', arguments: { content: 'y'.repeat(10_000), many: Array.from({ length: 300 }, () => 1) }, decision: 'allowed', rule: 'allowed', success: true, resultPreview: 'r'.repeat(2000), error: 'e'.repeat(3000) });
    const row = log.get(id)!;
    const args = row.arguments as { content: string; many: unknown[] };
    assert.equal(args.content, `${'y'.repeat(2000)}…[truncated 8000 chars]`);
    assert.equal(args.many.length, 201);
    assert.equal(row.resultPreview, `${'r'.repeat(500)}…[truncated 1500 chars]`);
    assert.equal(row.error, `${'e'.repeat(2000)}…[truncated 1000 chars]`);
    // many medium values: the whole arguments text is capped too, and stays valid JSON
    const wide = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`f${i}`, 'z'.repeat(1500)]));
    const w = log.get(log.record({ origin: 'chat', server: 'fs', tool: 'w', arguments: wide, decision: 'allowed', rule: 'allowed', success: true }))!;
    assert.equal(typeof w.arguments, 'string');
    assert.match(w.arguments as string, /…\[truncated \d+ chars\]$/);
  } finally {
    log.close();
  }
});

test('migrations: a hand-made v1 database is upgraded in place and keeps its rows', () => {
  const path = dbFile();
  const v1 = new Database(path);
  v1.exec(`CREATE TABLE calls (id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, server TEXT NOT NULL, tool TEXT NOT NULL,
           arguments TEXT NOT NULL, success INTEGER NOT NULL, error TEXT, duration_ms REAL)`);
  v1.prepare('INSERT INTO calls (ts, server, tool, arguments, success, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?)').run(T0, 'fs', 'read_file', '{"path":"/tmp/old"}', 1, null, 12.5);
  v1.prepare('INSERT INTO calls (ts, server, tool, arguments, success, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?)').run(T0 + 1000, 'fs', 'write_file', '{}', 0, 'disk full', 3);
  v1.pragma('user_version = 1');
  v1.close();

  const log = AuditLog.open(path);
  try {
    assert.equal(log.openedAtVersion, 1);
    assert.equal(log.schemaVersion(), SCHEMA_VERSION);
    const rows = log.query();
    assert.equal(rows.length, 2);
    assert.deepEqual([rows[0]!.tool, rows[0]!.arguments, rows[0]!.decision, rows[0]!.rule, rows[0]!.origin, rows[0]!.durationMs], ['read_file', { path: '/tmp/old' }, 'allowed', 'allowed', null, 12.5]);
    assert.deepEqual(log.query({ errorsOnly: true }).map((r) => r.error), ['disk full']);
    log.record({ origin: 'chat', server: 'fs', tool: 'new_tool', arguments: {}, decision: 'denied', rule: 'high_risk', success: false });
    assert.deepEqual(log.query({ since: T0 + 500 }).map((r) => r.tool), ['write_file', 'new_tool']);
  } finally {
    log.close();
  }
  // opening again is a no-op migration
  const again = AuditLog.open(path);
  assert.equal(again.openedAtVersion, SCHEMA_VERSION);
  assert.equal(again.count(), 3);
  again.close();
});

test('a newer schema or a file that is not a database is a one-line user error', () => {
  const newer = dbFile();
  const db = new Database(newer);
  db.pragma('user_version = 99');
  db.close();
  assert.throws(() => AuditLog.open(newer), (e: Error) => e instanceof AuditSchemaError && /schema version 99, newer than/.test(e.message));
  const junk = dbFile();
  writeFileSync(junk, 'this is not sqlite, just text that is long enough to have a header'.repeat(10));
  assert.throws(() => AuditLog.open(junk), (e: Error) => e instanceof AuditDbError && e.message.startsWith(`${junk}: cannot open the audit log:`) && (e as AuditDbError).userFacing);
});

test('recordSecurityBypass writes a bypassed row', () => {
  const log = new MemoryAuditLog();
  recordSecurityBypass(log, 'dev', { origin: 'chat', command: 'my-server', args: ['--token=abc12345'] });
  const [row] = log.query();
  assert.deepEqual([row!.server, row!.decision, row!.rule], ['dev', 'bypassed', 'skip_security_validation']);
  assert.deepEqual(row!.arguments, { command: 'my-server', args: ['--token=[REDACTED]'] });
});

test('a writer killed with SIGKILL mid-stream leaves a readable database with every committed row', async () => {
  const path = dbFile();
  const child = spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'heavy-writer.js'), path], { stdio: ['ignore', 'pipe', 'pipe'] });
  const committed: number[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const TARGET = 4000;
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) committed.push(Number(l));
      if (committed.length >= TARGET && child.exitCode === null && !child.killed) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.on('exit', () => (committed.length >= TARGET ? resolve() : reject(new Error(`writer exited early: ${stderr}`))));
  });
  assert.equal(await exited, 'SIGKILL');

  const raw = new Database(path, { readonly: false });
  assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
  raw.close();
  const log = AuditLog.open(path);
  try {
    const ids = new Set(log.query({ limit: 1_000_000 }).map((r) => r.id));
    const missing = committed.filter((id) => !ids.has(id));
    assert.deepEqual(missing, [], 'every committed row survived');
    assert.ok(ids.size >= committed.length);
    assert.equal(log.get(committed[committed.length - 1]!)?.server, 'crash');
  } finally {
    log.close();
  }
});

test('the database file and its new directory are private to the user', () => {
  const dir = join(tmp, 'private', 'nested');
  const path = join(dir, 'audit.db');
  const log = AuditLog.open(path);
  log.record({ origin: 'cli', server: 's', tool: 't', arguments: {}, decision: 'allowed', rule: 'allowed', success: true });
  log.close();
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
});

test('two connections to one database (as chat and serve processes have) both keep every row', () => {
  const path = dbFile();
  const a = AuditLog.open(path);
  const b = AuditLog.open(path);
  try {
    for (let i = 0; i < 200; i++) {
      (i % 2 ? a : b).record({ origin: i % 2 ? 'chat' : 'serve', server: 's', tool: `t${i}`, arguments: { i }, decision: 'allowed', rule: 'allowed', success: true });
    }
    assert.equal(a.count(), 200);
    assert.equal(b.query({ limit: 1000 }).length, 200);
    assert.equal(a.query({ limit: 1000 }).filter((r) => r.origin === 'serve').length, 100);
  } finally {
    a.close();
    b.close();
  }
});

test('a sandbox with the SQLite log as its sink reads and clears it through the seed API', async () => {
  const { ToolSandbox } = await import('../../src/agent/mcp/sandbox.js');
  const log = AuditLog.open(dbFile());
  try {
    const s = new ToolSandbox({ audit: log });
    s.record({ origin: 'chat', server: 'fs', tool: 'read_file', arguments: { token: 'abc' }, decision: 'allowed', rule: 'allowed', success: true });
    assert.deepEqual(s.getAuditLog({ toolFilter: 'read' }).map((r) => r.arguments), [{ token: '[REDACTED]' }]);
    assert.equal(log.count(), 1);
    assert.equal(s.clearAuditLog(), 1);
    assert.equal(log.count(), 0);
  } finally {
    log.close();
  }
});

test('clear() leaves no trace of the deleted rows in the file', () => {
  const path = dbFile();
  const log = AuditLog.open(path);
  for (let i = 0; i < 20; i++) log.record({ origin: 'cli', server: 's', tool: 'erase_me_tool', arguments: { note: `erase-me-${i}` }, decision: 'allowed', rule: 'allowed', success: true });
  log.close();
  assert.ok(readFileSync(path).indexOf(Buffer.from('erase-me-')) >= 0);
  const again = AuditLog.open(path);
  assert.equal(again.clear(), 20);
  again.close();
  for (const f of [path, `${path}-wal`]) {
    if (existsSync(f)) assert.equal(readFileSync(f).indexOf(Buffer.from('erase-me-')), -1, f);
  }
});

test('short bearer tokens, cookie values and curl -u passwords never reach the database or its WAL', () => {
  const path = dbFile();
  const log = AuditLog.open(path);
  const secrets = ['zq7', 'c00kieval', 'pa55word9', 'nestedzq8'];
  log.record({
    origin: 'cli',
    server: 'shell',
    tool: 'run_command',
    arguments: {
      command: "curl -H 'Authorization: Bearer zq7' -H 'Cookie: sid=c00kieval' -u admin:pa55word9 https://h.example",
      nested: { list: [{ headers: ['Authorization', 'Bearer nestedzq8'] }] },
    },
    decision: 'allowed',
    rule: 'allowed',
    success: true,
    resultPreview: 'echo: Cookie: sid=c00kieval',
  });
  for (const f of [path, `${path}-wal`]) {
    if (!existsSync(f)) continue;
    const bytes = readFileSync(f);
    for (const s of secrets) assert.equal(bytes.indexOf(Buffer.from(s)), -1, `${s} found in ${f}`);
  }
  assert.ok(readFileSync(`${path}-wal`).indexOf(Buffer.from('run_command')) >= 0, 'the scan can see row text');
  log.close();
});
