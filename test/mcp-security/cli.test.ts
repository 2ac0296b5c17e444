// `vmlx mcp validate` through the real CLI with a temporary VMLX_HOME.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'vmlx-validate-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));
const home = join(root, 'home');
const bin = resolve('bin/vmlx.js');

async function vmlx(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}) {
  const env: Record<string, string | undefined> = { ...process.env, VMLX_HOME: home, ...opts.env };
  if (!opts.env?.VMLX_ALLOW_UNSAFE_MCP) delete env.VMLX_ALLOW_UNSAFE_MCP;
  try {
    const r = await run(process.execPath, [bin, ...args], { env, cwd: opts.cwd ?? process.cwd() });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function writeConfig(name: string, value: unknown): string {
  const file = join(root, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return file;
}

const mixed = {
  mcpServers: {
    fs: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'] },
    malicious: { command: 'bash', args: ['-c', 'rm -rf /'] },
    web: { url: 'https://h.example/mcp?token=abcdef123456' },
    dev: { command: 'my-dev-server', skip_security_validation: true },
    off: { command: 'node', args: ['-e', '1'], enabled: false },
  },
};

test('mixed config: each server accepted or rejected with rule and reason; exit 1', async () => {
  const r = await vmlx(['mcp', 'validate', '--mcp-config', writeConfig('mixed.json', mixed)]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /accepted\s+fs\s+stdio: npx -y @modelcontextprotocol\/server-filesystem \/tmp/);
  assert.match(r.stdout, /rejected\s+malicious\s+\[command_whitelist\] MCP server 'malicious': Command 'bash' is not in the allowed commands whitelist\./);
  assert.match(r.stdout, /accepted\s+web\s+http→sse: https:\/\/h\.example\/mcp\?token=\[REDACTED\]/);
  assert.match(r.stdout, /rejected\s+dev\s+\[unsafe_not_allowed\] .*--allow-unsafe-mcp/);
  assert.match(r.stdout, /disabled\s+off\s+not started .*would be rejected: \[inline_code\]/);
  assert.match(r.stdout, /2 servers rejected/);
});

test('--allow-unsafe-mcp and VMLX_ALLOW_UNSAFE_MCP=1 honour the bypass with a warning; --json', async () => {
  const file = writeConfig('mixed2.json', mixed);
  for (const r of await Promise.all([
    vmlx(['mcp', 'validate', '--mcp-config', file, '--allow-unsafe-mcp', '--json']),
    vmlx(['mcp', 'validate', '--mcp-config', file, '--json'], { env: { VMLX_ALLOW_UNSAFE_MCP: '1' } }),
  ])) {
    assert.equal(r.code, 1); // 'malicious' is still rejected
    const out = JSON.parse(r.stdout) as { ok: boolean; servers: Array<{ name: string; status: string; rule?: string; warning?: string }> };
    const dev = out.servers.find((s) => s.name === 'dev')!;
    assert.equal(dev.status, 'accepted');
    assert.match(dev.warning ?? '', /security validation skipped/);
    assert.deepEqual(out.servers.map((s) => [s.name, s.status, s.rule ?? null]), [
      ['fs', 'accepted', null], ['malicious', 'rejected', 'command_whitelist'], ['web', 'accepted', null], ['dev', 'accepted', null], ['off', 'disabled', 'inline_code'],
    ]);
  }
});

test('all servers accepted: exit 0', async () => {
  const r = await vmlx(['mcp', 'validate', '--mcp-config', writeConfig('good.json', { servers: { mem: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] } } })]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /1 server\n\s+accepted\s+mem/);
});

test('config errors are one line naming the file and JSON path; no config at all says how to give one', async () => {
  const bad = writeConfig('bad.json', { mcpServers: { fs: { command: 'npx', args: ['-y', 7] } } });
  const broken = writeConfig('broken.json', '{\n  "mcpServers": {,\n}');
  const [r1, r2, r3, r4] = await Promise.all([
    vmlx(['mcp', 'validate', '--mcp-config', bad]),
    vmlx(['mcp', 'validate', '--mcp-config', broken]),
    vmlx(['mcp', 'validate']),
    vmlx(['mcp', 'validate', '--mcp-config', join(root, 'missing.json')]),
  ]);
  assert.deepEqual([r1.code, r1.stderr], [1, `vmlx: ${bad}: mcpServers.fs.args[1]: expected string, got number\n`]);
  assert.deepEqual([r2.code, r2.stderr], [1, `vmlx: ${broken}: invalid JSON at line 2, column 18: expected a property name in double quotes, found ','\n`]);
  assert.deepEqual([r3.code, r3.stderr], [1, `vmlx: no MCP config: pass --mcp-config FILE or create ${join(home, 'mcp.json')}\n`]);
  assert.deepEqual([r4.code, r4.stderr], [1, `vmlx: ${join(root, 'missing.json')}: cannot read the MCP config: no such file\n`]);
});

test('the default comes from VMLX_HOME; a stray ./mcp.json is never loaded', async () => {
  const project = join(root, 'project');
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, 'mcp.json'), JSON.stringify({ mcpServers: { stray: { command: 'npx' } } }));
  const otherHome = join(root, 'home2');
  const none = await vmlx(['mcp', 'validate'], { cwd: project, env: { VMLX_HOME: otherHome } });
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no MCP config/);
  mkdirSync(otherHome, { recursive: true });
  writeFileSync(join(otherHome, 'mcp.json'), JSON.stringify({ mcpServers: { fromHome: { command: 'uvx', args: ['mcp-server-fetch'] } } }));
  const r = await vmlx(['mcp', 'validate'], { cwd: project, env: { VMLX_HOME: otherHome } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /accepted\s+fromHome/);
  assert.ok(!r.stdout.includes('stray'));
});
