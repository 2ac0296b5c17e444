// Recognises server commands that run code written inline in the config (python -c, node -e, ...) or that
// give a container the host (docker run --privileged, -v /:/host, --pid=host). Such entries are refused:
// an mcp.json names programs to run, it must not be a script.
import { basename } from 'node:path';

export interface InlineFinding {
  rule: 'inline_code' | 'dangerous_docker' | 'dangerous_env';
  detail: string;
}

/** File name of a command without directory and Windows launcher suffix, lower case. */
export function commandName(command: string): string {
  return basename(command.replace(/\\/g, '/')).toLowerCase().replace(/\.(exe|cmd|bat)$/, '');
}

const PYTHON_RE = /^python(\d+(\.\d+)?)?$/;
const isPython = (name: string) => PYTHON_RE.test(name);
const isNode = (name: string) => name === 'node' || name === 'nodejs';

function scanPython(args: readonly string[]): InlineFinding | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--' || !a.startsWith('-') || a === '-') return undefined; // script or end of options
    if (a.startsWith('--')) continue;
    const letters = a.slice(1);
    for (let j = 0; j < letters.length; j++) {
      const ch = letters[j]!;
      if (ch === 'c') return { rule: 'inline_code', detail: `'python ${a}' runs code from the command line` };
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

function scanNode(args: readonly string[]): InlineFinding | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--' || !a.startsWith('-') || a === '-') return undefined;
    const [flag, inlineValue] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (flag === '--eval' || flag === '--print' || flag === '-e' || flag === '-p') {
      return { rule: 'inline_code', detail: `'node ${flag}' runs code from the command line` };
    }
    if (!a.startsWith('--') && /^-[a-z]*[ep][a-z]*$/i.test(a)) {
      return { rule: 'inline_code', detail: `'node ${a}' runs code from the command line` };
    }
    if (flag === '--inspect' || flag === '--inspect-brk' || flag === '--inspect-wait' || flag === '--inspect-port' || flag === '--debug-port') {
      return { rule: 'inline_code', detail: `'node ${flag}' opens a debugger that runs any code sent to it` };
    }
    if (flag === '--env-file' || flag === '--env-file-if-exists') {
      return { rule: 'dangerous_env', detail: `'node ${flag}' loads environment variables (NODE_OPTIONS, ...) from a file` };
    }
    if (NODE_VALUE_FLAGS.has(flag)) {
      const value = inlineValue ?? args[++i] ?? '';
      if (NODE_CODE_FLAGS.has(flag) && /^(data|https?):/i.test(value)) {
        return { rule: 'inline_code', detail: `'node ${flag} ${value.slice(0, 24)}…' loads code from a URL` };
      }
    }
  }
  return undefined;
}

/** Scans a nested command (`npx node -e`, `uvx python -c`, ...) with the interpreter rules. */
function scanNested(args: readonly string[], at: number): InlineFinding | undefined {
  const target = args[at];
  if (target === undefined) return undefined;
  const name = commandName(target);
  if (isPython(name)) return scanPython(args.slice(at + 1));
  if (isNode(name)) return scanNode(args.slice(at + 1));
  return undefined;
}

function scanNpx(args: readonly string[], who: string): InlineFinding | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return scanNested(args, i + 1);
    if (!a.startsWith('-')) return scanNested(args, i);
    const flag = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    if (flag === '-c' || flag === '--call') return { rule: 'inline_code', detail: `'${who} ${flag}' runs a shell command line` };
    if (flag === '--node-options') return { rule: 'dangerous_env', detail: `'${who} --node-options' sets NODE_OPTIONS for the package` };
    if ((flag === '-p' || flag === '--package') && !a.includes('=')) i++;
  }
  return undefined;
}

/** A dependency spec that is a local path rather than a package name or URL. */
function isLocalPath(spec: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) return /^file:/i.test(spec) || /^git\+file:/i.test(spec);
  return /^(\/|\.|~|[A-Za-z]:[\\/])/.test(spec) || /^file:/i.test(spec) || /[\\/]/.test(spec);
}

const UV_PATH_FLAGS = new Set(['--with', '-w', '--from', '--with-requirements', '--with-editable', '--spec']);

function scanUvRun(args: readonly string[], who: string): InlineFinding | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return scanNested(args, i + 1);
    if (!a.startsWith('-')) return scanNested(args, i);
    const eq = a.indexOf('=');
    const flag = eq >= 0 ? a.slice(0, eq) : a;
    if (UV_PATH_FLAGS.has(flag)) {
      const value = eq >= 0 ? a.slice(eq + 1) : (args[++i] ?? '');
      if (flag === '--with-editable' || value.split(',').some((v) => isLocalPath(v.trim()))) {
        return { rule: 'inline_code', detail: `'${who} ${flag} ${value}' installs code from a local path` };
      }
    }
  }
  return undefined;
}

/** `pip install` of a local path or an editable project runs that project's build code. */
function scanPip(args: readonly string[]): InlineFinding | undefined {
  const at = firstPositional(args);
  if (args[at] !== 'install') return undefined;
  const rest = args.slice(at + 1);
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '-e' || a.startsWith('--editable')) return { rule: 'inline_code', detail: `'pip install ${a}' builds a local project` };
    if ((a === '-r' || a === '--requirement' || a === '-c' || a === '--constraint') && i + 1 < rest.length) {
      i++;
      continue;
    }
    if (!a.startsWith('-') && isLocalPath(a)) return { rule: 'inline_code', detail: `'pip install ${a}' builds code from a local path` };
  }
  return undefined;
}

function firstPositional(args: readonly string[]): number {
  return args.findIndex((a) => !a.startsWith('-'));
}

function scanDocker(args: readonly string[]): InlineFinding | undefined {
  let at = firstPositional(args);
  if (at >= 0 && args[at] === 'container') at++;
  const sub = args[at];
  if (sub !== 'run' && sub !== 'create') return undefined;
  const rest = args.slice(at + 1);
  const bad = (detail: string): InlineFinding => ({ rule: 'dangerous_docker', detail: `'docker ${sub}' with ${detail}` });
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const eq = a.indexOf('=');
    const flag = a.startsWith('-') && eq >= 0 ? a.slice(0, eq) : a;
    const value = () => (a.startsWith('-') && eq >= 0 ? a.slice(eq + 1) : (rest[i + 1] ?? ''));
    if (flag === '--privileged' && (eq < 0 || a.slice(eq + 1) !== 'false')) return bad("'--privileged' (full access to the host)");
    if (flag === '-v' || flag === '--volume') {
      const source = value().split(':')[0] ?? '';
      if (source === '/' || /^\/+$/.test(source)) return bad(`'${flag} ${value()}' (mounts the host's root)`);
      if (/docker\.sock$/.test(source)) return bad(`'${flag} ${value()}' (the Docker socket controls the host)`);
    }
    if (flag === '--mount') {
      const m = /(?:^|,)(?:source|src)=([^,]*)/.exec(value());
      if (m && (/^\/+$/.test(m[1]!) || /docker\.sock$/.test(m[1]!))) return bad(`'--mount ${value()}' (mounts the host's root or Docker socket)`);
    }
    if ((flag === '--pid' || flag === '--ipc' || flag === '--userns' || flag === '--uts') && value() === 'host') {
      return bad(`'${flag}=host' (shares the host's ${flag.slice(2)} namespace)`);
    }
    if (flag === '--cap-add' && /^(all|sys_admin|cap_sys_admin)$/i.test(value())) return bad(`'--cap-add ${value()}'`);
    if (flag === '--security-opt' && /unconfined|label[:=]disable/i.test(value())) return bad(`'--security-opt ${value()}'`);
  }
  return undefined;
}

/** Inspects a stdio command line; returns the first finding or undefined. */
export function findInlineCode(command: string, args: readonly string[]): InlineFinding | undefined {
  const name = commandName(command);
  if (isPython(name)) return scanPython(args);
  if (isNode(name)) return scanNode(args);
  if (name === 'npx') return scanNpx(args, 'npx');
  if (name === 'npm') {
    const at = firstPositional(args);
    const sub = args[at];
    return sub === 'exec' || sub === 'x' ? scanNpx(args.slice(at + 1), `npm ${sub}`) : undefined;
  }
  if (name === 'uvx') return scanUvRun(args, 'uvx');
  if (name === 'uv') {
    const at = firstPositional(args);
    if (args[at] === 'run') return scanUvRun(args.slice(at + 1), 'uv run');
    if (args[at] === 'tool' && args[at + 1] === 'run') return scanUvRun(args.slice(at + 2), 'uv tool run');
    return undefined;
  }
  if (name === 'pipx') {
    const at = firstPositional(args);
    return args[at] === 'run' ? scanUvRun(args.slice(at + 1), 'pipx run') : undefined;
  }
  if (name === 'pip' || name === 'pip3') return scanPip(args);
  if (name === 'docker') return scanDocker(args);
  return undefined;
}
