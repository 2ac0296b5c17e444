// `vmlx mcp status|tools|call` end to end: the real CLI binary against the fixture server.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLog } from '../../src/agent/audit/index.js';
import { FIXTURE_SERVER, REPO_ROOT, isAlive, psAll, psDescendants, tempDir, waitFor, type PsRow } from './helpers.js';

const home = tempDir('vmlx-cli-home-');
const configPath = join(home, 'test-mcp.json');
writeFileSync(
  configPath,
  JSON.stringify({
    mcpServers: {
      fixture: { command: 'node', args: [FIXTURE_SERVER, '--risky'] },
      bad: { command: 'bash', args: ['-c', 'echo hi'] },
      unsafe: { command: 'node', args: [FIXTURE_SERVER], skip_security_validation: true },
    },
  }),
);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function vmlx(...args: string[]): Promise<Run> {
  return vmlxWith(() => {}, ...args);
}

/** Runs the CLI; `started` gets the child process as soon as it is spawned. */
function vmlxWith(started: (child: ReturnType<typeof spawn>) => void, ...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'vmlx.js'), ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: home, VMLX_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    started(child);
  });
}

// The CLI runs are independent child processes: run them side by side to keep the file fast.
describe('vmlx mcp commands', { concurrency: 3 }, () => {
  test('mcp status on examples/mcp.json (servers through npx) leaves nothing running', async () => {
    // The example's servers run as npx → sh → node; after the CLI exits none of them may remain. They
    // are found by command line among processes that did not exist before this test.
    const example = /npm exec @modelcontextprotocol\/server-(filesystem \/tmp|memory)$|mcp-server-(filesystem \/tmp|memory)$/;
    const before = new Set(psAll().map((p) => p.pid));
    let seen: PsRow[] = [];
    const r = await vmlxWith((child) => {
      // While the CLI runs, record what it started (for the message below and to prove the match works).
      const watch = setInterval(() => {
        const now = psDescendants(child.pid!).filter((p) => example.test(p.args));
        if (now.length > seen.length) seen = now;
      }, 50);
      child.once('close', () => clearInterval(watch));
    }, 'mcp', 'status', '--mcp-config', join(REPO_ROOT, 'examples', 'mcp.json'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^filesystem\s+connected\s+stdio\s+\d+ tools/m);
    assert.match(r.stdout, /^memory\s+connected\s+stdio\s+\d+ tools/m);
    assert.ok(seen.length >= 2, `the servers were seen running: ${JSON.stringify(seen)}`);
    const left = () => psAll().filter((p) => !before.has(p.pid) && example.test(p.args));
    await waitFor(`no example server left: ${JSON.stringify(left())}`, () => left().length === 0, 10_000);
  });

  test('mcp status --json: connected, rejected with the rule, unsafe rejected without the flag', async () => {
    const r = await vmlx('mcp', 'status', '--mcp-config', configPath, '--json');
    assert.equal(r.code, 1, 'a rejected server fails the health check');
    const statuses = JSON.parse(r.stdout) as Array<{ name: string; state: string; toolCount: number; rule?: string; error?: string }>;
    const by = Object.fromEntries(statuses.map((s) => [s.name, s]));
    assert.equal(by.fixture!.state, 'connected');
    assert.equal(by.fixture!.toolCount, 7);
    assert.equal(by.bad!.state, 'rejected');
    assert.equal(by.bad!.rule, 'command_whitelist');
    assert.equal(by.unsafe!.state, 'rejected');
    assert.match(by.unsafe!.error!, /--allow-unsafe-mcp/);
  });

  test('mcp status with --allow-unsafe-mcp starts the unsafe server, warns, and audits the bypass', async () => {
    const auditDb = join(home, 'audit-bypass.db');
    const r = await vmlx('mcp', 'status', '--mcp-config', configPath, '--allow-unsafe-mcp', '--audit-db', auditDb);
    assert.equal(r.code, 1, 'bad is still rejected');
    assert.match(r.stdout, /^unsafe\s+connected\s+stdio\s+6 tools/m);
    assert.match(r.stdout, /^bad\s+rejected\s+stdio\s+MCP server 'bad': Command 'bash' is not in the allowed commands whitelist/m);
    assert.match(r.stderr, /warning: .*unsafe.*security validation skipped/);
    const log = AuditLog.open(auditDb);
    try {
      const rows = log.query({ serverFilter: 'unsafe' });
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.decision, 'bypassed');
      assert.equal(rows[0]!.rule, 'skip_security_validation');
    } finally {
      log.close();
    }
  });

  test('mcp tools --json lists server__tool names with input schemas', async () => {
    const r = await vmlx('mcp', 'tools', '--mcp-config', configPath, '--json');
    assert.equal(r.code, 0, r.stderr);
    const tools = JSON.parse(r.stdout) as Array<{ qualifiedName: string; inputSchema: { properties?: Record<string, unknown> }; highRisk: boolean }>;
    const echo = tools.find((t) => t.qualifiedName === 'fixture__echo')!;
    assert.deepEqual(echo.inputSchema.properties, { text: { type: 'string' } });
    assert.equal(tools.find((t) => t.qualifiedName === 'fixture__run_command')!.highRisk, true);
    assert.match(r.stderr, /bad: rejected/);
  });

  test('mcp status exits 1 for a failed server and shows its real error (not npm\'s last line) and its log', async () => {
    // What npx prints for a package that does not exist, then it exits 1.
    const fakeNpx = join(home, 'fake-npx.js');
    writeFileSync(
      fakeNpx,
      [
        "process.stderr.write('npm error code E404\\n');",
        "process.stderr.write('npm error 404 Not Found - GET https://example.invalid/@nobody%2fno-such-server - Not found\\n');",
        "process.stderr.write('npm error 404\\n');",
        "process.stderr.write('npm error A complete log of this run can be found in: /tmp/npm-debug.log\\n');",
        'process.exit(1);',
      ].join('\n'),
    );
    const failing = join(home, 'failing-mcp.json');
    writeFileSync(failing, JSON.stringify({ mcpServers: { fixture: { command: 'node', args: [FIXTURE_SERVER] }, missing: { command: 'node', args: [fakeNpx] } } }));
    const r = await vmlx('mcp', 'status', '--mcp-config', failing);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^fixture\s+connected/m);
    assert.match(r.stdout, /^missing\s+failed/m);
    assert.match(r.stdout, /^\s+stderr: npm error 404 Not Found - GET https:\/\/example\.invalid\/@nobody%2fno-such-server - Not found$/m);
    assert.match(r.stdout, /^\s+log: .*mcp-missing\.log$/m);
    const ok = await vmlx('mcp', 'status', '--mcp-config', join(home, 'only-fixture.json'));
    assert.notEqual(ok.code, 0, 'a missing config file is an error');
  });

  test('mcp call accepts the tool name as `mcp tools` prints it (server__tool) as well as the bare name', async () => {
    const r = await vmlx('mcp', 'call', '--mcp-config', configPath, '--audit-db', join(home, 'audit-q.db'), 'fixture', 'fixture__echo', '{"text":"qualified"}');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'qualified\n');
    const wrong = await vmlx('mcp', 'call', '--mcp-config', configPath, 'fixture', 'other__echo', '{}');
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /MCP server 'fixture' has no tool 'other__echo'/);
  });

  test('mcp call runs one audited call and prints the result', async () => {
    const auditDb = join(home, 'audit-call.db');
    const r = await vmlx('mcp', 'call', '--mcp-config', configPath, '--audit-db', auditDb, 'fixture', 'echo', '{"text":"hello cli"}');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello cli\n');
    const log = AuditLog.open(auditDb);
    try {
      const row = log.query({ toolFilter: 'echo' }).at(-1)!;
      assert.deepEqual([row.origin, row.server, row.decision, row.success], ['cli', 'fixture', 'allowed', true]);
      assert.deepEqual(row.arguments, { text: 'hello cli' });
    } finally {
      log.close();
    }
  });

  test('mcp call: denial, tool error and timeout exit 1 with one line', async () => {
    const auditDb = join(home, 'audit-failures.db');
    // Not created up front: the three calls below create and migrate the new database at the same time.
    const call = (...rest: string[]) => vmlx('mcp', 'call', '--mcp-config', configPath, '--audit-db', auditDb, ...rest);
    const [denied, failed, slow] = await Promise.all([
      call('fixture', 'run_command', '{"cmd":"ls"}'),
      call('fixture', 'fail', '{"message":"m"}'),
      call('--timeout', '200', 'fixture', 'sleep', '{"ms":5000}'),
    ]);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /^vmlx: denied \(high_risk\): fixture__run_command: .*\n$/);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /^vmlx: tool_error: failed on purpose: m\n$/);
    assert.equal(slow.code, 1);
    assert.match(slow.stderr, /^vmlx: timeout: timed out after 200 ms\n$/);
    const log = AuditLog.open(auditDb);
    try {
      assert.deepEqual(log.query().map((r) => r.tool).sort(), ['fail', 'run_command', 'sleep']);
    } finally {
      log.close();
    }
  });

  test('mcp call: user mistakes are one-line errors', async () => {
    const call = (...rest: string[]) => vmlx('mcp', 'call', '--mcp-config', configPath, ...rest);
    const [badJson, notObject, noServer, noTool, missing, noConfig] = await Promise.all([
      call('fixture', 'echo', '{"text":'),
      call('fixture', 'echo', '[1]'),
      call('ghost', 'echo', '{}'),
      call('fixture', 'nope', '{}'),
      vmlx('mcp', 'status', '--mcp-config', join(home, 'missing.json')),
      vmlx('mcp', 'tools'),
    ]);
    assert.equal(badJson.code, 1);
    assert.match(badJson.stderr, /^vmlx: tool arguments are not valid JSON: [^\n]+\n$/);
    assert.match(notObject.stderr, /^vmlx: tool arguments must be a JSON object/);
    assert.equal(noServer.code, 1);
    assert.match(noServer.stderr, /^vmlx: no MCP server named 'ghost' in the config\n$/);
    assert.match(noTool.stderr, /^vmlx: MCP server 'fixture' has no tool 'nope' \(it has: echo, fail, /);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^vmlx: .*missing\.json: cannot read the MCP config: no such file\n$/);
    assert.equal(noConfig.code, 1);
    assert.match(noConfig.stderr, /^vmlx: no MCP config: pass --mcp-config FILE/);
  });

  test('mcp call: Ctrl-C cancels the call, exits 130 and leaves no server behind', async () => {
    const config = join(home, 'sleeper-mcp.json');
    writeFileSync(config, JSON.stringify({ mcpServers: { sleeper: { command: 'node', args: [FIXTURE_SERVER] } } }));
    const log = join(home, 'logs', 'mcp-sleeper.log');
    let child: ReturnType<typeof spawn> | undefined;
    const run = vmlxWith((c) => (child = c), 'mcp', 'call', '--mcp-config', config, '--audit-db', join(home, 'audit-sigint.db'), 'sleeper', 'sleep', '{"ms":60000}');
    let r: Run;
    let serverPid: number;
    try {
      const started = await waitFor('the sleeper to start', () => existsSync(log) && /started pid (\d+)/.exec(readFileSync(log, 'utf8')), 30_000);
      serverPid = Number(started[1]);
      child!.kill('SIGINT');
      r = await run;
    } finally {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /^vmlx: aborted: call cancelled: interrupted\n$/);
    assert.equal(isAlive(serverPid), false);
  });
});
