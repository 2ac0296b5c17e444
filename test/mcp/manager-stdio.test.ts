// McpManager over stdio with the real reference servers (everything, filesystem, memory) plus the
// fixture server, a rejected server and a disabled one. The servers start once for the whole file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { McpManager, type McpManagerEvent } from '../../src/agent/mcp/manager.js';
import { parseMcpConfig } from '../../src/agent/mcp/config.js';
import { MemoryAuditLog } from '../../src/agent/audit/index.js';
import { INHERITED_ENV_VARS } from '../../src/agent/mcp/server-env.js';
import { EVERYTHING_SERVER, FILESYSTEM_SERVER, FIXTURE_SERVER, MEMORY_SERVER, isAlive, nextEvent, tempDir, waitFor } from './helpers.js';

const work = tempDir();
const files = join(work, 'files');
const logDir = join(work, 'logs');
const audit = new MemoryAuditLog();
const warnings: string[] = [];
let manager: McpManager;

before(async () => {
  const { mkdirSync } = await import('node:fs');
  mkdirSync(files);
  writeFileSync(join(files, 'hello.txt'), 'hello from the test\n');
  // A secret in vmlx's own environment must never reach a server.
  process.env.VMLX_TEST_SECRET_TOKEN = 'do-not-leak';
  const config = parseMcpConfig(
    JSON.stringify({
      mcpServers: {
        everything: { command: 'node', args: [EVERYTHING_SERVER], env: { VMLX_VISIBLE: 'yes' } },
        fs: { command: 'node', args: [FILESYSTEM_SERVER, files] },
        memory: { command: 'node', args: [MEMORY_SERVER], env: { MEMORY_FILE_PATH: join(work, 'memory.jsonl') } },
        fixture: { command: 'node', args: [FIXTURE_SERVER, '--risky'], timeout: 5_000, blockedTools: ['fail'] },
        malicious: { command: 'bash', args: ['-c', 'echo pwned'] },
        off: { command: 'node', args: [FIXTURE_SERVER], enabled: false },
      },
    }),
    'test-mcp.json',
  );
  manager = await McpManager.start({
    config,
    audit,
    logDir,
    sessionId: 'sess-1',
    connectTimeoutMs: 20_000,
    restartPolicy: { initialDelayMs: 50, maxDelayMs: 200, factor: 2, maxAttempts: 3, stableAfterMs: 60_000 },
    onWarning: (m) => warnings.push(m),
  });
});

after(async () => {
  await manager?.close();
  delete process.env.VMLX_TEST_SECRET_TOKEN;
});

const status = (name: string) => manager.statuses().find((s) => s.name === name)!;

test('every server settles: connected, rejected with its rule, disabled', () => {
  for (const name of ['everything', 'fs', 'memory', 'fixture']) {
    assert.equal(status(name).state, 'connected', `${name}: ${status(name).error ?? ''}`);
    assert.ok(status(name).toolCount > 0);
    assert.ok(status(name).pid! > 0);
  }
  assert.equal(status('everything').serverInfo?.name, 'mcp-servers/everything');
  const bad = status('malicious');
  assert.equal(bad.state, 'rejected');
  assert.equal(bad.rule, 'command_whitelist');
  assert.match(bad.error!, /MCP server 'malicious': Command 'bash' is not in the allowed commands whitelist/);
  assert.equal(status('off').state, 'disabled');
  assert.deepEqual(manager.statuses().map((s) => s.name), ['everything', 'fs', 'memory', 'fixture', 'malicious', 'off']);
});

test('tools are exposed as server__tool with their schemas, high-risk ones flagged, and resolve back', () => {
  const tools = manager.listTools();
  const echo = tools.find((t) => t.qualifiedName === 'everything__echo')!;
  assert.equal(echo.server, 'everything');
  assert.equal(echo.name, 'echo');
  assert.equal((echo.inputSchema as { type: string }).type, 'object');
  assert.ok('message' in ((echo.inputSchema as { properties: object }).properties));
  assert.ok(tools.some((t) => t.qualifiedName === 'fs__read_text_file'));
  assert.ok(tools.some((t) => t.qualifiedName === 'memory__create_entities'));
  assert.equal(tools.find((t) => t.qualifiedName === 'fixture__run_command')?.highRisk, true);
  assert.equal(echo.highRisk, false);
  assert.ok(tools.every((t) => /^[a-zA-Z0-9_-]{1,64}$/.test(t.qualifiedName)));
  assert.equal(new Set(tools.map((t) => t.qualifiedName)).size, tools.length);
  assert.equal(manager.resolveTool('everything__get-sum')?.name, 'get-sum');
  assert.equal(manager.resolveTool('read_text_file')?.server, 'fs', 'a bare name resolves when unambiguous');
  assert.equal(manager.resolveTool('echo'), undefined, 'echo exists on two servers: ambiguous');
  assert.equal(manager.resolveTool('nope__nothing'), undefined);
});

test('calls succeed on all three reference servers and are audited', async () => {
  const sum = await manager.callTool('everything', 'get-sum', { a: 2, b: 40 }, { origin: 'chat' });
  assert.equal(sum.status, 'ok');
  assert.match(sum.text, /42/);
  const read = await manager.callTool('fs', 'read_text_file', { path: join(files, 'hello.txt') }, { origin: 'chat' });
  assert.equal(read.status, 'ok', read.error);
  assert.match(read.text, /hello from the test/);
  const created = await manager.callTool(
    'memory',
    'create_entities',
    { entities: [{ name: 'vmlx', entityType: 'project', observations: ['runs tools'] }] },
    { origin: 'serve', sessionId: 'sess-2' },
  );
  assert.equal(created.status, 'ok', created.error);
  const graph = await manager.callTool('memory', 'read_graph', {}, { origin: 'chat' });
  assert.match(graph.text, /runs tools/);
  const row = audit.query({ toolFilter: 'create_entities' }).at(-1)!;
  assert.equal(row.server, 'memory');
  assert.equal(row.origin, 'serve');
  assert.equal(row.session, 'sess-2');
  assert.equal(row.decision, 'allowed');
  assert.equal(row.success, true);
  assert.ok((row.resultSize ?? 0) > 0);
  assert.ok(row.durationMs !== null && row.durationMs >= 0);
  const sumRow = audit.query({ toolFilter: 'get-sum' }).at(-1)!;
  assert.equal(sumRow.session, 'sess-1', 'the manager session is the default');
  assert.deepEqual(sumRow.arguments, { a: 2, b: 40 });
});

test('a large result reaches the caller whole; the audit row keeps its size and a short preview', async () => {
  const out = await manager.callTool('fixture', 'big', { n: 200_000 }, { origin: 'chat' });
  assert.equal(out.status, 'ok');
  assert.equal(out.text.length, 200_000);
  const row = audit.query({ toolFilter: 'big' }).at(-1)!;
  assert.equal(row.resultSize, 200_000);
  assert.ok(row.resultPreview!.length <= 210, `preview is ${row.resultPreview!.length} characters`);
});

test('a tool error (isError) comes back as tool_error, not an exception', async () => {
  const outside = await manager.callTool('fs', 'read_text_file', { path: join(work, 'memory.jsonl') }, { origin: 'chat' });
  assert.equal(outside.status, 'tool_error');
  assert.equal(outside.isError, true);
  assert.match(outside.error!, /access denied|outside allowed/i);
  assert.equal(audit.query({ toolFilter: 'read_text_file', errorsOnly: true }).length, 1);
});

test('the sandbox refuses before execution: system paths, blocked tools, high-risk tools', async () => {
  const before = audit.query({ limit: 1000 }).length;
  const etc = await manager.callTool('fs', 'read_text_file', { path: '/etc/passwd' }, { origin: 'api' });
  assert.equal(etc.status, 'denied');
  assert.equal(etc.rule, 'system_path');
  assert.equal(etc.content.length, 0);
  const blocked = await manager.callTool('fixture', 'fail', { message: 'x' }, { origin: 'chat' });
  assert.deepEqual([blocked.status, blocked.rule], ['denied', 'blocked_tool']);
  const risky = await manager.callTool('fixture', 'run_command', { cmd: 'ls' }, { origin: 'chat' });
  assert.deepEqual([risky.status, risky.rule], ['denied', 'high_risk']);
  const rows = audit.query({ limit: 1000 }).slice(before);
  assert.deepEqual(rows.map((r) => [r.tool, r.decision, r.rule]), [
    ['read_text_file', 'denied', 'system_path'],
    ['fail', 'denied', 'blocked_tool'],
    ['run_command', 'denied', 'high_risk'],
  ]);
  assert.deepEqual(manager.checkCall('fs', 'read_text_file', { path: '/etc/shadow' }).allowed, false);
  assert.equal(manager.policyFor('fixture', 'run_command'), 'ask');
  assert.equal(manager.policyFor('fixture', 'echo'), 'allow');
  assert.equal(manager.policyFor('fixture', 'run_command', 'api'), 'deny');
});

test('policy and user refusals are audited through recordRefusal', () => {
  manager.recordRefusal('fixture', 'echo', { text: 'hi' }, { origin: 'chat', rule: 'user_denied', reason: 'the user said no' });
  const row = audit.query({ toolFilter: 'echo', errorsOnly: true }).at(-1)!;
  assert.deepEqual([row.server, row.decision, row.rule, row.success], ['fixture', 'denied', 'user_denied', false]);
});

test('arguments that are not an object, unknown servers and rejected servers give error outcomes', async () => {
  const arr = await manager.callTool('fixture', 'echo', [1, 2], { origin: 'chat' });
  assert.equal(arr.status, 'denied');
  const unknown = await manager.callTool('nosuch', 'echo', {}, { origin: 'chat' });
  assert.equal(unknown.status, 'error');
  assert.match(unknown.error!, /no MCP server named 'nosuch'/);
  const rejected = await manager.callTool('malicious', 'anything', {}, { origin: 'chat' });
  assert.equal(rejected.status, 'error');
  assert.match(rejected.error!, /is rejected/);
});

test('a call over its timeout comes back as timeout', async () => {
  const started = Date.now();
  const out = await manager.callTool('everything', 'trigger-long-running-operation', { duration: 5, steps: 5 }, { origin: 'chat', timeoutMs: 300 });
  assert.equal(out.status, 'timeout');
  assert.match(out.error!, /timed out after 300 ms/);
  assert.ok(Date.now() - started < 3_000);
  assert.equal(audit.query({ toolFilter: 'trigger-long' }).at(-1)!.error?.startsWith('timeout'), true);
});

test('progress notifications reach onProgress and re-arm the timeout of a long-running call', async () => {
  const seen: Array<[number, number | undefined]> = [];
  const out = await manager.callTool('everything', 'trigger-long-running-operation', { duration: 1, steps: 5 }, {
    origin: 'chat',
    timeoutMs: 700,
    onProgress: (p) => seen.push([p.progress, p.total]),
  });
  assert.equal(out.status, 'ok', out.error);
  assert.match(out.text, /Long running operation completed/);
  // The SDK handles notifications a microtask after responses, so the last one may land after the call settled.
  assert.deepEqual(seen.slice(0, 4), [[1, 5], [2, 5], [3, 5], [4, 5]]);
});

test('aborting a long-running call returns aborted and sends the cancel notice', async () => {
  const ac = new AbortController();
  const pending = manager.callTool('everything', 'trigger-long-running-operation', { duration: 5, steps: 5 }, { origin: 'chat', signal: ac.signal });
  setImmediate(() => ac.abort());
  const out = await pending;
  assert.equal(out.status, 'aborted');
  // The fixture logs the cancellation it receives (notifications/cancelled) to its stderr log.
  const ac2 = new AbortController();
  const sleeping = manager.callTool('fixture', 'sleep', { ms: 10_000 }, { origin: 'chat', signal: ac2.signal });
  setTimeout(() => ac2.abort(new Error('user pressed Esc')), 50);
  const out2 = await sleeping;
  assert.equal(out2.status, 'aborted');
  assert.match(out2.error!, /user pressed Esc/);
  const logFile = status('fixture').logFile!;
  await waitFor('the cancellation in the fixture log', () => /cancelled request \d+/.test(readFileSync(logFile, 'utf8')));
  const preAborted = await manager.callTool('fixture', 'echo', { text: 'x' }, { origin: 'chat', signal: AbortSignal.abort() });
  assert.equal(preAborted.status, 'aborted');
});

test('a stdio server sees only the minimal environment plus its own env', async () => {
  const out = await manager.callTool('everything', 'get-env', {}, { origin: 'chat' });
  assert.equal(out.status, 'ok');
  const env = JSON.parse(out.text) as Record<string, string>;
  assert.equal(env.VMLX_VISIBLE, 'yes');
  assert.equal(env.VMLX_TEST_SECRET_TOKEN, undefined);
  const allowed = new Set<string>([...INHERITED_ENV_VARS, 'VMLX_VISIBLE']);
  const extra = Object.keys(env).filter((k) => !allowed.has(k));
  assert.deepEqual(extra, [], `unexpected variables: ${extra.join(', ')}`);
});

test("server stderr goes to the per-server log file, not the terminal", () => {
  const everything = status('everything');
  assert.equal(everything.logFile, join(logDir, 'mcp-everything.log'));
  const text = readFileSync(everything.logFile!, 'utf8');
  assert.match(text, /Starting default \(STDIO\) server/);
  assert.match(readFileSync(status('fs').logFile!, 'utf8'), /Secure MCP Filesystem Server running on stdio/);
});

test('a tools/list_changed from a server shows up in listTools and fires onChange', async () => {
  const changed = new Promise<void>((resolve) => {
    const off = manager.onChange(() => {
      if (!manager.resolveTool('fixture__late-tool')) return;
      off();
      resolve();
    });
  });
  const out = await manager.callTool('fixture', 'add-tool', { name: 'late-tool' }, { origin: 'chat' });
  assert.equal(out.status, 'ok');
  await changed;
  assert.equal(manager.resolveTool('fixture__late-tool')?.description, 'added at runtime');
  assert.equal(status('fixture').toolCount, 8);
});

test('killing a server mid-call fails the call cleanly, then the server restarts', async () => {
  const oldPid = manager.pidOf('fixture')!;
  const events: McpManagerEvent[] = [];
  const off = manager.onEvent((e) => events.push(e));
  const reconnected = nextEvent<McpManagerEvent>(
    'the fixture to reconnect',
    (l) => manager.onEvent(l),
    (e) => e.type === 'status' && e.status.name === 'fixture' && e.status.state === 'connected',
  );
  const pending = manager.callTool('fixture', 'sleep', { ms: 10_000 }, { origin: 'chat' });
  await new Promise((r) => setImmediate(r));
  process.kill(oldPid, 'SIGKILL');
  const out = await pending;
  assert.equal(out.status, 'error');
  assert.match(out.error!, /closed the connection/);
  await reconnected;
  off();
  const st = status('fixture');
  assert.equal(st.state, 'connected');
  assert.equal(st.restarts, 1);
  assert.notEqual(st.pid, oldPid);
  assert.equal(isAlive(oldPid), false);
  assert.ok(events.some((e) => e.type === 'exit' && e.server === 'fixture' && e.pid === oldPid));
  assert.ok(events.some((e) => e.type === 'status' && e.status.name === 'fixture' && e.status.state === 'connecting'));
  const again = await manager.callTool('fixture', 'echo', { text: 'back' }, { origin: 'chat' });
  assert.equal(again.text, 'back');
  assert.ok(manager.listTools().some((t) => t.qualifiedName === 'fixture__echo'), 'its tools are listed again');
});

test('close() leaves no child process behind', async () => {
  const pids = manager.statuses().map((s) => s.pid).filter((p): p is number => p !== undefined);
  assert.equal(pids.length, 4);
  assert.ok(pids.every(isAlive));
  await manager.close();
  for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} is still running`);
  assert.deepEqual(manager.listTools(), []);
  const late = await manager.callTool('everything', 'echo', { message: 'x' }, { origin: 'chat' });
  assert.equal(late.status, 'error', 'a call after close is an error outcome, not a throw');
  assert.deepEqual(warnings, []);
});
