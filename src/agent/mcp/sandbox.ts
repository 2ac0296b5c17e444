// The tool sandbox: checked on every call before it runs. In order: blocked tools, allowed tools (whitelist
// mode when set), high-risk names, argument shape and size, argument patterns (recursively, keys too), rate
// limit. It also fronts the audit log (record/getAuditLog/clearAuditLog) as the seed's API does.
import type { McpConfig } from './config.js';
import type { SandboxVerdict } from './types.js';
import { decodedForms, TRAVERSAL_RE } from './text-forms.js';
import { MemoryAuditLog } from '../audit/memory.js';
import type { AuditEntry, AuditQuery, AuditRow, AuditSink } from '../audit/types.js';

export type SandboxRule =
  | 'blocked_tool'
  | 'not_allowed'
  | 'high_risk'
  | 'invalid_arguments'
  | 'argument_size'
  | 'path_traversal'
  | 'system_path'
  | 'blocked_pattern'
  | 'rate_limit';

/** Tool lists of one server (from its mcp.json entry). Names are `tool` or `server__tool`. */
export interface ServerToolRules {
  allowedTools?: Iterable<string> | undefined;
  blockedTools?: Iterable<string> | undefined;
  allowedHighRiskTools?: Iterable<string> | undefined;
}

export interface SandboxOptions extends ServerToolRules {
  /** Per-server lists, applied on top of the global ones. */
  servers?: Record<string, ServerToolRules>;
  /** Calls per tool in any sliding 60 s window (default 60). */
  maxCallsPerMinute?: number;
  /** Largest JSON encoding of a call's arguments, in bytes (default 1 MiB). */
  maxArgumentBytes?: number;
  /** More patterns refused anywhere in the arguments (strings compile case-insensitively). */
  extraArgumentPatterns?: Iterable<RegExp | string>;
  /** Where record() writes (default: an in-memory log). */
  audit?: AuditSink;
  /** Called with every recorded row (already redacted). */
  auditCallback?: (row: AuditRow) => void;
  /** Clock in ms (tests inject a fake one). */
  now?: () => number;
}

export const HIGH_RISK_PARTS: readonly string[] = ['execute', 'run_command', 'shell', 'eval', 'exec', 'system', 'subprocess'];
const MAX_DEPTH = 64;
const WINDOW_MS = 60_000;

/** True when a part of the tool name (split on _ - . and camelCase) is a high-risk word. */
export function isHighRiskTool(name: string): boolean {
  const parts = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (HIGH_RISK_PARTS.includes(p) || p === 'runcommand') return true;
    if (p === 'run' && (parts[i + 1] === 'command' || parts[i + 1] === 'cmd')) return true;
  }
  return false;
}

const SYSTEM_PATH_RE = /(?:^|[^A-Za-z0-9_.~-])\/(etc|proc|sys|root)(?:[/\\]|$|[^A-Za-z0-9_.-])/;
const ROOT_HOME_RE = /~root(?:[/\\]|$|[^A-Za-z0-9_.-])/;

/** Collapses `//` and `/./` so '/./etc' and '//etc' read as '/etc'. */
function collapseSlashes(s: string): string {
  return s.replace(/\/(?:\.\/)+/g, '/').replace(/\/{2,}/g, '/');
}

interface Problem {
  rule: SandboxRule;
  reason: string;
}

function scanString(s: string, where: string, extra: RegExp[]): Problem | undefined {
  const forms = decodedForms(s);
  if (forms.some((f) => TRAVERSAL_RE.test(f))) return { rule: 'path_traversal', reason: `${where} contains a parent-directory step ('../' or an encoded form)` };
  for (const f of forms) {
    const c = collapseSlashes(f);
    const m = SYSTEM_PATH_RE.exec(c);
    if (m) return { rule: 'system_path', reason: `${where} refers to the system directory /${m[1]}/` };
    if (ROOT_HOME_RE.test(c)) return { rule: 'system_path', reason: `${where} refers to root's home (~root)` };
  }
  for (const re of extra) {
    if (forms.some((f) => re.test(f))) return { rule: 'blocked_pattern', reason: `${where} matches the blocked pattern /${re.source}/` };
  }
  return undefined;
}

/** Walks arguments (objects, arrays, keys and values) and returns the first problem. */
export function findArgumentProblem(args: unknown, extra: RegExp[] = []): Problem | undefined {
  const walk = (v: unknown, path: string, depth: number): Problem | undefined => {
    if (depth > MAX_DEPTH) return { rule: 'argument_size', reason: `arguments are nested deeper than ${MAX_DEPTH} levels` };
    if (typeof v === 'string') return scanString(v, `argument ${path || '(root)'}`, extra);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const p = walk(v[i], `${path}[${i}]`, depth + 1);
        if (p) return p;
      }
      return undefined;
    }
    if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        const at = path ? `${path}.${k}` : k;
        const kp = scanString(k, `argument key '${k}'`, extra);
        if (kp) return kp;
        const p = walk(x, at, depth + 1);
        if (p) return p;
      }
    }
    return undefined;
  };
  return walk(args, '', 0);
}

const toSet = (xs: Iterable<string> | undefined) => (xs === undefined ? undefined : new Set(xs));

export class ToolSandbox {
  private readonly allowed: Set<string> | undefined;
  private readonly blocked: Set<string>;
  private readonly allowedHighRisk: Set<string>;
  private readonly servers: Map<string, { allowed?: Set<string>; blocked: Set<string>; allowedHighRisk: Set<string> }>;
  private readonly patterns: RegExp[];
  private readonly calls = new Map<string, number[]>();
  private readonly sink: AuditSink;
  readonly maxCallsPerMinute: number;
  readonly maxArgumentBytes: number;

  constructor(private readonly opts: SandboxOptions = {}) {
    this.allowed = toSet(opts.allowedTools);
    this.blocked = toSet(opts.blockedTools) ?? new Set();
    this.allowedHighRisk = toSet(opts.allowedHighRiskTools) ?? new Set();
    this.servers = new Map(
      Object.entries(opts.servers ?? {}).map(([name, r]) => {
        const allowed = toSet(r.allowedTools);
        return [name, { ...(allowed ? { allowed } : {}), blocked: toSet(r.blockedTools) ?? new Set(), allowedHighRisk: toSet(r.allowedHighRiskTools) ?? new Set() }];
      }),
    );
    this.patterns = [...(opts.extraArgumentPatterns ?? [])].map((p) => (typeof p === 'string' ? new RegExp(p, 'iu') : p));
    this.maxCallsPerMinute = opts.maxCallsPerMinute ?? 60;
    this.maxArgumentBytes = opts.maxArgumentBytes ?? 1024 * 1024;
    this.sink = opts.audit ?? new MemoryAuditLog();
  }

  /** A sandbox with the config's per-server tool lists and security limits. */
  static fromConfig(config: McpConfig, extra: Omit<SandboxOptions, 'servers'> = {}): ToolSandbox {
    const servers: Record<string, ServerToolRules> = {};
    for (const [name, e] of Object.entries(config.mcpServers)) {
      servers[name] = { allowedTools: e.allowedTools, blockedTools: e.blockedTools, allowedHighRiskTools: e.allowedHighRiskTools };
    }
    return new ToolSandbox({
      maxCallsPerMinute: config.security.maxCallsPerMinute,
      maxArgumentBytes: config.security.maxArgumentBytes,
      extraArgumentPatterns: config.security.blockedArgumentPatterns,
      ...extra,
      servers,
    });
  }

  /**
   * Decides one call. An allowed call takes a slot in the rate-limit window unless `dryRun` is set
   * (use dryRun for "would this be allowed?" checks that are followed by the real call).
   */
  check(server: string, tool: string, args: unknown, opts: { dryRun?: boolean } = {}): SandboxVerdict {
    const qualified = `${server}__${tool}`;
    const named = (set: Set<string> | undefined) => !!set && (set.has(tool) || set.has(qualified));
    const srv = this.servers.get(server);
    const deny = (rule: SandboxRule, reason: string): SandboxVerdict => ({ allowed: false, rule, reason: `${qualified}: ${reason}` });

    if (named(this.blocked) || named(srv?.blocked)) return deny('blocked_tool', 'the tool is on the blocked list');
    if ((this.allowed && !named(this.allowed)) || (srv?.allowed && !named(srv.allowed))) {
      return deny('not_allowed', 'the tool is not on the allowed list');
    }
    if (isHighRiskTool(tool) && !named(this.allowedHighRisk) && !named(srv?.allowedHighRisk)) {
      return deny('high_risk', `'${tool}' looks like it runs commands or code; list it in allowedHighRiskTools to permit it`);
    }
    if (args !== undefined && args !== null && (typeof args !== 'object' || Array.isArray(args))) {
      return deny('invalid_arguments', 'arguments must be a JSON object');
    }
    let json: string;
    try {
      json = JSON.stringify(args ?? {});
    } catch (err) {
      return deny('invalid_arguments', `arguments cannot be sent as JSON (${(err as Error).message.split('\n')[0]})`);
    }
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > this.maxArgumentBytes) return deny('argument_size', `arguments are ${bytes} bytes (limit ${this.maxArgumentBytes})`);
    const problem = findArgumentProblem(args ?? {}, this.patterns);
    if (problem) return deny(problem.rule, problem.reason);

    const now = (this.opts.now ?? Date.now)();
    const recent = (this.calls.get(qualified) ?? []).filter((t) => t > now - WINDOW_MS);
    if (recent.length >= this.maxCallsPerMinute) {
      this.calls.set(qualified, recent);
      const retry = Math.max(1, Math.ceil((recent[0]! + WINDOW_MS - now) / 1000));
      return deny('rate_limit', `called ${recent.length} times in the last minute (limit ${this.maxCallsPerMinute}); retry in ${retry} s`);
    }
    if (!opts.dryRun) recent.push(now);
    this.calls.set(qualified, recent);
    return { allowed: true, rule: 'allowed' };
  }

  /** Writes an audit row (redacted by the sink) and passes it to auditCallback. Returns the row id. */
  record(entry: AuditEntry): number {
    const id = this.sink.record(entry);
    if (this.opts.auditCallback) {
      const row = this.sink.get(id);
      if (row) this.opts.auditCallback(row);
    }
    return id;
  }

  getAuditLog(q: AuditQuery = {}): AuditRow[] {
    return this.sink.query(q);
  }

  clearAuditLog(): number {
    return this.sink.clear();
  }

  get auditSink(): AuditSink {
    return this.sink;
  }
}

// ---------- the process-wide sandbox (seed API) ----------

let current = new ToolSandbox();

export function setSandbox(s: ToolSandbox): void {
  current = s;
}

export function getSandbox(): ToolSandbox {
  return current;
}

export function getAuditLog(q: AuditQuery = {}): AuditRow[] {
  return current.getAuditLog(q);
}

export function clearAuditLog(): number {
  return current.clearAuditLog();
}
