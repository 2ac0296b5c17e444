// Slash commands: /help, /tools, /servers, /mcp, /audit, /clear, /compact, /model, /exit (and MCP prompts, see
// agent/input/prompt-command.ts). Pure: they return what to show or do.
import { loginCommand } from '../agent/mcp/login-state.js';
import type { ReplBackend } from './backend.js';
import { runSessionCommand, SESSION_COMMANDS, type SessionSlashResult } from './session-commands.js';
import { MCP_USAGE, mcpCommand } from './mcp-command.js';

export type SlashResult =
  | { kind: 'output'; text: string }
  | { kind: 'error'; text: string }
  | { kind: 'clear' }
  | { kind: 'compact' }
  | { kind: 'exit' }
  | SessionSlashResult
  /** Work that takes a while (/mcp reconnect): `text` now, the outcome when `done` settles. */
  | { kind: 'pending'; text: string; done: Promise<{ ok: boolean; text: string }> };

export const SLASH_COMMANDS: Array<{ name: string; usage: string; help: string }> = [
  { name: 'help', usage: '/help', help: 'this list, and the keys' },
  { name: 'tools', usage: '/tools', help: 'the MCP tools the model can call' },
  { name: 'servers', usage: '/servers', help: 'MCP servers and their state' },
  { name: 'mcp', usage: MCP_USAGE, help: 'MCP servers in detail (tools, prompts, resources, policies); reconnect or restart one' },
  { name: 'audit', usage: '/audit [N]', help: 'the most recent audit log entries (default 10)' },
  { name: 'clear', usage: '/clear', help: 'start a new conversation (and clear the screen)' },
  { name: 'compact', usage: '/compact', help: 'replace the older turns with a summary the model writes (frees context)' },
  ...SESSION_COMMANDS,
  { name: 'model', usage: '/model', help: 'the loaded model' },
  { name: 'exit', usage: '/exit', help: 'quit (also Ctrl-C twice, or Ctrl-D)' },
];

const KEYS = [
  'Enter send · Alt+Enter or a trailing \\ for a new line · ↑/↓ history',
  'Esc or Ctrl-C cancels the current step (twice: the whole turn) · Ctrl-O expands tool results and reasoning',
  'MCP prompts: /server:prompt name=value · @server:uri attaches a resource, @path a file here · Tab completes',
  'Confirmations: y once · a always for this tool this session · s always, saved to the MCP config · n or Enter deny · Esc deny and stop the turn',
];

export function isSlashCommand(line: string): boolean {
  return /^\/[a-z]/i.test(line.trim());
}

/** Commands that may run while a turn is running: they only read, or (the approval mode) act on its next calls. */
const WHILE_BUSY = new Set(['approval-mode', 'help', 'tools', 'servers', 'audit', 'sessions', 'model']);

export function runsWhileBusy(line: string): boolean {
  if (!isSlashCommand(line)) return false;
  return WHILE_BUSY.has(line.trim().slice(1).split(/\s+/)[0]!.toLowerCase());
}

function describeServer(s: ReturnType<ReplBackend['statuses']>[number]): string {
  if (s.needsLogin) return `${s.name} (${s.transport}): needs a login — run ${loginCommand(s.name)}`;
  const detail =
    s.state === 'connected'
      ? `${s.toolCount} tool${s.toolCount === 1 ? '' : 's'}${s.serverInfo ? `, ${s.serverInfo.name} ${s.serverInfo.version}` : ''}`
      : s.error ?? '';
  return `${s.name} (${s.transport}): ${s.state}${detail ? ` — ${detail}` : ''}`;
}

export function runSlashCommand(line: string, backend: ReplBackend): SlashResult {
  const [rawName, ...args] = line.trim().slice(1).split(/\s+/);
  const name = rawName.toLowerCase();
  switch (name) {
    case 'help':
      return {
        kind: 'output',
        text: [...SLASH_COMMANDS.map((c) => `${c.usage.padEnd(21)} ${c.help}`), '', ...KEYS].join('\n'),
      };
    case 'tools': {
      const tools = backend.tools();
      if (tools.length === 0) return { kind: 'output', text: 'no tools (no MCP server is connected)' };
      return {
        kind: 'output',
        text: tools
          .map((t) => `${t.qualifiedName}${t.highRisk ? ' [high risk]' : ''}${t.description ? ` — ${t.description.split('\n')[0]}` : ''}`)
          .join('\n'),
      };
    }
    case 'servers': {
      const servers = backend.statuses();
      return { kind: 'output', text: servers.length ? servers.map(describeServer).join('\n') : 'no MCP servers configured' };
    }
    case 'audit': {
      const limit = args[0] === undefined ? 10 : Number(args[0]);
      if (!Number.isInteger(limit) || limit <= 0) return { kind: 'error', text: `/audit: '${args[0]}' is not a positive whole number` };
      const rows = backend.recentAudit(limit);
      return { kind: 'output', text: rows.length ? rows.join('\n') : 'the audit log has no entries yet' };
    }
    case 'mcp':
      return mcpCommand(args, backend.mcp);
    case 'clear':
      return { kind: 'clear' };
    case 'compact':
      return { kind: 'compact' };
    case 'model': {
      const i = backend.modelInfo;
      const quant = i.quantization ? `${i.quantization.bits}-bit (group ${i.quantization.groupSize})` : 'not quantized';
      return {
        kind: 'output',
        text: `${backend.modelName}: ${i.modelType} (${i.arch}), ${i.numLayers} layers, context ${i.contextLength}, ${quant}\n${i.dir}`,
      };
    }
    case 'exit':
    case 'quit':
      return { kind: 'exit' };
    default:
      return runSessionCommand(name, args, backend) ?? { kind: 'error', text: `unknown command /${name}; /help lists the commands` };
  }
}
