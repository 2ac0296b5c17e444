// `vmlx audit` and `vmlx audit clear` through the real CLI with a temporary VMLX_HOME.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AuditLog } from '../../src/agent/audit/index.js';

const run = promisify(execFile);
const home = mkdtempSync(join(tmpdir(), 'vmlx-audit-cli-'));
after(() => rmSync(home, { recursive: true, force: true }));
const env = { ...process.env, VMLX_HOME: home };

async function vmlx(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ['bin/vmlx.js', ...args], { env: { ...env, ...extraEnv } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function seed(path = join(home, 'audit.db')): void {
  const log = AuditLog.open(path);
  const now = Date.now();
  log.record({ time: now - 3 * 3_600_000, origin: 'chat', server: 'fs', tool: 'read_file', arguments: { path: '/tmp/old' }, decision: 'allowed', rule: 'allowed', success: true, durationMs: 4 });
  log.record({ time: now - 30 * 60_000, origin: 'serve', server: 'fs', tool: 'write_file', arguments: { path: '../x', password: 'pw-secret-1' }, decision: 'denied', rule: 'path_traversal', success: false, error: 'refused: traversal' });
  log.record({ time: now, origin: 'api', server: 'mem', tool: 'read_graph', arguments: {}, decision: 'allowed', rule: 'allowed', success: true, durationMs: 12 });
  log.close();
}

test('no audit log yet', async () => {
  const r = await vmlx(['audit']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /no audit log yet/);
});

test('table, JSON lines and filters', async () => {
  seed();
  const table = await vmlx(['audit']);
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trim().split('\n');
  assert.match(lines[0]!, /^TIME\s+ORIGIN\s+SERVER\s+TOOL\s+RESULT\s+MS\s+ARGUMENTS$/);
  assert.match(table.stdout, /write_file\s+denied: path_traversal/);
  assert.match(table.stdout, /↳ refused: traversal/);
  assert.ok(!table.stdout.includes('pw-secret-1'));

  const json = await vmlx(['audit', '--json']);
  const rows = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { tool: string; arguments: Record<string, unknown> });
  assert.deepEqual(rows.map((r) => r.tool), ['read_file', 'write_file', 'read_graph']);
  assert.equal(rows[1]!.arguments.password, '[REDACTED]');

  const tools = async (args: string[]) => (await vmlx([...args, '--json'])).stdout.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { tool: string }).tool);
  // Minutes between the rows and every filter bound, so a slow machine cannot move a row across one.
  const sinceIso = new Date(Date.now() - 10 * 60_000).toISOString();
  const results = await Promise.all([
    tools(['audit', '--tool', 'READ']),
    tools(['audit', '--server', 'fs']),
    tools(['audit', '--errors-only']),
    tools(['audit', '--since', '1h']),
    tools(['audit', '--until', '10m']),
    tools(['audit', '--since', sinceIso]),
    tools(['audit', '--limit', '1']),
  ]);
  assert.deepEqual(results, [
    ['read_file', 'read_graph'],
    ['read_file', 'write_file'],
    ['write_file'],
    ['write_file', 'read_graph'],
    ['read_file', 'write_file'],
    ['read_graph'],
    ['read_graph'],
  ]);
  const none = await vmlx(['audit', '--server', 'nope']);
  assert.match(none.stdout, /no matching audit rows/);
});

test('bad arguments are one-line errors with a non-zero exit', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['audit', '--since', 'yesterday'], /^vmlx: --since: expected a duration like 30m, 1h or 2d, or an ISO time/],
    [['audit', '--limit', '0'], /^vmlx: --limit: expected a positive whole number, got '0'/],
    [['audit', '--limit', 'ten'], /^vmlx: --limit: expected a positive whole number/],
  ];
  const outs = await Promise.all(cases.map(([args]) => vmlx(args)));
  for (const [i, [args, re]] of cases.entries()) {
    const r = outs[i]!;
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});

test('--audit-db picks another database', async () => {
  const other = join(home, 'other.db');
  const log = AuditLog.open(other);
  log.record({ origin: 'cli', server: 'only', tool: 'here', arguments: {}, decision: 'allowed', rule: 'allowed', success: true });
  log.close();
  const r = await vmlx(['audit', '--audit-db', other, '--json']);
  assert.deepEqual(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { server: string }).server), ['only']);
});

/** Runs `vmlx audit clear` on a pseudo-terminal (util-linux `script`) and answers the question. */
function clearOnTty(answer: string, db: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const cmd = `${JSON.stringify(process.execPath)} bin/vmlx.js audit clear --audit-db ${JSON.stringify(db)}`;
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let answered = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!answered && out.includes('[y/N]')) {
        answered = true;
        child.stdin.write(`${answer}\n`);
      }
    });
    child.on('error', reject);
    child.on('exit', () => resolve(out));
  });
}

test('audit clear: refuses without a terminal or --yes, asks on a terminal, --yes skips the question', async () => {
  const db = join(home, 'clear.db');
  seed(db);
  const refused = await vmlx(['audit', 'clear', '--audit-db', db]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^vmlx: refusing to clear the audit log without confirmation: run it in a terminal to answer, or pass --yes\n$/);
  assert.equal(countRows(db), 3);

  const kept = await clearOnTty('n', db);
  assert.match(kept, /Delete all 3 rows of the audit log .*\? \[y\/N\]/);
  assert.match(kept, /kept the audit log/);
  assert.equal(countRows(db), 3);

  const deleted = await clearOnTty('y', db);
  assert.match(deleted, /deleted 3 audit rows/);
  assert.equal(countRows(db), 0);

  seed(db);
  const yes = await vmlx(['audit', '--audit-db', db, 'clear', '--yes']);
  assert.equal(yes.code, 0, yes.stderr);
  assert.match(yes.stdout, /deleted 3 audit rows/);
  assert.equal(countRows(db), 0);
});

function countRows(db: string): number {
  const log = AuditLog.open(db);
  try {
    return log.count();
  } finally {
    log.close();
  }
}
