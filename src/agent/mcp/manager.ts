// McpManager: the one path by which vmlx runs MCP tools. It validates every server entry before
// anything is spawned, connects all servers in parallel, exposes their tools as `server__tool`, and
// runs each call through sandbox → execute → audit, turning every failure into a ToolCallOutcome.
import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { ServerConnection, type CallProgress, type ConnectionEvent, type ManagedServerStatus } from './client.js';
import { errorOutcome, resultOutcome, deniedOutcome } from './outcome.js';
import { assignQualifiedNames, splitQualifiedName } from './tool-names.js';
import { ServerStderrLog } from './stderr-log.js';
import type { RestartPolicy } from './restart.js';
import type { ConnectSpec } from './transports.js';
import { buildServerEnv } from './server-env.js';
import type { McpConfig, ServerEntry } from './config.js';
import { getValidator, type MCPCommandValidator } from './validator.js';
import { ToolSandbox, isHighRiskTool } from './sandbox.js';
import { policyFor as configPolicyFor } from './policy.js';
import { hintsOf } from './tool-hints.js';
import { McpHost, type McpHostOptions } from './host.js';
import { McpCatalog } from './catalog.js';
import { VmlxOAuthProvider } from './oauth/provider.js';
import { TokenStore } from './oauth/token-store.js';
import { recordSecurityBypass, type AuditEntry, type AuditSink } from '../audit/index.js';
import { logDir as defaultLogDir } from '../paths.js';
import type {
  CallOrigin,
  CallToolOptions,
  McpTool,
  PolicyDecision,
  SandboxVerdict,
  ToolCallOutcome,
  ToolExecutor,
  TransportKind,
} from './types.js';

export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
export const DEFAULT_CALL_TIMEOUT_MS = 60_000;
const PREVIEW_CHARS = 200;

export interface McpManagerOptions {
  config: McpConfig;
  /** The file the config came from (named in warnings and audit rows). */
  configPath?: string;
  /** Honour `skip_security_validation` (the --allow-unsafe-mcp flag). */
  allowUnsafe?: boolean;
  /** Where every attempted call is recorded (AuditLog on disk, or MemoryAuditLog). */
  audit?: AuditSink;
  /** close() also closes the audit log (when it has a close method). */
  ownsAudit?: boolean;
  /** Who started these servers (written to the audit row of a validation bypass). Default 'cli'. */
  origin?: CallOrigin;
  /** Default: a sandbox built from the config (per-server lists, security settings). */
  sandbox?: ToolSandbox;
  /** Default: the process-wide validator (getValidator()). */
  validator?: MCPCommandValidator;
  /** Where per-server stderr logs go (default: the vmlx log dir). */
  logDir?: string;
  sessionId?: string;
  connectTimeoutMs?: number;
  /** Backoff for restarting stdio servers that die. */
  restartPolicy?: RestartPolicy;
  onWarning?: (msg: string) => void;
  /** OAuth tokens of remote servers (default: mcp-auth.json in the vmlx home). */
  tokenStorePath?: string;
  /**
   * Roots, elicitation and sampling handlers for the servers. Default: the working directory as root, every
   * elicitation declined, no model for sampling. The config's per-server roots and sampling policy apply on top.
   */
  host?: Pick<McpHostOptions, 'roots' | 'elicitation' | 'sampler' | 'samplingUnavailable' | 'samplingApprover' | 'autoApprove'>;
}

/** CallToolOptions plus progress reporting for long-running tools. */
export interface ManagerCallOptions extends CallToolOptions {
  /** Receives the tool's progress notifications; each one also re-arms the call timeout. */
  onProgress?: (p: CallProgress) => void;
  /** Bound on the whole call when progress keeps re-arming the timeout (default 10 × the timeout). */
  maxTotalTimeoutMs?: number;
}

/** Progress of the servers, for a UI: every status change, tool-list refresh, crash and restart. */
export type McpManagerEvent = ConnectionEvent;

interface StaticServer {
  status: ManagedServerStatus;
}

export class McpManager implements ToolExecutor {
  private readonly opts: McpManagerOptions;
  private readonly config: McpConfig;
  private readonly sandbox: ToolSandbox;
  private readonly connections = new Map<string, ServerConnection>();
  private readonly staticServers = new Map<string, StaticServer>();
  private readonly order: string[];
  private readonly changeListeners = new Set<() => void>();
  private readonly eventListeners = new Set<(e: McpManagerEvent) => void>();
  private readonly logs: ServerStderrLog[] = [];
  private tools: McpTool[] = [];
  private byQualified = new Map<string, McpTool>();
  private readonly started: Promise<void>;
  private closed = false;
  private readonly offRoots: () => void;
  /** Roots, elicitation and sampling offered to every server (handlers can be swapped while they run). */
  readonly host: McpHost;
  /** The servers' prompts and resources (refreshed on list_changed). */
  readonly catalog = new McpCatalog((server) => this.connections.get(server)?.connectedClient(), () => this.order);

  /** Starts connecting every server and resolves once each one has settled. */
  static async start(opts: McpManagerOptions): Promise<McpManager> {
    const manager = McpManager.create(opts);
    await manager.waitUntilSettled();
    return manager;
  }

  /** Starts connecting and returns at once: watch `onEvent` and `waitUntilSettled()` for progress. */
  static create(opts: McpManagerOptions): McpManager {
    return new McpManager(opts);
  }

  private constructor(opts: McpManagerOptions) {
    this.opts = opts;
    this.config = opts.config;
    this.sandbox = opts.sandbox ?? ToolSandbox.fromConfig(opts.config, opts.audit ? { audit: opts.audit } : {});
    this.order = Object.keys(opts.config.mcpServers);
    this.host = new McpHost({
        ...opts.host,
        ...(opts.audit ? { audit: opts.audit } : {}),
        origin: opts.origin ?? 'cli',
        ...(opts.sessionId !== undefined ? { sessionId: opts.sessionId } : {}),
        ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
        samplingPolicy: (server) => this.config.mcpServers[server]?.sampling ?? 'ask',
      });
    for (const [name, entry] of Object.entries(opts.config.mcpServers)) {
      if (entry.roots === false) this.host.disableRoots(name);
      else {
        // Directories named on a stdio server's command line were approved by whoever wrote the config; they
        // are its roots too, because servers like server-filesystem replace those directories with the roots.
        const argDirs = entry.kind === 'stdio' ? entry.args.filter(isAbsoluteDirectory) : [];
        const dirs = [...entry.roots, ...argDirs];
        if (dirs.length > 0) this.host.roots.setServerRoots(name, dirs, `${opts.configPath ?? 'MCP config'}: ${name}.roots`);
      }
    }
    this.offRoots = this.host.roots.onChange((server) => {
      for (const [name, conn] of this.connections) if (server === undefined || server === name) void conn.notifyRootsChanged();
    });
    const starts: Promise<void>[] = [];
    for (const name of this.order) {
      const conn = this.prepare(name, opts.config.mcpServers[name]!);
      if (conn) starts.push(conn.start());
    }
    this.started = Promise.all(starts).then(() => undefined);
  }

  /** Resolves when every server is connected, failed, rejected or disabled (restarts not awaited). */
  waitUntilSettled(): Promise<void> {
    return this.started;
  }

  /** Server events (status, tools, exit, restart-scheduled); returns an unsubscribe function. */
  onEvent(listener: (e: McpManagerEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  statuses(): ManagedServerStatus[] {
    return this.order.map((name) => this.connections.get(name)?.status() ?? this.staticServers.get(name)!.status);
  }

  listTools(): McpTool[] {
    return this.tools;
  }

  resolveTool(name: string): McpTool | undefined {
    const exact = this.byQualified.get(name);
    if (exact) return exact;
    const bare = this.tools.filter((t) => t.name === name);
    if (bare.length === 1) return bare[0];
    // A model may write `server__tool` with the server's unsanitised spelling.
    const split = splitQualifiedName(name);
    if (split) return this.tools.find((t) => t.server === split.server && t.name === split.name);
    return undefined;
  }

  checkCall(server: string, tool: string, args: unknown): SandboxVerdict {
    // A dry run: asking must not use up a rate-limit slot of the call that follows.
    return this.sandbox.check(server, tool, args, { dryRun: true });
  }

  policyFor(server: string, tool: string, origin: CallOrigin = 'chat'): PolicyDecision {
    const highRisk = this.tools.find((t) => t.server === server && t.name === tool)?.highRisk ?? isHighRiskTool(tool);
    return configPolicyFor(this.config, server, tool, { highRisk, origin });
  }

  async callTool(server: string, tool: string, args: unknown, opts: ManagerCallOptions): Promise<ToolCallOutcome> {
    const started = Date.now();
    let verdict: SandboxVerdict;
    try {
      verdict = this.sandbox.check(server, tool, args);
    } catch (err) {
      verdict = { allowed: false, rule: 'sandbox_error', reason: (err as Error).message };
    }
    if (!verdict.allowed) {
      const outcome = deniedOutcome(server, tool, verdict.rule, verdict.reason);
      this.audit(server, tool, args, opts, outcome, 'deny', verdict.rule);
      return outcome;
    }
    const timeoutMs = opts.timeoutMs ?? this.entry(server)?.timeout ?? DEFAULT_CALL_TIMEOUT_MS;
    let outcome: ToolCallOutcome;
    const conn = this.connections.get(server);
    if (!conn) {
      const status = this.staticServers.get(server)?.status;
      const why = status ? `MCP server '${server}' is ${status.state}${status.error ? `: ${status.error}` : ''}` : `no MCP server named '${server}'`;
      outcome = errorOutcome(server, tool, new Error(why), 0, { timeoutMs });
    } else if (!isArgumentObject(args)) {
      outcome = errorOutcome(server, tool, new Error('tool arguments must be a JSON object'), 0, { timeoutMs });
    } else if (opts.signal?.aborted) {
      outcome = errorOutcome(server, tool, new Error('aborted before start'), 0, { signal: opts.signal, timeoutMs });
    } else {
      try {
        const result = await conn.callTool(tool, args ?? {}, {
          signal: opts.signal,
          timeoutMs,
          onProgress: opts.onProgress,
          maxTotalTimeoutMs: opts.maxTotalTimeoutMs,
        });
        outcome = resultOutcome(server, tool, result, Date.now() - started);
      } catch (err) {
        outcome = errorOutcome(server, tool, err, Date.now() - started, { signal: opts.signal, timeoutMs });
      }
    }
    this.audit(server, tool, args, opts, outcome, 'allow', verdict.rule);
    return outcome;
  }

  recordRefusal(server: string, tool: string, args: unknown, opts: CallToolOptions & { rule: string; reason: string }): void {
    this.audit(server, tool, args, opts, deniedOutcome(server, tool, opts.rule, opts.reason), 'deny', opts.rule);
  }

  /**
   * Tries again to connect a server whose state is 'failed' (for a UI's reconnect action); with `restart`, a
   * connected one is dropped and connected afresh. Rejected and disabled servers stay as they are: their config
   * has to change first.
   */
  async reconnect(server: string, opts: { restart?: boolean } = {}): Promise<ManagedServerStatus | undefined> {
    const conn = this.connections.get(server);
    if (!conn || this.closed) return this.staticServers.get(server)?.status;
    if (opts.restart && conn.status().state === 'connected') await conn.restartConnected();
    else await conn.reconnect();
    return conn.status();
  }

  /** pid of a stdio server's child while it runs. */
  pidOf(server: string): number | undefined {
    return this.connections.get(server)?.status().pid;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.offRoots();
    await Promise.all([...this.connections.values()].map((c) => c.close()));
    this.tools = [];
    this.byQualified = new Map();
    await Promise.all(this.logs.map((l) => l.close()));
    if (this.opts.ownsAudit) (this.opts.audit as { close?: () => void } | undefined)?.close?.();
    this.changeListeners.clear();
    this.eventListeners.clear();
  }

  // ---------- setup ----------

  private prepare(name: string, entry: ServerEntry): ServerConnection | undefined {
    const transport: TransportKind = entry.kind === 'stdio' ? 'stdio' : entry.type ?? 'http';
    const fixed = (state: 'rejected' | 'disabled', error?: string, rule?: string) => {
      this.staticServers.set(name, {
        status: { name, state, transport, toolCount: 0, restarts: 0, ...(error ? { error } : {}), ...(rule ? { rule } : {}) },
      });
      return undefined;
    };
    if (!entry.enabled) return fixed('disabled');
    const verdict = (this.opts.validator ?? getValidator()).validate(name, entry, {
      allowUnsafe: this.opts.allowUnsafe ?? false,
      extraWhitelist: this.config.security.allowedCommands,
    });
    if (!verdict.ok) return fixed('rejected', `${verdict.message} [rule: ${verdict.rule}]`, verdict.rule);
    if (verdict.bypassed) {
      this.opts.onWarning?.(verdict.warning);
      this.auditBypass(name, entry, verdict.warning);
    }
    let spec: ConnectSpec;
    let stderrLog: ServerStderrLog | undefined;
    if (entry.kind === 'stdio') {
      spec = { kind: 'stdio', command: entry.command, args: entry.args, env: buildServerEnv(entry.env), ...(entry.cwd ? { cwd: entry.cwd } : {}) };
      stderrLog = new ServerStderrLog(this.opts.logDir ?? defaultLogDir(), name);
      this.logs.push(stderrLog);
    } else {
      const authProvider =
        entry.oauth === false
          ? undefined
          : new VmlxOAuthProvider({ server: name, url: entry.url, settings: entry.oauth, store: this.tokenStore() });
      spec = { kind: entry.type ?? 'auto', url: entry.url, headers: entry.headers, ...(authProvider ? { authProvider } : {}) };
    }
    const conn = new ServerConnection({
      name,
      spec,
      connectTimeoutMs: this.opts.connectTimeoutMs ?? entry.timeout ?? DEFAULT_CONNECT_TIMEOUT_MS,
      ...(stderrLog ? { stderrLog } : {}),
      ...(this.opts.restartPolicy ? { restartPolicy: this.opts.restartPolicy } : {}),
      host: this.host,
    });
    conn.on((e) => this.handleEvent(e));
    this.connections.set(name, conn);
    return conn;
  }

  private handleEvent(e: ConnectionEvent): void {
    if (this.closed) return;
    if (e.type === 'tools' || e.type === 'status') this.rebuildTools();
    this.catalog.sync(e.type === 'status' ? e.status.name : e.server);
    for (const l of [...this.eventListeners]) safely(() => l(e));
    if (e.type === 'tools' || e.type === 'status') for (const l of [...this.changeListeners]) safely(l);
  }

  /** Recomputes the exposed tool list in config order, so names stay stable across refreshes. */
  private rebuildTools(): void {
    const raw: Array<{ server: string; tool: Tool }> = [];
    for (const name of this.order) {
      const conn = this.connections.get(name);
      if (!conn || conn.status().state !== 'connected') continue;
      for (const tool of conn.listTools()) raw.push({ server: name, tool });
    }
    const names = assignQualifiedNames(raw.map((r) => ({ server: r.server, name: r.tool.name })));
    this.tools = raw.map((r, i) => ({
      qualifiedName: names[i]!,
      server: r.server,
      name: r.tool.name,
      ...(r.tool.description !== undefined ? { description: r.tool.description } : {}),
      inputSchema: r.tool.inputSchema as Record<string, unknown>,
      highRisk: isHighRiskTool(r.tool.name),
      ...(r.tool.annotations ? { annotations: hintsOf(r.tool.annotations) } : {}),
    }));
    this.byQualified = new Map(this.tools.map((t) => [t.qualifiedName, t]));
  }

  private tokens: TokenStore | undefined;

  private tokenStore(): TokenStore {
    this.tokens ??= this.opts.tokenStorePath ? new TokenStore(this.opts.tokenStorePath) : TokenStore.forHome();
    return this.tokens;
  }

  private entry(server: string): ServerEntry | undefined {
    return this.config.mcpServers[server];
  }

  // ---------- audit ----------

  private audit(
    server: string,
    tool: string,
    args: unknown,
    opts: CallToolOptions,
    outcome: ToolCallOutcome,
    decision: 'allow' | 'deny',
    rule: string,
  ): void {
    if (!this.opts.audit && !this.opts.sandbox) return;
    const resultText = outcome.status === 'ok' || outcome.status === 'tool_error' ? outcome.text : '';
    try {
      this.writeAudit({
        sessionId: opts.sessionId ?? this.opts.sessionId,
        origin: opts.origin,
        server,
        tool,
        arguments: args,
        decision: decision === 'allow' ? 'allowed' : 'denied',
        rule,
        success: outcome.status === 'ok',
        error: outcome.status === 'ok' ? undefined : `${outcome.status}: ${outcome.error ?? ''}`,
        durationMs: outcome.durationMs,
        resultSize: Buffer.byteLength(resultText, 'utf8'),
        resultPreview: resultText.slice(0, PREVIEW_CHARS),
      });
    } catch (err) {
      // The audit log failing must not crash a tool call; the user still hears about it.
      this.opts.onWarning?.(`audit log write failed: ${(err as Error).message}`);
    }
  }

  /**
   * One row per attempt: into the audit log, and through the sandbox so a caller's auditCallback sees it
   * (the default sandbox writes to the audit log itself, so nothing is recorded twice).
   */
  private writeAudit(entry: AuditEntry): void {
    const audit = this.opts.audit;
    if (audit && this.sandbox.auditSink !== audit) audit.record(entry);
    if (audit || this.opts.sandbox) this.sandbox.record(entry);
  }

  private auditBypass(server: string, entry: ServerEntry, message: string): void {
    if (!this.opts.audit) return;
    try {
      recordSecurityBypass(this.opts.audit, server, {
        origin: this.opts.origin ?? 'cli',
        ...(this.opts.sessionId !== undefined ? { session: this.opts.sessionId } : {}),
        ...(entry.kind === 'stdio' ? { command: entry.command, args: entry.args } : { url: entry.url }),
        message,
      });
    } catch (err) {
      this.opts.onWarning?.(`audit log write failed: ${(err as Error).message}`);
    }
  }
}

function isAbsoluteDirectory(arg: string): boolean {
  if (!isAbsolute(arg)) return false;
  try {
    return statSync(arg).isDirectory();
  } catch {
    return false;
  }
}

function isArgumentObject(args: unknown): args is Record<string, unknown> | undefined | null {
  return args === undefined || args === null || (typeof args === 'object' && !Array.isArray(args));
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // A listener's bug must not break the manager.
  }
}
