// mcp.json loading: errors name file, JSON path and problem; ${VAR} expansion; the servers alias; where the
// config comes from (never ./mcp.json); the server environment; tool policy.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McpConfigError, loadMcpConfig, parseMcpConfig, resolveMcpConfigPath, emptyMcpConfig } from '../../src/agent/mcp/config.js';
import { buildServerEnv } from '../../src/agent/mcp/server-env.js';
import { policyFor } from '../../src/agent/mcp/policy.js';
import { defaultAuditDbPath, defaultMcpConfigPath, logDir, vmlxHome } from '../../src/agent/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'vmlx-config-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function errorOf(text: string, env: Record<string, string> = {}): string {
  try {
    parseMcpConfig(text, 'mcp.json', env);
  } catch (err) {
    assert.ok(err instanceof McpConfigError, String(err));
    assert.equal((err as McpConfigError).userFacing, true);
    assert.ok(!(err as Error).message.includes('\n'), 'one line');
    return (err as Error).message;
  }
  assert.fail('expected a config error');
}

test('schema errors name the file, the JSON path and what is wrong', () => {
  const cases: Array<[unknown, string]> = [
    [{ mcpServers: { fs: { command: 'npx', args: ['-y', 1] } } }, 'mcp.json: mcpServers.fs.args[1]: expected string, got number'],
    [{ mcpServers: { fs: { command: 42 } } }, 'mcp.json: mcpServers.fs.command: expected string, got number'],
    [{ mcpServers: { fs: { command: 'npx', env: { A: 1 } } } }, 'mcp.json: mcpServers.fs.env.A: expected string, got number'],
    [{ mcpServers: { fs: { command: 'npx', timeout: -5 } } }, 'mcp.json: mcpServers.fs.timeout: '],
    [{ mcpServers: { fs: { command: 'npx', policy: 'maybe' } } }, `mcp.json: mcpServers.fs.policy: expected one of "allow", "ask", "deny", got "maybe"`],
    [{ mcpServers: { fs: { command: 'npx', toolPolicies: { read: 'yes' } } } }, 'mcp.json: mcpServers.fs.toolPolicies.read: expected one of'],
    [{ mcpServers: { fs: { comand: 'npx' } } }, "mcp.json: mcpServers.fs: unknown key 'comand'"],
    [{ mcpServers: { fs: {} } }, "mcp.json: mcpServers.fs: needs 'command' (a stdio server) or 'url'"],
    [{ mcpServers: { fs: { command: 'npx', url: 'http://x' } } }, "mcp.json: mcpServers.fs: has both 'command' (stdio) and 'url'"],
    [{ mcpServers: { fs: { url: 'http://x', args: [] } } }, "mcp.json: mcpServers.fs.args: only stdio (command) servers take 'args'"],
    [{ mcpServers: { 'bad/name': { command: 'npx' } } }, 'mcp.json: mcpServers["bad/name"]: invalid name'],
    [{ mcpServers: { fs: { command: 'npx', enabled: 'yes' } } }, 'mcp.json: mcpServers.fs.enabled: expected boolean, got string'],
    [{ mcpServers: [] }, 'mcp.json: mcpServers: expected record, got array'],
    [{ security: { maxCallsPerMinute: 0 } }, 'mcp.json: security.maxCallsPerMinute: '],
    [{ security: { blockedArgumentPatterns: ['(unclosed'] } }, 'mcp.json: security.blockedArgumentPatterns[0]: not a valid regular expression'],
    [{ mcpServers: {}, servers: {} }, "mcp.json: servers: use either 'mcpServers' or its alias 'servers', not both"],
    [{ mcpSevers: {} }, "mcp.json: (top level): unknown key 'mcpSevers'"],
  ];
  for (const [value, expected] of cases) {
    const msg = errorOf(JSON.stringify(value));
    assert.ok(msg.startsWith(expected), `${JSON.stringify(value)}\n  got:      ${msg}\n  expected: ${expected}`);
  }
});

test('invalid JSON names the file, line and column', () => {
  assert.equal(errorOf('{\n  "mcpServers": {\n    "fs": { "command": "npx", }\n  }\n}'), "mcp.json: invalid JSON at line 3, column 31: trailing comma before '}'");
  assert.equal(errorOf('{"a": [1, 2,]}'), "mcp.json: invalid JSON at line 1, column 13: trailing comma before ']'");
  assert.equal(errorOf(''), 'mcp.json: invalid JSON at line 1, column 1: unexpected end of input');
  assert.equal(errorOf("{'a': 1}"), "mcp.json: invalid JSON at line 1, column 2: expected a property name in double quotes, found '''");
  assert.match(errorOf('{"mcpServers": {}} trailing'), /line 1, column 20: unexpected 't' after the end/);
  // A byte-order mark is not an error.
  assert.deepEqual(parseMcpConfig('\uFEFF{}', 'mcp.json').mcpServers, {});
});

test('loadMcpConfig: missing file names the path; a valid file loads with defaults', () => {
  const missing = join(tmp, 'nope.json');
  assert.throws(() => loadMcpConfig(missing), (e: Error) => e instanceof McpConfigError && e.message === `${missing}: cannot read the MCP config: no such file`);
  const file = join(tmp, 'ok.json');
  writeFileSync(file, JSON.stringify({ mcpServers: { fs: { command: 'npx', args: ['-y', 'x'] }, web: { url: 'http://h/mcp', type: 'streamable-http' } } }));
  const c = loadMcpConfig(file);
  const fs = c.mcpServers.fs!;
  assert.ok(fs.kind === 'stdio');
  assert.deepEqual([fs.command, fs.args, fs.env, fs.enabled, fs.blockedTools, fs.skip_security_validation], ['npx', ['-y', 'x'], {}, true, [], false]);
  const web = c.mcpServers.web!;
  assert.ok(web.kind === 'remote' && web.type === 'http');
  assert.equal(c.security.maxCallsPerMinute, 60);
  const bad = join(tmp, 'bad.json');
  writeFileSync(bad, '{"mcpServers": {"x": {"command": "npx", "args": "one"}}}');
  assert.throws(() => loadMcpConfig(bad), { message: `${bad}: mcpServers.x.args: expected array, got string` });
});

test('${VAR} expands in env values, headers and url; a missing variable is named', () => {
  const env = { GH: 'ghp_secret', HOST: 'h.example', TOKEN: 't0k' };
  const c = parseMcpConfig(
    JSON.stringify({
      mcpServers: {
        gh: { command: 'npx', args: ['${NOT_EXPANDED}'], env: { GITHUB_TOKEN: '${GH}', MIXED: 'a-${GH}-b' } },
        web: { url: 'https://${HOST}/mcp', headers: { Authorization: 'Bearer ${TOKEN}' } },
      },
    }),
    'mcp.json',
    env,
  );
  const gh = c.mcpServers.gh!;
  const web = c.mcpServers.web!;
  assert.ok(gh.kind === 'stdio' && web.kind === 'remote');
  assert.deepEqual(gh.env, { GITHUB_TOKEN: 'ghp_secret', MIXED: 'a-ghp_secret-b' });
  assert.deepEqual(gh.args, ['${NOT_EXPANDED}']); // args do not expand (the validator refuses them)
  assert.equal(web.url, 'https://h.example/mcp');
  assert.deepEqual(web.headers, { Authorization: 'Bearer t0k' });
  assert.equal(
    errorOf(JSON.stringify({ mcpServers: { gh: { command: 'npx', env: { GITHUB_TOKEN: '${GITHUB_TOKEN}' } } } })),
    "mcp.json: mcpServers.gh.env.GITHUB_TOKEN: environment variable 'GITHUB_TOKEN' is not set",
  );
  assert.equal(errorOf(JSON.stringify({ servers: { w: { url: 'http://${NOHOST}/' } } })), "mcp.json: servers.w.url: environment variable 'NOHOST' is not set");
});

test('the servers alias is read as mcpServers', () => {
  const c = parseMcpConfig(JSON.stringify({ servers: { mem: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] } } }), 'mcp.json');
  assert.deepEqual(Object.keys(c.mcpServers), ['mem']);
  assert.deepEqual(emptyMcpConfig().mcpServers, {});
});

test('config location: --mcp-config, else <VMLX_HOME>/mcp.json if it exists, never ./mcp.json', () => {
  const home = join(tmp, 'home');
  const cwd = join(tmp, 'project');
  mkdirSync(cwd, { recursive: true });
  writeFileSync(join(cwd, 'mcp.json'), '{"mcpServers": {}}');
  const prev = process.cwd();
  process.chdir(cwd);
  try {
    assert.equal(resolveMcpConfigPath({ env: { VMLX_HOME: home } }), undefined);
    assert.equal(resolveMcpConfigPath({ cliPath: 'mcp.json', env: { VMLX_HOME: home } }), join(cwd, 'mcp.json'));
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'mcp.json'), '{}');
    assert.equal(resolveMcpConfigPath({ env: { VMLX_HOME: home } }), join(home, 'mcp.json'));
  } finally {
    process.chdir(prev);
  }
  assert.equal(vmlxHome({ HOME: '/home/u' }), '/home/u/.vmlx');
  assert.equal(vmlxHome({ VMLX_HOME: home, HOME: '/home/u' }), home);
  assert.equal(defaultMcpConfigPath({ VMLX_HOME: home }), join(home, 'mcp.json'));
  assert.equal(defaultAuditDbPath({ VMLX_HOME: home }), join(home, 'audit.db'));
  assert.equal(logDir({ VMLX_HOME: home }), join(home, 'logs'));
});

test('buildServerEnv: only HOME USER LOGNAME SHELL TERM LANG PATH from the host, plus the entry env', () => {
  const host = { HOME: '/h', USER: 'u', LOGNAME: 'u', SHELL: '/bin/sh', TERM: 'xterm', LANG: 'C.UTF-8', PATH: '/usr/bin', OPENAI_API_KEY: 'sk-x', AWS_SECRET_ACCESS_KEY: 'a', NODE_OPTIONS: '--inspect', BASH_FUNC: '() { :; }', TMPDIR: '/t' };
  assert.deepEqual(buildServerEnv({ GITHUB_TOKEN: 'g', LANG: 'en_US.UTF-8' }, host), {
    HOME: '/h', USER: 'u', LOGNAME: 'u', SHELL: '/bin/sh', TERM: 'xterm', LANG: 'en_US.UTF-8', PATH: '/usr/bin', GITHUB_TOKEN: 'g',
  });
  assert.deepEqual(buildServerEnv({}, { HOME: '/h', SHELL: '() { evil; }' }), { HOME: '/h' });
});

test('policyFor: toolPolicies > server policy > allow; high-risk asks; API origin cannot ask', () => {
  const c = parseMcpConfig(
    JSON.stringify({
      mcpServers: {
        fs: { command: 'npx', policy: 'ask', toolPolicies: { read_file: 'allow', fs__delete: 'deny' } },
        open: { command: 'npx', policy: 'allow' },
        plain: { command: 'npx', toolPolicies: { shell: 'allow' } },
        closed: { command: 'npx', policy: 'deny' },
      },
    }),
    'mcp.json',
  );
  const p = (server: string, tool: string, highRisk = false, origin: 'chat' | 'api' = 'chat') => policyFor(c, server, tool, { highRisk, origin });
  assert.equal(p('fs', 'read_file'), 'allow');
  assert.equal(p('fs', 'delete'), 'deny');
  assert.equal(p('fs', 'write_file'), 'ask');
  assert.equal(p('open', 'write_file'), 'allow');
  assert.equal(p('open', 'run_command', true), 'ask'); // a server-wide allow does not silence a high-risk tool
  assert.equal(p('plain', 'shell', true), 'allow'); // named explicitly
  assert.equal(p('plain', 'other'), 'allow');
  assert.equal(p('closed', 'exec', true), 'deny');
  assert.equal(p('fs', 'write_file', false, 'api'), 'deny');
  assert.equal(p('nope', 'x'), 'deny');
});
