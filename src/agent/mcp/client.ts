// One MCP server as vmlx sees it: an SDK Client over a transport, its status, its full tool list
// (all pages, refreshed on tools/list_changed), and restarts with backoff when a stdio server dies.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ToolListChangedNotificationSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { connectServer, describeTransportError, TransportConfigError, transportKindOf, type ConnectSpec } from './transports.js';
import { atStep, findNeedsLogin } from './errors.js';
import { RestartTracker, DEFAULT_RESTART_POLICY, type RestartPolicy } from './restart.js';
import { ProcessTree } from './process-tree.js';
import { linkedSignal } from './linked-signal.js';
import { listAllTools } from './list-pages.js';
import { withDeadline } from './deadline.js';

export { listAllTools, MAX_TOOL_PAGES } from './list-pages.js';
import type { ServerStderrLog } from './stderr-log.js';
import type { McpHost } from './host.js';
import type { ServerState, ServerStatus } from './types.js';

/**
 * How often a stdio server's direct child is checked (one /proc read). The whole tree is re-walked only
 * every WATCH_REFRESH_EVERY ticks (10 s): a walk reads every /proc/PID/stat (~13 ms for 85 processes), and
 * the walks at connect and before close already cover servers that do not spawn helpers later.
 */
const WATCH_INTERVAL_MS = 500;
const WATCH_REFRESH_EVERY = 20;
const CLIENT_INFO = { name: 'vmlx', version: '0.1.0' };

export interface ManagedServerStatus extends ServerStatus {
  /** pid of the stdio child while it runs. */
  pid?: number;
  /** Restarts after crashes since vmlx started this server. */
  restarts: number;
  /** Where a stdio server's stderr goes. */
  logFile?: string;
  /** For rejected servers: the validator rule that fired. */
  rule?: string;
}

export type ConnectionEvent =
  | { type: 'status'; status: ManagedServerStatus }
  | { type: 'tools'; server: string; tools: Tool[] }
  | { type: 'exit'; server: string; pid: number | null; reason: string }
  | { type: 'restart-scheduled'; server: string; attempt: number; delayMs: number };

export interface ServerConnectionOptions {
  name: string;
  spec: ConnectSpec;
  connectTimeoutMs: number;
  stderrLog?: ServerStderrLog;
  restartPolicy?: RestartPolicy;
  now?: () => number;
  /** Roots, elicitation and sampling offered to the server; without it the client declares no capabilities. */
  host?: McpHost;
}

export interface CallProgress {
  progress: number;
  total?: number;
  message?: string;
}

export interface RawCallOptions {
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  /**
   * Progress notifications of a long-running tool. When set, each notification re-arms the timeout and
   * maxTotalTimeoutMs bounds the whole call.
   */
  onProgress?: ((p: CallProgress) => void) | undefined;
  maxTotalTimeoutMs?: number | undefined;
}

/** A call was made to a server that is not connected right now. */
export class ServerUnavailableError extends Error {
  constructor(readonly server: string, readonly state: ServerState, detail?: string) {
    super(`MCP server '${server}' is not connected (${state}${detail ? `: ${detail}` : ''})`);
    this.name = 'ServerUnavailableError';
  }
}

export class ServerConnection {
  readonly name: string;
  private readonly spec: ConnectSpec;
  private readonly opts: ServerConnectionOptions;
  private readonly restart: RestartTracker;
  private readonly listeners = new Set<(e: ConnectionEvent) => void>();
  private state: ServerState = 'connecting';
  private error: string | undefined;
  private client: Client | undefined;
  private transport: Transport | undefined;
  private kind;
  private pid: number | null = null;
  /** The connected stdio server's child and its descendants (npx → sh → node). */
  private tree: ProcessTree | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  /** Terminations of the trees of crashed children, awaited by close(). */
  private readonly reaping = new Set<Promise<void>>();
  private serverInfo: { name: string; version: string } | undefined;
  private tools: Tool[] = [];
  private restarts = 0;
  /** Bumped on every connection attempt; stale callbacks compare against it. */
  private generation = 0;
  private closing = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private refreshing = false;
  private refreshAgain = false;
  private listChangedEarly = false;
  private settledWaiters: Array<() => void> = [];
  private needsLogin = false;

  constructor(opts: ServerConnectionOptions) {
    this.opts = opts;
    this.name = opts.name;
    this.spec = opts.spec;
    this.kind = transportKindOf(opts.spec);
    this.restart = new RestartTracker(opts.restartPolicy ?? DEFAULT_RESTART_POLICY, opts.now);
  }

  on(listener: (e: ConnectionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(): ManagedServerStatus {
    return {
      name: this.name,
      state: this.state,
      transport: this.kind,
      toolCount: this.tools.length,
      ...(this.error !== undefined ? { error: this.error } : {}),
      ...(this.serverInfo ? { serverInfo: this.serverInfo } : {}),
      ...(this.pid !== null ? { pid: this.pid } : {}),
      restarts: this.restarts,
      ...(this.opts.stderrLog ? { logFile: this.opts.stderrLog.path } : {}),
      ...(this.needsLogin ? { needsLogin: true } : {}),
    };
  }

  listTools(): Tool[] {
    return this.tools;
  }

  /** The SDK client while connected (prompts and resources are read through it; see catalog.ts). */
  connectedClient(): Client | undefined {
    return this.state === 'connected' ? this.client : undefined;
  }

  /** First connection; resolves once connected or failed, never rejects. */
  async start(): Promise<void> {
    await this.connect();
  }

  /**
   * Connects again a server that failed (gave up restarting, timed out, refused). Resolves once it
   * settled; does nothing for a server that is connected, connecting or closed.
   */
  async reconnect(): Promise<void> {
    if (this.closing || this.state !== 'failed') return;
    this.restart.reset();
    this.error = undefined;
    await this.connect();
  }

  /** Drops a connected server (its process tree too) and connects it again: the user asked (/mcp reconnect). */
  async restartConnected(): Promise<void> {
    if (this.closing || this.state !== 'connected') return;
    const { client, tree } = this;
    this.generation += 1; // the old connection closing below is not a crash to restart from
    this.stopWatchdog();
    [this.client, this.transport, this.tree, this.pid, this.tools] = [undefined, undefined, undefined, null, []];
    await client?.close().catch(() => {});
    await tree?.terminate();
    this.restart.reset();
    await this.connect();
  }

  /** Resolves when the server is no longer connecting (connected or failed). */
  settled(): Promise<void> {
    if (this.state !== 'connecting') return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  async callTool(tool: string, args: Record<string, unknown>, opts: RawCallOptions): Promise<CallToolResult> {
    const client = this.client;
    if (this.state !== 'connected' || !client) throw new ServerUnavailableError(this.name, this.state, this.error);
    // The SDK adds an abort listener to the signal it is given and never removes it. A turn passes one
    // signal to many calls, so each call gets its own signal, linked to the caller's only while it runs.
    const call = linkedSignal(opts.signal);
    try {
      return await this.callWithSignal(client, tool, args, opts, call.signal);
    } finally {
      call.unlink();
    }
  }

  private async callWithSignal(client: Client, tool: string, args: Record<string, unknown>, opts: RawCallOptions, signal: AbortSignal | undefined): Promise<CallToolResult> {
    const onProgress = opts.onProgress;
    const result = await client.callTool({ name: tool, arguments: args }, undefined, {
      signal,
      timeout: opts.timeoutMs,
      ...(onProgress
        ? {
            onprogress: (p: CallProgress) => onProgress({ progress: p.progress, ...(p.total !== undefined ? { total: p.total } : {}), ...(p.message !== undefined ? { message: p.message } : {}) }),
            resetTimeoutOnProgress: true,
            maxTotalTimeout: opts.maxTotalTimeoutMs ?? opts.timeoutMs * 10,
          }
        : {}),
    });
    return result as CallToolResult;
  }

  /** Tells a connected server that its roots changed (it asks again with roots/list). */
  async notifyRootsChanged(): Promise<void> {
    if (this.state !== 'connected' || !this.client) return;
    await this.client.sendRootsListChanged().catch(() => {});
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.stopWatchdog();
    // While connecting, only the transport knows the child's pid. The tree is walked before the transport
    // closes: once the direct child exits, its descendants can no longer be found.
    const pid = this.pid ?? pidOf(this.transport);
    const tree = this.tree ?? (pid !== null ? new ProcessTree(pid) : undefined);
    tree?.refresh();
    this.tree = undefined;
    const transport = this.transport;
    const client = this.client;
    this.client = undefined;
    this.transport = undefined;
    if (transport instanceof StreamableHTTPClientTransport && transport.sessionId) {
      await withDeadline(transport.terminateSession(), 1_000).catch(() => {});
    }
    await (client ? client.close() : transport?.close())?.catch(() => {});
    await tree?.terminate();
    await Promise.all(this.reaping);
    this.pid = null;
    this.tools = [];
    if (this.state === 'connecting') this.setState('failed', 'closed before it connected');
    this.releaseWaiters();
  }

  private async connect(): Promise<void> {
    const gen = ++this.generation;
    this.setState('connecting', this.error);
    let pending: Transport | undefined;
    let attemptTree: ProcessTree | undefined;
    let abandoned = false;
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = this.opts.connectTimeoutMs;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ConnectTimeoutError(timeoutMs)), timeoutMs);
    });
    const work = (async () => {
      const connected = await connectServer(this.spec, {
        makeClient: () => this.makeClient(gen),
        server: this.name,
        timeoutMs,
        onStderr: (stream) => this.opts.stderrLog?.attach(stream),
        onTransport: (t) => {
          pending = t;
          this.transport = t;
        },
      }).catch((err: unknown) => {
        throw atStep(this.spec.kind === 'stdio' && isSpawnFailure(err) ? 'start' : 'initialize', err, describeTransportError);
      });
      if (abandoned) {
        await connected.client.close().catch(() => {});
        throw new Error('connection attempt abandoned');
      }
      this.client = connected.client;
      this.kind = connected.kind;
      this.pid = connected.pid;
      // Initialized: the process that answered exists now, however deep below the child it runs.
      if (connected.pid !== null) attemptTree = new ProcessTree(connected.pid);
      if (connected.pid !== null) this.opts.stderrLog?.note(`started pid ${connected.pid}`);
      connected.client.onclose = () => this.handleClosed(gen);
      const tools = await listAllTools(connected.client).catch((err: unknown) => {
        throw atStep('tools/list', err, describeTransportError);
      });
      return { connected, tools };
    })();
    try {
      const { connected, tools } = await Promise.race([work, timedOut]);
      if (this.closing || gen !== this.generation) {
        await connected.client.close().catch(() => {});
        await attemptTree?.terminate();
        return;
      }
      this.tree = attemptTree;
      this.startWatchdog(gen);
      this.tools = tools;
      this.serverInfo = connected.client.getServerVersion()
        ? { name: connected.client.getServerVersion()!.name, version: connected.client.getServerVersion()!.version }
        : undefined;
      this.restart.markConnected();
      this.needsLogin = false;
      this.setState('connected', undefined);
      this.emit({ type: 'tools', server: this.name, tools: this.tools });
      if (this.listChangedEarly) this.requestRefresh(gen);
    } catch (err) {
      abandoned = true;
      work.catch(() => {});
      // A timed-out or failed attempt must not leave its child, or the child's children, behind.
      const failedPid = this.pid ?? pidOf(pending);
      const failedTree = attemptTree ?? (failedPid !== null ? new ProcessTree(failedPid) : undefined);
      await pending?.close().catch(() => {});
      await failedTree?.terminate();
      if (gen !== this.generation) return;
      this.client = undefined;
      this.transport = undefined;
      this.pid = null;
      if (this.closing) return;
      this.needsLogin = findNeedsLogin(err) !== undefined;
      const reason = this.describe(err);
      if (this.restarts > 0 || this.restart.attempt > 0) this.scheduleRestart(reason);
      else this.setState('failed', reason);
    } finally {
      clearTimeout(timer);
    }
  }

  private makeClient(gen: number): Client {
    const host = this.opts.host;
    const client = new Client(CLIENT_INFO, { capabilities: host ? host.capabilities(this.name) : {} });
    host?.install(client, this.name);
    this.listChangedEarly = false;
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      if (gen !== this.generation) return;
      if (this.state === 'connected') this.requestRefresh(gen);
      else this.listChangedEarly = true;
    });
    return client;
  }

  /** Re-lists all pages; a notification that arrives meanwhile triggers one more pass. */
  private requestRefresh(gen: number): void {
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    void (async () => {
      try {
        do {
          this.refreshAgain = false;
          const client = this.client;
          if (!client || gen !== this.generation || this.state !== 'connected') return;
          try {
            const tools = await listAllTools(client);
            if (gen !== this.generation || this.state !== 'connected') return;
            this.tools = tools;
            this.emit({ type: 'tools', server: this.name, tools });
            this.emitStatus();
          } catch {
            // The server went away mid-refresh; the close handler reports it.
            return;
          }
        } while (this.refreshAgain);
      } finally {
        this.refreshing = false;
      }
    })();
  }

  private handleClosed(gen: number): void {
    if (this.closing || gen !== this.generation || this.state !== 'connected') return;
    const pid = this.pid;
    const logFile = this.opts.stderrLog?.path;
    const reason = this.spec.kind === 'stdio'
      ? `process ${pid ?? ''} exited unexpectedly${logFile ? ` (stderr in ${logFile})` : ''}`.replace('  ', ' ')
      : 'connection closed by the server';
    this.opts.stderrLog?.note(`pid ${pid ?? '?'} exited`);
    this.stopWatchdog();
    if (this.tree) this.reap(this.tree);
    this.tree = undefined;
    this.client = undefined;
    this.transport = undefined;
    this.pid = null;
    this.tools = [];
    this.emit({ type: 'exit', server: this.name, pid, reason });
    if (this.spec.kind === 'stdio') this.scheduleRestart(reason);
    else this.setState('failed', reason);
  }

  /**
   * Watches the direct child of a connected stdio server. When it dies while descendants live on (npx
   * killed, its node server orphaned and still holding the pipes), the transport never sees a close, so
   * the survivors are terminated here; their exit closes the pipes and the usual crash path follows.
   */
  private startWatchdog(gen: number): void {
    const tree = this.tree;
    if (!tree) return;
    let ticks = 0;
    this.watchdog = setInterval(() => {
      if (gen !== this.generation || this.closing || this.tree !== tree) return this.stopWatchdog();
      if (!tree.rootRunning()) {
        this.stopWatchdog();
        this.opts.stderrLog?.note(`pid ${tree.root?.pid ?? '?'} exited; terminating the processes it left behind`);
        this.tree = undefined;
        this.reap(tree);
        return;
      }
      // Servers may start helpers later: record them while their ppid links still lead here.
      if (++ticks % WATCH_REFRESH_EVERY === 0) tree.refresh();
    }, WATCH_INTERVAL_MS);
    this.watchdog.unref();
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  private reap(tree: ProcessTree): void {
    const done: Promise<void> = tree.terminate().then(
      () => undefined,
      () => undefined,
    );
    this.reaping.add(done);
    void done.finally(() => this.reaping.delete(done));
  }

  private scheduleRestart(reason: string): void {
    const next = this.restart.next();
    if (!next) {
      this.setState('failed', `${reason}; gave up after ${this.restart.policy.maxAttempts} restart attempts`);
      return;
    }
    this.setState('connecting', `${reason}; restarting in ${next.delayMs} ms (attempt ${next.attempt}/${this.restart.policy.maxAttempts})`);
    this.emit({ type: 'restart-scheduled', server: this.name, attempt: next.attempt, delayMs: next.delayMs });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.closing) return;
      this.restarts += 1;
      void this.connect();
    }, next.delayMs);
  }

  private describe(err: unknown): string {
    const message = describeTransportError(err);
    if (this.spec.kind !== 'stdio') return message;
    const tail = this.opts.stderrLog?.tail(1)[0];
    return tail && !message.includes(tail) ? `${message} (last stderr: ${tail})` : message;
  }

  private setState(state: ServerState, error: string | undefined): void {
    this.state = state;
    this.error = error;
    this.emitStatus();
    if (state !== 'connecting') this.releaseWaiters();
  }

  private releaseWaiters(): void {
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const w of waiters) w();
  }

  private emitStatus(): void {
    this.emit({ type: 'status', status: this.status() });
  }

  private emit(e: ConnectionEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch {
        // A listener's bug must not break the connection's state machine.
      }
    }
  }
}

export class ConnectTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms while connecting`);
    this.name = 'ConnectTimeoutError';
  }
}

/** The child could not be spawned at all (missing command, bad cwd): the 'start' step failed. */
function isSpawnFailure(err: unknown): boolean {
  if (err instanceof TransportConfigError) return true;
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^(ENOENT|EACCES|ENOTDIR|EPERM)$/.test(code) && /spawn/.test((err as Error).message ?? '');
}

function pidOf(transport: Transport | undefined): number | null {
  const pid = (transport as { pid?: unknown } | undefined)?.pid;
  return typeof pid === 'number' ? pid : null;
}
