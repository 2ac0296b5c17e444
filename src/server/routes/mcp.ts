// The MCP endpoints: status, servers, tools (OpenAI tool format) and execute (sandboxed, audited, origin "api").
import type { ServerResponse } from 'node:http';
import type { ServerContext } from '../context.js';
import type { ToolExecutor, McpTool } from '../../agent/mcp/types.js';
import { McpExecuteRequest, parseBody } from '../schemas.js';
import { forbidden, notFound } from '../errors.js';
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

/** Finds the tool named by either request shape; a `server` plus a qualified `server__tool` name is accepted too. */
function findTool(executor: ToolExecutor | null, req: McpExecuteRequest): McpTool {
  if (!executor) throw notFound('No MCP servers are configured on this server (start it with --mcp-config)', 'mcp_not_configured');
  if ('tool_name' in req) {
    const t = executor.resolveTool(req.tool_name);
    if (!t) throw notFound(`Unknown MCP tool '${req.tool_name}'`, 'tool_not_found');
    return t;
  }
  const status = executor.statuses().find((s) => s.name === req.server);
  if (!status) throw notFound(`Unknown MCP server '${req.server}'`, 'server_not_found');
  const tools = executor.listTools().filter((t) => t.server === req.server);
  const t = tools.find((x) => x.name === req.tool) ?? tools.find((x) => x.qualifiedName === req.tool);
  if (!t) throw notFound(`MCP server '${req.server}' has no tool '${req.tool}'`, 'tool_not_found');
  return t;
}

export async function handleMcpExecute(ctx: ServerContext, body: unknown, res: ServerResponse, signal: AbortSignal): Promise<void> {
  const req = parseBody(McpExecuteRequest, body);
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
  if (outcome.status === 'denied') {
    throw forbidden(`Tool call refused by the sandbox (${outcome.rule}): ${outcome.error}`, outcome.rule ?? 'denied');
  }
  if (signal.aborted) return;
  sendJson(res, 200, {
    server: tool.server,
    tool: tool.name,
    result: outcome.content,
    is_error: outcome.isError,
    error: outcome.isError ? (outcome.error ?? outcome.text) : null,
    duration_ms: outcome.durationMs,
  });
}
