// Tool sandbox: lists, high-risk names, argument patterns in every encoding (nested, keys too), size, rate limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMcpConfig } from '../../src/agent/mcp/config.js';
import { ToolSandbox, clearAuditLog, findArgumentProblem, getAuditLog, getSandbox, isHighRiskTool, setSandbox } from '../../src/agent/mcp/sandbox.js';
import type { AuditRow } from '../../src/agent/audit/types.js';

const ruleOf = (v: ReturnType<ToolSandbox['check']>) => (v.allowed ? 'allowed' : v.rule);

test('blocked list wins over the allowed list; allowed list is whitelist mode; both match tool or server__tool', () => {
  const s = new ToolSandbox({ allowedTools: ['read_file', 'fs__list_directory', 'write_file'], blockedTools: ['write_file', 'mem__delete'] });
  assert.equal(ruleOf(s.check('fs', 'read_file', { path: '/tmp/a' })), 'allowed');
  assert.equal(ruleOf(s.check('fs', 'list_directory', { path: '/tmp' })), 'allowed');
  assert.equal(ruleOf(s.check('other', 'list_directory', {})), 'not_allowed');
  assert.equal(ruleOf(s.check('fs', 'write_file', { path: '/tmp/a' })), 'blocked_tool');
  assert.equal(ruleOf(s.check('mem', 'delete', {})), 'blocked_tool');
  assert.equal(ruleOf(s.check('fs', 'move_file', {})), 'not_allowed');
  const open = new ToolSandbox({ blockedTools: ['rm'] });
  assert.equal(ruleOf(open.check('x', 'anything', {})), 'allowed');
  const v = s.check('fs', 'write_file', {});
  assert.ok(!v.allowed && v.reason.includes('fs__write_file'));
});

test('per-server lists from the config apply to that server only', () => {
  const config = parseMcpConfig(
    JSON.stringify({
      mcpServers: {
        fs: { command: 'npx', allowedTools: ['read_file'], blockedTools: ['read_file_raw'] },
        sh: { command: 'npx', allowedHighRiskTools: ['run_command'] },
      },
      security: { maxCallsPerMinute: 2, blockedArgumentPatterns: ['secret-project'] },
    }),
    'mcp.json',
  );
  const s = ToolSandbox.fromConfig(config, { now: () => 0 });
  assert.equal(ruleOf(s.check('fs', 'read_file', {})), 'allowed');
  assert.equal(ruleOf(s.check('fs', 'write_file', {})), 'not_allowed');
  assert.equal(ruleOf(s.check('sh', 'write_file', {})), 'allowed');
  assert.equal(ruleOf(s.check('sh', 'run_command', { cmd: 'ls' })), 'allowed');
  assert.equal(ruleOf(s.check('fs', 'run_command', {})), 'not_allowed');
  assert.equal(ruleOf(s.check('sh', 'list', { q: 'SECRET-PROJECT plans' })), 'blocked_pattern');
  assert.equal(s.maxCallsPerMinute, 2);
});

test('high-risk names are refused unless allowed by tool or server__tool name', () => {
  for (const name of ['execute', 'run_command', 'shell', 'eval', 'exec', 'system', 'subprocess', 'execute_command', 'runShell', 'shellExec', 'python.eval', 'get-system-info', 'spawn_subprocess', 'RunCommand']) {
    assert.equal(isHighRiskTool(name), true, name);
  }
  for (const name of ['read_file', 'list_directory', 'executor_status', 'evaluation_summary', 'shelves', 'systematic', 'search']) {
    assert.equal(isHighRiskTool(name), false, name);
  }
  const s = new ToolSandbox({ allowedHighRiskTools: ['eval', 'box__shell'] });
  assert.equal(ruleOf(s.check('a', 'run_command', {})), 'high_risk');
  assert.equal(ruleOf(s.check('a', 'eval', {})), 'allowed');
  assert.equal(ruleOf(s.check('box', 'shell', {})), 'allowed');
  assert.equal(ruleOf(s.check('other', 'shell', {})), 'high_risk');
  // blocked beats an allowed high-risk name
  const b = new ToolSandbox({ allowedHighRiskTools: ['shell'], blockedTools: ['shell'] });
  assert.equal(ruleOf(b.check('a', 'shell', {})), 'blocked_tool');
});

const traversal: Array<[string, string]> = [
  ['plain ../', '../secret'],
  ['deep ../../', 'docs/../../home/u/.ssh/id_rsa'],
  ['backslash ..\\', '..\\windows\\system.ini'],
  ['trailing /..', '/srv/data/..'],
  ['bare ..', '..'],
  ['%2e%2e%2f', '%2e%2e%2fsecret'],
  ['%2E%2E/ upper case', '%2E%2E/secret'],
  ['..%2f', '..%2fsecret'],
  ['..%5c', '..%5csecret'],
  ['%2e%2e%5c', '%2e%2e%5csecret'],
  ['double %252e%252e%252f', '%252e%252e%252fsecret'],
  ['double ..%252f', '..%252fsecret'],
  ['triple %25252e', '%25252e%25252e%25252fsecret'],
  ['overlong %c0%ae', '%c0%ae%c0%ae/secret'],
  ['overlong %c0%af', '..%c0%afsecret'],
  ['%u002e', '%u002e%u002e/secret'],
  ['fullwidth ．．／', '\uFF0E\uFF0E\uFF0Fsecret'],
  ['fullwidth ＼', '..\uFF3Csecret'],
  ['one dot leader', '\u2024\u2024/secret'],
  ['two dot leader', '\u2025/secret'],
  ['U+FF0E with /', '\uFF0E\uFF0E/secret'],
  ['division slash U+2215', '..\u2215secret'],
  ['fraction slash U+2044', '..\u2044secret'],
  ['small full stop U+FE52', '\uFE52\uFE52/secret'],
  ['percent-encoded fullwidth', '%EF%BC%8E%EF%BC%8E/secret'],
];

test(`nested path traversal in ${traversal.length} encodings, in values at depth and in keys`, () => {
  const s = new ToolSandbox({ maxCallsPerMinute: 10_000 });
  for (const [label, payload] of traversal) {
    assert.equal(ruleOf(s.check('fs', 'read_file', { path: payload })), 'path_traversal', `top level: ${label}`);
    const nested = { options: { files: [{ name: 'ok.txt' }, { name: 'x', more: ['fine', { target: payload }] }] } };
    assert.equal(ruleOf(s.check('fs', 'read_file', nested)), 'path_traversal', `nested: ${label}`);
    assert.equal(ruleOf(s.check('fs', 'read_file', { meta: { [payload]: 1 } })), 'path_traversal', `key: ${label}`);
  }
  const p = findArgumentProblem({ a: [{ b: { c: '../x' } }] });
  assert.ok(p && p.reason.includes('a[0].b.c'));
});

test('system paths and ~root are refused in every form; look-alikes of them are not paths', () => {
  const s = new ToolSandbox({ maxCallsPerMinute: 10_000 });
  const bad = ['/etc/passwd', '/etc', '/proc/self/environ', '/sys/kernel', '/root/.ssh/id_rsa', '~root/.bashrc', 'cat /etc/shadow', 'file:///etc/hosts',
    '//etc/passwd', '/./etc/passwd', '%2Fetc%2Fpasswd', '%252Fproc%252Fself', '\uFF0Fetc\uFF0Fpasswd', 'x=/etc/hosts'];
  for (const v of bad) assert.equal(ruleOf(s.check('fs', 'read_file', { path: v })), 'system_path', v);
  assert.equal(ruleOf(s.check('fs', 'read_file', { deep: [[[{ p: '/proc/1/mem' }]]] })), 'system_path');
  const fine = ['/home/u/etc/notes.txt', '/tmp/etcetera', '/srv/system/x', 'etc/passwd.example', 'see the /etcd docs', 'root/x', '/tmp/proc', 'a...b', 'wait...'];
  for (const v of fine) assert.equal(ruleOf(s.check('fs', 'read_file', { path: v })), 'allowed', v);
});

test('argument size limit and argument shape', () => {
  const s = new ToolSandbox({ maxArgumentBytes: 1000 });
  assert.equal(ruleOf(s.check('fs', 'write_file', { content: 'a'.repeat(900) })), 'allowed');
  assert.equal(ruleOf(s.check('fs', 'write_file', { content: 'a'.repeat(1000) })), 'argument_size');
  assert.equal(ruleOf(s.check('fs', 'write_file', { content: 'é'.repeat(600) })), 'argument_size'); // bytes, not characters
  assert.equal(ruleOf(s.check('fs', 'x', undefined)), 'allowed');
  assert.equal(ruleOf(s.check('fs', 'x', ['a'])), 'invalid_arguments');
  assert.equal(ruleOf(s.check('fs', 'x', 'str')), 'invalid_arguments');
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.equal(ruleOf(s.check('fs', 'x', cyclic)), 'invalid_arguments');
  assert.equal(ruleOf(s.check('fs', 'x', { n: 10n })), 'invalid_arguments');
  let deep: unknown = 'leaf';
  for (let i = 0; i < 100; i++) deep = { d: deep };
  assert.equal(ruleOf(new ToolSandbox().check('fs', 'x', deep as object)), 'argument_size');
});

test('extra patterns from options (strings are case-insensitive) and encoded matches', () => {
  const s = new ToolSandbox({ extraArgumentPatterns: ['drop\\s+table', /\.env$/] });
  assert.equal(ruleOf(s.check('db', 'query', { sql: 'DROP  TABLE users' })), 'blocked_pattern');
  assert.equal(ruleOf(s.check('db', 'query', { sql: 'drop%20table users' })), 'blocked_pattern');
  assert.equal(ruleOf(s.check('fs', 'read', { path: 'app/.env' })), 'blocked_pattern');
  assert.equal(ruleOf(s.check('fs', 'read', { path: 'app/.envrc' })), 'allowed');
});

test('rate limit: per tool, sliding 60 s window, with a fake clock; dryRun takes no slot', () => {
  let now = 1_000_000;
  const s = new ToolSandbox({ maxCallsPerMinute: 3, now: () => now });
  assert.equal(ruleOf(s.check('fs', 'read_file', {}, { dryRun: true })), 'allowed');
  for (let i = 0; i < 3; i++) {
    assert.equal(ruleOf(s.check('fs', 'read_file', {})), 'allowed');
    now += 10_000; // calls at t=0, 10 s, 20 s
  }
  const limited = s.check('fs', 'read_file', {}); // t = 30 s
  assert.equal(ruleOf(limited), 'rate_limit');
  assert.ok(!limited.allowed && /retry in 30 s/.test(limited.reason), !limited.allowed ? limited.reason : '');
  assert.equal(ruleOf(s.check('fs', 'read_file', {}, { dryRun: true })), 'rate_limit');
  assert.equal(ruleOf(s.check('fs', 'list_directory', {})), 'allowed'); // other tool, own window
  assert.equal(ruleOf(s.check('other', 'read_file', {})), 'allowed'); // same tool name on another server
  now = 1_000_000 + 60_000; // the first call (t=0) leaves the window exactly now
  assert.equal(ruleOf(s.check('fs', 'read_file', {})), 'allowed');
  assert.equal(ruleOf(s.check('fs', 'read_file', {})), 'rate_limit');
  now += 10_001; // the t=10 s call leaves the window
  assert.equal(ruleOf(s.check('fs', 'read_file', {})), 'allowed');
  // refusals for other reasons take no slot
  const r = new ToolSandbox({ maxCallsPerMinute: 1, now: () => now });
  assert.equal(ruleOf(r.check('fs', 'read_file', { path: '../x' })), 'path_traversal');
  assert.equal(ruleOf(r.check('fs', 'read_file', {})), 'allowed');
});

test('seed API: setSandbox/getSandbox, record → redacted audit rows, callback, getAuditLog/clearAuditLog', () => {
  const before = getSandbox();
  const seen: AuditRow[] = [];
  try {
    setSandbox(new ToolSandbox({ auditCallback: (row) => seen.push(row) }));
    getSandbox().record({ origin: 'api', server: 'fs', tool: 'read_file', arguments: { path: '/tmp/a', apiKey: 'k-123' }, decision: 'allowed', rule: 'allowed', success: true });
    getSandbox().record({ origin: 'api', server: 'fs', tool: 'write_file', arguments: {}, decision: 'deny', rule: 'blocked_tool', success: false, error: 'blocked' });
    assert.equal(seen.length, 2);
    assert.deepEqual(seen[0]!.arguments, { path: '/tmp/a', apiKey: '[REDACTED]' });
    assert.equal(seen[1]!.decision, 'denied');
    assert.equal(getAuditLog({ toolFilter: 'FILE' }).length, 2);
    assert.deepEqual(getAuditLog({ errorsOnly: true }).map((r) => r.tool), ['write_file']);
    assert.equal(clearAuditLog(), 2);
    assert.equal(getAuditLog().length, 0);
  } finally {
    setSandbox(before);
  }
});
