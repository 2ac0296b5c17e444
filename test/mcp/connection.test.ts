// ServerConnection against the fixture server (a real child process speaking MCP over stdio):
// pagination and its guard, list_changed, connect failures and timeouts, no orphans.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServerConnection, type ConnectionEvent, type ServerConnectionOptions } from '../../src/agent/mcp/client.js';
import { ServerStderrLog } from '../../src/agent/mcp/stderr-log.js';
import { FIXTURE_SERVER, isAlive, nextEvent, tempDir, waitFor } from './helpers.js';

const logDir = tempDir();

function fixture(name: string, flags: string[], connectTimeoutMs = 10_000, restartPolicy?: ServerConnectionOptions['restartPolicy']) {
  const log = new ServerStderrLog(logDir, name);
  const conn = new ServerConnection({
    name,
    spec: { kind: 'stdio', command: process.execPath, args: [FIXTURE_SERVER, ...flags], env: {} },
    connectTimeoutMs,
    stderrLog: log,
    ...(restartPolicy ? { restartPolicy } : {}),
  });
  return { conn, log, close: async () => { await conn.close(); await log.close(); } };
}

test('tools/list is followed across pages', async () => {
  const { conn, close } = fixture('paged', ['--page-size', '2', '--extra-tools', '5']);
  try {
    await conn.start();
    assert.equal(conn.status().state, 'connected');
    const names = conn.listTools().map((t) => t.name);
    assert.equal(names.length, 11);
    assert.deepEqual(names.slice(0, 3), ['echo', 'fail', 'sleep']);
    assert.ok(names.includes('extra-4'));
    assert.deepEqual(conn.status().serverInfo, { name: 'vmlx-fixture', version: '1.2.3' });
  } finally {
    await close();
  }
});

test('a cursor that never advances does not loop forever', async () => {
  const { conn, close } = fixture('stuck', ['--stuck-cursor']);
  try {
    await conn.start();
    assert.equal(conn.status().state, 'connected');
    assert.deepEqual(conn.listTools().map((t) => t.name), ['echo', 'fail']);
  } finally {
    await close();
  }
});

test('tools/list_changed triggers a full re-list', async () => {
  const { conn, close } = fixture('dynamic', ['--page-size', '4']);
  try {
    await conn.start();
    const before = conn.listTools().length;
    const refreshed = nextEvent<ConnectionEvent>('the tools event', (l) => conn.on(l), (e) => e.type === 'tools');
    const result = await conn.callTool('add-tool', { name: 'late-tool' }, { timeoutMs: 5_000 });
    assert.deepEqual(result.content, [{ type: 'text', text: 'added late-tool' }]);
    const e = await refreshed;
    assert.equal(e.type === 'tools' && e.tools.length, before + 1);
    assert.ok(conn.listTools().some((t) => t.name === 'late-tool'));
    assert.equal(conn.status().toolCount, before + 1);
  } finally {
    await close();
  }
});

test('a server that exits before speaking MCP fails with its stderr in the reason', async () => {
  const { conn, log, close } = fixture('early-exit', ['--exit-early']);
  try {
    await conn.start();
    const st = conn.status();
    assert.equal(st.state, 'failed');
    assert.match(st.error!, /fatal: fixture asked to exit early/);
    assert.equal(st.pid, undefined);
    await log.close();
    assert.match(readFileSync(log.path, 'utf8'), /fatal: fixture asked to exit early/);
  } finally {
    await close();
  }
});

test('a command that does not exist fails cleanly', async () => {
  const conn = new ServerConnection({
    name: 'missing',
    spec: { kind: 'stdio', command: '/nonexistent/vmlx-no-such-server', args: [], env: {} },
    connectTimeoutMs: 5_000,
  });
  await conn.start();
  assert.equal(conn.status().state, 'failed');
  assert.match(conn.status().error!, /ENOENT/);
  await conn.close();
  const badCwd = new ServerConnection({
    name: 'bad-cwd',
    spec: { kind: 'stdio', command: process.execPath, args: [FIXTURE_SERVER], env: {}, cwd: join(logDir, 'no-such-dir') },
    connectTimeoutMs: 5_000,
  });
  await badCwd.start();
  assert.match(badCwd.status().error!, /cwd '.*no-such-dir' is not a directory/);
  await badCwd.close();
});

test('a server that never answers initialize times out and its child is gone', async () => {
  const { conn, log, close } = fixture('hang', ['--hang'], 1_500);
  try {
    const started = Date.now();
    await conn.start();
    const st = conn.status();
    assert.equal(st.state, 'failed');
    assert.match(st.error!, /timed out after 1500 ms/);
    assert.ok(Date.now() - started < 8_000);
    // The pid is only known to the transport; the fixture's stderr banner names it.
    const banner = log.tail(20).map((l) => /fixture server starting pid=(\d+)/.exec(l)).find(Boolean);
    assert.ok(banner, 'the fixture wrote its pid');
    assert.equal(isAlive(Number(banner[1])), false, 'the hung child was killed');
  } finally {
    await close();
  }
});

test('close() ends the child process', async () => {
  const { conn, close } = fixture('closing', []);
  await conn.start();
  const pid = conn.status().pid!;
  assert.ok(isAlive(pid));
  await close();
  assert.equal(isAlive(pid), false);
  assert.equal(conn.status().pid, undefined);
});

test('a server that keeps dying after a crash is restarted with backoff, then marked failed', async () => {
  const marker = join(logDir, 'crash-marker');
  const policy = { initialDelayMs: 10, maxDelayMs: 40, factor: 2, maxAttempts: 3, stableAfterMs: 60_000 };
  const { conn, close } = fixture('crashy', ['--exit-if-exists', marker], 10_000, policy);
  try {
    await conn.start();
    assert.equal(conn.status().state, 'connected');
    const scheduled: number[] = [];
    const off = conn.on((e) => {
      if (e.type === 'restart-scheduled') scheduled.push(e.delayMs);
    });
    const gaveUp = nextEvent<ConnectionEvent>('the server to be marked failed', (l) => conn.on(l), (e) => e.type === 'status' && e.status.state === 'failed');
    writeFileSync(marker, 'crash from now on');
    process.kill(conn.status().pid!, 'SIGKILL');
    await gaveUp;
    off();
    assert.deepEqual(scheduled, [10, 20, 40]);
    assert.equal(conn.status().restarts, 3);
    assert.match(conn.status().error!, /gave up after 3 restart attempts/);
    // Once the cause is gone, a reconnect starts it again.
    rmSync(marker);
    await conn.reconnect();
    assert.equal(conn.status().state, 'connected');
    assert.equal(conn.status().error, undefined);
    assert.equal(conn.listTools().length, 6);
  } finally {
    await close();
  }
});

test('close() while a server is still connecting kills the child and settles', async () => {
  const { conn, log, close } = fixture('closing-early', ['--hang'], 20_000);
  const starting = conn.start();
  const banner = await waitFor('the fixture banner', () => log.tail(5).map((l) => /starting pid=(\d+)/.exec(l)).find(Boolean));
  const pid = Number(banner[1]);
  assert.ok(isAlive(pid));
  await close();
  await starting;
  assert.equal(conn.status().state, 'failed');
  assert.equal(isAlive(pid), false);
});
