// A scripted ToolExecutor for pure loop tests (no processes): tools with handlers, a policy table, a sandbox
// rule, and a record of every call and refusal. The MCP-backed tests use the real McpManager instead.
import type {
  CallToolOptions,
  McpTool,
  PolicyDecision,
  SandboxVerdict,
  ServerStatus,
  ToolCallOutcome,
  ToolExecutor,
} from '../../src/agent/mcp/types.js';

export type FakeHandler = (args: Record<string, unknown>, signal: AbortSignal | undefined) => Promise<string> | string;

export interface FakeTool {
  server: string;
  name: string;
  policy?: PolicyDecision;
  handler: FakeHandler;
  highRisk?: boolean;
  annotations?: McpTool['annotations'];
}

export class FakeExecutor implements ToolExecutor {
  readonly calls: Array<{ server: string; tool: string; args: unknown; opts: CallToolOptions }> = [];
  readonly refusals: Array<{ server: string; tool: string; args: unknown; rule: string; reason: string }> = [];
  active = 0;
  maxActive = 0;
  closed = false;

  constructor(
    private readonly tools: FakeTool[],
    private readonly sandbox: (server: string, tool: string, args: unknown) => SandboxVerdict = () => ({ allowed: true, rule: 'allowed' }),
  ) {}

  statuses(): ServerStatus[] {
    const servers = [...new Set(this.tools.map((t) => t.server))];
    return servers.map((name) => ({ name, state: 'connected', transport: 'stdio', toolCount: this.tools.filter((t) => t.server === name).length }));
  }

  listTools(): McpTool[] {
    return this.tools.map((t) => ({
      qualifiedName: `${t.server}__${t.name}`,
      server: t.server,
      name: t.name,
      description: `fake ${t.name}`,
      inputSchema: { type: 'object', properties: {} },
      highRisk: t.highRisk ?? false,
      ...(t.annotations ? { annotations: t.annotations } : {}),
    }));
  }

  resolveTool(name: string): McpTool | undefined {
    return this.listTools().find((t) => t.qualifiedName === name);
  }

  checkCall(server: string, tool: string, args: unknown): SandboxVerdict {
    return this.sandbox(server, tool, args);
  }

  policyFor(server: string, tool: string): PolicyDecision {
    return this.tools.find((t) => t.server === server && t.name === tool)?.policy ?? 'allow';
  }

  async callTool(server: string, tool: string, args: unknown, opts: CallToolOptions): Promise<ToolCallOutcome> {
    this.calls.push({ server, tool, args, opts });
    const def = this.tools.find((t) => t.server === server && t.name === tool);
    const started = Date.now();
    const base = { server, tool, content: [], durationMs: 0 };
    if (!def) return { ...base, text: '', isError: true, status: 'error', error: 'no such tool' };
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      const text = await def.handler(args as Record<string, unknown>, opts.signal);
      return { ...base, content: [{ type: 'text', text }], text, isError: false, status: 'ok', durationMs: Date.now() - started };
    } catch (err) {
      const aborted = opts.signal?.aborted ?? false;
      return { ...base, text: '', isError: true, status: aborted ? 'aborted' : 'tool_error', error: (err as Error).message, durationMs: Date.now() - started };
    } finally {
      this.active -= 1;
    }
  }

  recordRefusal(server: string, tool: string, args: unknown, opts: CallToolOptions & { rule: string; reason: string }): void {
    this.refusals.push({ server, tool, args, rule: opts.rule, reason: opts.reason });
  }

  onChange(): () => void {
    return () => undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** Resolves when the signal aborts, rejecting like a cancelled call. */
export function untilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (!signal) return;
    if (signal.aborted) return reject(new Error('aborted'));
    signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
  });
}
