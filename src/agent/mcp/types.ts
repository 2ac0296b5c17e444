// Contract of the MCP layer as the agent loop, the TUI and the server use it.
// The implementation (config, validator, sandbox, audit, client manager) lives beside this file.

export type ServerState = 'connecting' | 'connected' | 'failed' | 'rejected' | 'disabled';
export type TransportKind = 'stdio' | 'http' | 'sse';
export type CallOrigin = 'chat' | 'serve' | 'api' | 'cli';
export type PolicyDecision = 'allow' | 'ask' | 'deny';

export interface ServerStatus {
  name: string;
  state: ServerState;
  transport: TransportKind;
  toolCount: number;
  /** Why it failed or was rejected (validator rule included), when it did. */
  error?: string;
  serverInfo?: { name: string; version: string };
  /** The server answered 401 and has no usable token: `vmlx mcp login NAME` fixes it (see login-state.ts). */
  needsLogin?: boolean;
}

export interface McpTool {
  /** Name exposed to models: `server__tool`, made unique. */
  qualifiedName: string;
  server: string;
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  /** Matches a high-risk pattern (execute, run_command, shell, eval, exec, system, subprocess). */
  highRisk: boolean;
  /** The server's hints about what the tool does (MCP tool annotations), when it gives them. */
  annotations?: { readOnlyHint?: boolean; destructiveHint?: boolean };
}

export type SandboxVerdict =
  | { allowed: true; rule: 'allowed' }
  | { allowed: false; rule: string; reason: string };

/** MCP content items as the SDK returns them (text, image, resource, ...). */
export type McpContent = Array<Record<string, unknown> & { type: string }>;

export interface ToolCallOutcome {
  server: string;
  tool: string;
  /** MCP result content; empty when the call never ran. */
  content: McpContent;
  /** Content flattened to text (what a model is shown before capping). */
  text: string;
  isError: boolean;
  /** Why it failed: tool error, protocol error, timeout, crash, denial or abort. */
  error?: string;
  status: 'ok' | 'tool_error' | 'error' | 'timeout' | 'denied' | 'aborted';
  /** For denials: the sandbox or policy rule that fired. */
  rule?: string;
  durationMs: number;
}

export interface CallToolOptions {
  origin: CallOrigin;
  sessionId?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** The one path by which vmlx runs tools (sandbox → execute → audit). */
export interface ToolExecutor {
  statuses(): ServerStatus[];
  listTools(): McpTool[];
  /** Finds a tool by `server__tool` or, when unambiguous, by its bare name. */
  resolveTool(name: string): McpTool | undefined;
  /** Sandbox check only (no execution, no audit row). */
  checkCall(server: string, tool: string, args: unknown): SandboxVerdict;
  /**
   * Policy from the config for this tool (before any user answer): allow, ask or deny. Where nobody can be
   * asked (origin 'api'), "ask" comes back as deny.
   */
  policyFor(server: string, tool: string, origin?: CallOrigin): PolicyDecision;
  /** Runs a call through the sandbox, executes it and writes the audit row. Never throws. */
  callTool(server: string, tool: string, args: unknown, opts: CallToolOptions): Promise<ToolCallOutcome>;
  /** Audits a call that was refused before execution (policy or user denial). */
  recordRefusal(server: string, tool: string, args: unknown, opts: CallToolOptions & { rule: string; reason: string }): void;
  /** Subscribe to server status and tool-list changes; returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
  close(): Promise<void>;
}
