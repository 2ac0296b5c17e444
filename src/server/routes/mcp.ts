// The MCP endpoints: status, servers, tools (OpenAI tool format) and execute (sandboxed, audited, origin "api").
import type { ServerResponse } from 'node:http';
import type { ServerContext } from '../context.js';
import type { ToolExecutor, McpTool, ServerStatus, ToolCallOutcome } from '../../agent/mcp/types.js';
import { splitQualifiedName } from '../../agent/mcp/tool-names.js';
import { parseMcpExecute, type McpExecuteRequest } from '../schemas.js';
import { ApiError, forbidden, notFound, unavailable } from '../errors.js';
import { sendJson } from '../http-util.js';

export function mcpStatusBody(executor: ToolExecutor | null, withTransport: boolean): object {
  const servers = (executor?.statuses() ?? []).map((s) => ({
    name: s.name,
    state: s.state,
    connected: s.state === 'connected',
    ...(withTransport ? { transport: s.transport } : {}),
    tool_count: s.toolCount,
    error: s.error ?? null,
    ...(s.serverInfo ? { server_info: s.serverInfo } : {}),
  }));
  return {
    enabled: executor !== null,
    servers,
    total_tools: executor?.listTools().length ?? 0,
  };
}

export function openAiTool(t: McpTool): object {
  return {
    type: 'function',
    function: {
      name: t.qualifiedName,
      description: t.description ?? `${t.name} (MCP server ${t.server})`,
      parameters: t.inputSchema,
    },
  };
}

/** Each entry: the name to call it by and its server at the top level, beside the OpenAI `function` object. */
export function mcpToolsBody(executor: ToolExecutor | null): object {
  return { tools: (executor?.listTools() ?? []).map((t) => ({ name: t.qualifiedName, server: t.server, ...openAiTool(t) })) };
}

/** A server that exists but cannot take calls: rejected by the validator, disabled, (re)starting, or given up. */
function unavailableServer(status: ServerStatus): ApiError | null {
  const why = status.error ? `: ${status.error}` : '';
  switch (status.state) {
    case 'connected':
      return null;
    case 'rejected':
      return forbidden(`MCP server '${status.name}' was rejected by the config validator${why}`, 'server_rejected');
    case 'disabled':
      return new ApiError(409, `MCP server '${status.name}' is disabled in the config`, 'invalid_request_error', null, 'server_disabled');
    case 'connecting': {
      // "restarting in 1000 ms (attempt 1/5)": retry once the restart is due.
      const ms = Number(/restarting in (\d+) ms/.exec(status.error ?? '')?.[1] ?? 1000);
      return unavailable(`MCP server '${status.name}' is starting${why}; retry shortly`, 'server_starting', Math.max(1, Math.ceil(ms / 1000)));
    }
    case 'failed':
      return unavailable(`MCP server '${status.name}' is not running${why}`, 'server_unavailable');
  }
}

/** Finds the tool named by either request shape; a `server` plus a qualified `server__tool` name is accepted too. */
function findTool(executor: ToolExecutor | null, req: McpExecuteRequest): McpTool {
  if (!executor) throw notFound('No MCP servers are configured on this server (start it with --mcp-config)', 'mcp_not_configured');
  const statusOf = (name: string) => executor.statuses().find((s) => s.name === name);
  if ('tool_name' in req) {
    const t = executor.resolveTool(req.tool_name);
    if (t) return t;
    // The tools of a server that is not connected are not listed: say why instead of "unknown".
    const split = splitQualifiedName(req.tool_name);
    const status = split && statusOf(split.server);
    const down = status && unavailableServer(status);
    if (down) throw down;
    throw notFound(`Unknown MCP tool '${req.tool_name}'`, 'tool_not_found');
  }
  const status = statusOf(req.server);
  if (!status) throw notFound(`Unknown MCP server '${req.server}'`, 'server_not_found');
  const down = unavailableServer(status);
  if (down) throw down;
  const tools = executor.listTools().filter((t) => t.server === req.server);
  const t = tools.find((x) => x.name === req.tool) ?? tools.find((x) => x.qualifiedName === req.tool);
  if (!t) throw notFound(`MCP server '${req.server}' has no tool '${req.tool}'`, 'tool_not_found');
  return t;
}

/** A sandbox refusal as the status a client can act on. */
function refusal(outcome: ToolCallOutcome): ApiError {
  const rule = outcome.rule ?? 'denied';
  const message = `Tool call refused by the sandbox (${rule}): ${outcome.error}`;
  switch (rule) {
    case 'rate_limit': {
      const seconds = Number(/retry in (\d+) s/.exec(outcome.error ?? '')?.[1] ?? 60);
      return new ApiError(429, message, 'rate_limit_error', null, rule, { 'retry-after': String(seconds) });
    }
    case 'argument_size':
      return new ApiError(413, message, 'invalid_request_error', 'arguments', rule);
    case 'invalid_arguments':
      return new ApiError(400, message, 'invalid_request_error', 'arguments', rule);
    default:
      return forbidden(message, rule);
  }
}

export async function handleMcpExecute(ctx: ServerContext, body: unknown, res: ServerResponse, signal: AbortSignal): Promise<void> {
  const req = parseMcpExecute(body);
  const tool = findTool(ctx.executor, req);
  const executor = ctx.executor!;
  // An API client cannot be asked, so "ask" counts as deny here (set toolPolicies to "allow" to expose a tool).
  const policy = executor.policyFor(tool.server, tool.name);
  if (policy !== 'allow') {
    const reason = policy === 'ask' ? `${tool.qualifiedName} needs confirmation (policy "ask"), which an API call cannot give` : `policy denies ${tool.qualifiedName}`;
    executor.recordRefusal(tool.server, tool.name, req.arguments, { origin: 'api', rule: 'policy_deny', reason });
    throw forbidden(`Tool call refused: ${reason}`, 'policy_deny');
  }
  // callTool runs the sandbox first and audits the attempt either way.
  const outcome = await executor.callTool(tool.server, tool.name, req.arguments, { origin: 'api', signal });
  if (outcome.status === 'denied') throw refusal(outcome);
  if (signal.aborted) return;
  // The server rejected the arguments at the protocol level (JSON-RPC "invalid params").
  if (outcome.status === 'error' && /MCP error -32602\b/.test(outcome.error ?? '')) {
    throw new ApiError(400, `MCP server '${tool.server}' rejected the arguments: ${outcome.error}`, 'invalid_request_error', 'arguments', 'invalid_arguments');
  }
  sendJson(res, 200, {
    server: tool.server,
    tool: tool.name,
    result: outcome.content,
    is_error: outcome.isError,
    error: outcome.isError ? (outcome.error ?? outcome.text) : null,
    duration_ms: outcome.durationMs,
  });
}
