// /mcp: every MCP server with its state, its tool, prompt and resource counts and what its tools' policies
// decide; `/mcp reconnect NAME` tries a server again. Pure text, like the other slash commands.
import type { McpCatalog } from '../agent/mcp/catalog.js';
import type { ManagedServerStatus } from '../agent/mcp/client.js';
import type { McpTool, PolicyDecision, ServerStatus } from '../agent/mcp/types.js';

/** The parts of the MCP manager /mcp reads. */
export interface McpPanelSource {
  statuses(): ManagedServerStatus[];
  listTools(): McpTool[];
  policyFor(server: string, tool: string): PolicyDecision;
  reconnect(server: string, opts?: { restart?: boolean }): Promise<ServerStatus | undefined>;
  readonly catalog: Pick<McpCatalog, 'prompts' | 'resources'>;
}

export const MCP_USAGE = '/mcp [reconnect NAME]';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function policySummary(source: McpPanelSource, server: string, tools: McpTool[]): string {
  const counts: Record<PolicyDecision, number> = { allow: 0, ask: 0, deny: 0 };
  for (const t of tools) counts[source.policyFor(server, t.name)] += 1;
  const parts = (['allow', 'ask', 'deny'] as const).filter((d) => counts[d] > 0).map((d) => `${d} ${counts[d]}`);
  return parts.length ? parts.join(', ') : '-';
}

export function describeMcp(source: McpPanelSource): string {
  const statuses = source.statuses();
  if (statuses.length === 0) return 'no MCP servers configured (pass --mcp-config FILE, or create ~/.vmlx/mcp.json)';
  const tools = source.listTools();
  const prompts = source.catalog.prompts();
  const resources = source.catalog.resources();
  const width = Math.max(...statuses.map((s) => s.name.length));
  const lines = statuses.map((s) => {
    const head = `${s.name.padEnd(width)}  ${s.transport.padEnd(5)}  ${s.state}`;
    if (s.state !== 'connected') {
      const detail = [s.error, s.needsLogin ? `run vmlx mcp login ${s.name}` : '', s.logFile ? `log: ${s.logFile}` : ''].filter(Boolean).join(' · ');
      return detail ? `${head} — ${detail}` : head;
    }
    const own = tools.filter((t) => t.server === s.name);
    const counts = [
      plural(own.length, 'tool'),
      plural(prompts.filter((p) => p.server === s.name).length, 'prompt'),
      plural(resources.filter((r) => r.server === s.name).length, 'resource'),
    ].join(' · ');
    const info = s.serverInfo ? ` (${s.serverInfo.name} ${s.serverInfo.version})` : '';
    const restarts = s.restarts > 0 ? ` · restarted ${s.restarts}×` : '';
    return `${head}${info} — ${counts} · policy: ${policySummary(source, s.name, own)}${restarts}`;
  });
  return [`MCP servers (${statuses.length}):`, ...lines.map((l) => `  ${l}`), 'reconnect one with /mcp reconnect NAME'].join('\n');
}

export type McpCommandResult = { kind: 'output'; text: string } | { kind: 'error'; text: string } | { kind: 'pending'; text: string; done: Promise<{ ok: boolean; text: string }> };

export function mcpCommand(args: string[], source: McpPanelSource | undefined): McpCommandResult {
  if (!source) return { kind: 'error', text: '/mcp: this chat has no MCP manager' };
  if (args.length === 0) return { kind: 'output', text: describeMcp(source) };
  if (args[0] !== 'reconnect' || args.length !== 2) return { kind: 'error', text: `usage: ${MCP_USAGE}` };
  const name = args[1]!;
  const status = source.statuses().find((s) => s.name === name);
  if (!status) return { kind: 'error', text: `/mcp reconnect: no MCP server named '${name}' (servers: ${source.statuses().map((s) => s.name).join(', ') || 'none'})` };
  if (status.state === 'rejected' || status.state === 'disabled') {
    return { kind: 'error', text: `/mcp reconnect: '${name}' is ${status.state}${status.error ? ` (${status.error})` : ''}; change its config and restart the chat` };
  }
  if (status.state === 'connecting') return { kind: 'output', text: `${name} is connecting already` };
  const done = source.reconnect(name, { restart: true }).then(
    (s) =>
      s?.state === 'connected'
        ? { ok: true, text: `${name}: reconnected, ${plural(s.toolCount, 'tool')}` }
        : { ok: false, text: `${name}: ${s?.state ?? 'unknown'}${s?.error ? ` — ${s.error}` : ''}` },
    (err: Error) => ({ ok: false, text: `${name}: reconnect failed: ${err.message}` }),
  );
  return { kind: 'pending', text: `reconnecting ${name}…`, done };
}
