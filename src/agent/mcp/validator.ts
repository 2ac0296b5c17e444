// Command validation: runs before anything is spawned or connected. One bad server is rejected with a rule
// and a message; the others still load.
import { accessSync, constants, existsSync, realpathSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, resolve } from 'node:path';
import type { McpConfig, ServerEntry } from './config.js';
import { checkEnvEntries, DANGEROUS_ENV_VARS } from './env-rules.js';
import { commandName, findInlineCode } from './inline-code.js';
import { decodedForms, foldLookalikes, TRAVERSAL_RE } from './text-forms.js';

type Env = Record<string, string | undefined>;

export type ValidatorRule =
  | 'unsafe_not_allowed'
  | 'command_whitelist'
  | 'untrusted_path'
  | 'control_char'
  | 'shell_metachar'
  | 'unexpanded_variable'
  | 'path_traversal'
  | 'dangerous_env'
  | 'invalid_env_name'
  | 'inline_code'
  | 'dangerous_docker'
  | 'url_scheme';

export type ValidationResult =
  | { ok: true; bypassed?: false }
  /** skip_security_validation honoured: print `warning`, record the bypass in the audit log. */
  | { ok: true; bypassed: true; warning: string }
  | { ok: false; rule: ValidatorRule; message: string };

export interface ValidateOptions {
  /** --allow-unsafe-mcp or VMLX_ALLOW_UNSAFE_MCP=1: honour skip_security_validation. */
  allowUnsafe?: boolean;
  /** More trusted commands for this call (the config's security.allowedCommands). */
  extraWhitelist?: Iterable<string>;
}

export const DEFAULT_WHITELIST: readonly string[] = ['npx', 'npm', 'node', 'uvx', 'uv', 'python', 'python3', 'pip', 'pipx', 'docker', 'mcp-server-*'];

/** Directories where an explicitly pathed command may live (besides absolute PATH entries). */
export const SYSTEM_BIN_DIRS: readonly string[] = [
  '/usr/bin', '/usr/local/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/sbin',
  '/opt/homebrew/bin', '/opt/homebrew/sbin', '/opt/local/bin', '/snap/bin',
];

export { DANGEROUS_ENV_VARS };

const METACHARS: Array<[string, string]> = [
  ['&&', 'command chaining'],
  ['||', 'command chaining'],
  [';', 'command separator'],
  ['|', 'pipe'],
  ['`', 'command substitution'],
  ['$(', 'command substitution'],
];

const CONTROL: Array<[string, string]> = [['\n', 'a newline'], ['\r', 'a carriage return'], ['\0', 'a NUL byte']];

export function allowUnsafeFromEnv(env: Env = process.env): boolean {
  const v = env.VMLX_ALLOW_UNSAFE_MCP;
  return v === '1' || v?.toLowerCase() === 'true' || v?.toLowerCase() === 'yes';
}

/** A value to check and how to name it in a message. */
interface Field {
  where: string;
  value: string;
}

/** A user value as shown in a message: control characters escaped, long values cut, so it stays one line. */
function shown(v: string): string {
  const esc = v.replace(/[\0-\x1f\x7f]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
  return esc.length > 120 ? `${esc.slice(0, 117)}...` : esc;
}

function matchesEntry(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  return p.endsWith('*') ? name.startsWith(p.slice(0, -1)) && name.length > p.length - 1 : name === p;
}

export class MCPCommandValidator {
  private readonly custom: string[];

  constructor(opts: { customWhitelist?: Iterable<string> } = {}) {
    this.custom = [...(opts.customWhitelist ?? [])];
  }

  /** The whitelist in effect (built-in + custom from code + extra). */
  whitelist(extra: Iterable<string> = []): string[] {
    return [...DEFAULT_WHITELIST, ...this.custom, ...extra];
  }

  validate(serverName: string, entry: ServerEntry, opts: ValidateOptions = {}): ValidationResult {
    const prefix = `MCP server '${serverName}'`;
    const reject = (rule: ValidatorRule, text: string): ValidationResult => ({ ok: false, rule, message: `${prefix}: ${text}` });

    if (entry.skip_security_validation) {
      if (!opts.allowUnsafe) {
        return reject(
          'unsafe_not_allowed',
          "skip_security_validation is set, but unsafe servers are not allowed. Pass --allow-unsafe-mcp (or set VMLX_ALLOW_UNSAFE_MCP=1) to run it without validation.",
        );
      }
      return { ok: true, bypassed: true, warning: `${prefix}: security validation skipped (skip_security_validation, allowed by --allow-unsafe-mcp or VMLX_ALLOW_UNSAFE_MCP). Only do this for servers you trust.` };
    }

    if (entry.kind === 'remote') return this.validateRemote(entry.url, entry.headers, reject);

    const fields: Field[] = [
      { where: `Command '${shown(entry.command)}'`, value: entry.command },
      ...entry.args.map((value, i) => ({ where: `args[${i}]`, value })),
      ...Object.entries(entry.env).map(([k, value]) => ({ where: `Environment variable '${shown(k)}'`, value })),
    ];

    const whitelistFail = this.checkCommand(entry.command, entry.cwd, opts, reject);
    if (whitelistFail) return whitelistFail;

    const cwdFields = entry.cwd !== undefined ? [{ where: 'cwd', value: entry.cwd }] : [];
    const envKeys = Object.keys(entry.env).map((k) => ({ where: `Environment variable name '${shown(k)}'`, value: k }));
    const fail = checkControl([...fields, ...cwdFields, ...envKeys], reject) ?? checkPatterns(fields, reject);
    if (fail) return fail;

    const envFinding = checkEnvEntries(entry.env, shown);
    if (envFinding) return reject(envFinding.rule, `${envFinding.detail}.`);

    const inline = findInlineCode(entry.command, entry.args);
    if (inline) return reject(inline.rule, `${inline.detail}; this is not allowed in an MCP server command.`);
    return { ok: true };
  }

  private checkCommand(
    command: string,
    cwd: string | undefined,
    opts: ValidateOptions,
    reject: (rule: ValidatorRule, text: string) => ValidationResult,
  ): ValidationResult | undefined {
    const list = this.whitelist(opts.extraWhitelist);
    const isPath = /[/\\]/.test(command);
    // An absolute path listed verbatim in a custom whitelist is trusted as given.
    if (isPath && isAbsolute(command) && list.includes(command)) return undefined;
    const name = commandName(command);
    if (!list.some((p) => !/[/\\]/.test(p) && matchesEntry(p, name))) {
      return reject('command_whitelist', `Command '${shown(command)}' is not in the allowed commands whitelist.`);
    }
    if (!isPath) return undefined;
    const trusted = trustedLocation(command, cwd);
    return trusted === true
      ? undefined
      : reject('untrusted_path', `Command path '${shown(command)}' is not trusted: ${trusted}. Use the bare name or a path in a system or PATH directory.`);
  }

  private validateRemote(url: string, headers: Record<string, string>, reject: (rule: ValidatorRule, text: string) => ValidationResult): ValidationResult {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      return reject('url_scheme', `URL '${shown(url)}' is not allowed: remote servers need an http:// or https:// URL.`);
    }
    const fields = [{ where: `URL '${shown(url)}'`, value: url }];
    const headerFields = Object.entries(headers).flatMap(([k, value]) => [
      { where: `Header '${shown(k)}'`, value },
      { where: `Header name '${shown(k)}'`, value: k },
    ]);
    return checkControl([...fields, ...headerFields], reject) ?? checkPatterns(fields, reject) ?? { ok: true };
  }
}

function checkControl(fields: Field[], reject: (rule: ValidatorRule, text: string) => ValidationResult): ValidationResult | undefined {
  for (const f of fields) {
    for (const form of decodedForms(f.value)) {
      for (const [ch, name] of CONTROL) {
        if (form.includes(ch)) return reject('control_char', `${f.where} contains ${name}.`);
      }
    }
  }
  return undefined;
}

function checkPatterns(fields: Field[], reject: (rule: ValidatorRule, text: string) => ValidationResult): ValidationResult | undefined {
  for (const f of fields) {
    for (const form of [f.value, foldLookalikes(f.value)]) {
      for (const [pat, why] of METACHARS) {
        if (form.includes(pat)) return reject('shell_metachar', `${f.where} contains blocked pattern '${pat}' (${why}).`);
      }
      if (form.includes('${')) {
        return reject('unexpanded_variable', `${f.where} contains '\${': variables expand only in env values, headers and url, and only when set.`);
      }
    }
    if (decodedForms(f.value).some((form) => TRAVERSAL_RE.test(form))) {
      return reject('path_traversal', `${f.where} contains a parent-directory step ('../' or an encoded form of it).`);
    }
  }
  return undefined;
}

let trustedDirCache: { key: string; dirs: Set<string> } | undefined;

function realDir(d: string): string | undefined {
  try {
    return realpathSync(d);
  } catch {
    return undefined;
  }
}

/**
 * System bin directories and absolute PATH entries, resolved through symlinks. A world-writable directory
 * (like /tmp on someone's PATH) is never trusted: anyone could plant an 'npx' there.
 */
export function trustedDirs(env: Env = process.env): Set<string> {
  const pathVar = env.PATH ?? '';
  const key = pathVar;
  if (trustedDirCache?.key === key) return trustedDirCache.dirs;
  const dirs = new Set<string>();
  for (const d of [...SYSTEM_BIN_DIRS, ...pathVar.split(delimiter).filter((p) => p !== '' && isAbsolute(p))]) {
    const r = realDir(d);
    if (r && (statSync(r).mode & 0o002) === 0) dirs.add(r);
  }
  trustedDirCache = { key, dirs };
  return dirs;
}

/** true, or why the path is not trusted. The file's directory must resolve into a trusted directory. */
function trustedLocation(command: string, cwd: string | undefined): true | string {
  const full = resolve(cwd ?? process.cwd(), command);
  if (!existsSync(full)) return 'no such file';
  const dir = realDir(dirname(full));
  if (!dir || !trustedDirs().has(dir)) return `'${shown(dir ?? dirname(full))}' is not a system or PATH directory`;
  try {
    if (!statSync(full).isFile()) return 'not a regular file';
    accessSync(full, constants.X_OK);
  } catch {
    return 'not an executable file';
  }
  return true;
}

// ---------- the process-wide validator and whole-config validation ----------

let current = new MCPCommandValidator();

export function setValidator(v: MCPCommandValidator): void {
  current = v;
}

export function getValidator(): MCPCommandValidator {
  return current;
}

export interface ServerValidation {
  name: string;
  entry: ServerEntry;
  /** Disabled servers are still validated (so `mcp validate` reports them) but are never started. */
  enabled: boolean;
  result: ValidationResult;
}

/** Validates every server of a config with the config's own allowedCommands added to the whitelist. */
export function validateServers(
  config: McpConfig,
  opts: { allowUnsafe?: boolean; validator?: MCPCommandValidator } = {},
): ServerValidation[] {
  const validator = opts.validator ?? current;
  return Object.entries(config.mcpServers).map(([name, entry]) => ({
    name,
    entry,
    enabled: entry.enabled,
    result: validator.validate(name, entry, { allowUnsafe: opts.allowUnsafe ?? false, extraWhitelist: config.security.allowedCommands }),
  }));
}
