// `vmlx mcp status|tools|call`: connect to the configured MCP servers and report on them, or run one
// tool call through the sandbox (audited, origin 'cli'). Attaches to the `mcp` group of ./mcp.ts.
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { auditRetentionOption } from '../audit-options.js';
import { UserError } from '../errors.js';
import { mcpCommandGroup } from './mcp.js';
import { startMcpFromConfig } from '../../agent/mcp/runtime.js';
import type { McpManager } from '../../agent/mcp/manager.js';
import { findServerTool } from '../../agent/mcp/tool-names.js';
import { readLogTail, tellingStderrLine, withoutNoisyStderr } from './mcp-failure.js';
import type { ManagedServerStatus } from '../../agent/mcp/client.js';
import { AuditLog } from '../../agent/audit/index.js';
import { defaultAuditDbPath, defaultMcpConfigPath } from '../../agent/paths.js';

interface CommonOpts {
  mcpConfig?: string;
  allowUnsafeMcp?: boolean;
  auditDb?: string;
  auditRetentionDays?: number;
  json?: boolean;
  connectTimeout?: number;
}

interface CallOpts extends CommonOpts {
  timeout?: number;
}

function positiveInt(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${flag} must be a positive integer (milliseconds)`);
    return n;
  };
}

function commonOptions(cmd: Command): Command {
  return cmd
    .option('--mcp-config <file>', 'MCP config file (default: ~/.vmlx/mcp.json)')
    .option('--allow-unsafe-mcp', 'honour skip_security_validation (also VMLX_ALLOW_UNSAFE_MCP=1)')
    .option('--audit-db <file>', 'audit log database (default: ~/.vmlx/audit.db)')
    .addOption(auditRetentionOption())
    .option('--connect-timeout <ms>', 'per-server connect timeout', positiveInt('--connect-timeout'));
}

const warn = (msg: string) => process.stderr.write(`vmlx: warning: ${msg}\n`);

async function connect(opts: CommonOpts, onlyServers?: string[]): Promise<McpManager> {
  const manager = await startMcpFromConfig({
    configPath: opts.mcpConfig,
    allowUnsafe: opts.allowUnsafeMcp === true,
    auditDbPath: opts.auditDb,
    auditRetentionDays: opts.auditRetentionDays,
    origin: 'cli',
    onWarning: warn,
    ...(opts.connectTimeout !== undefined ? { connectTimeoutMs: opts.connectTimeout } : {}),
    ...(onlyServers ? { onlyServers } : {}),
  });
  if (!manager) throw new UserError(`no MCP config: pass --mcp-config FILE or create ${defaultMcpConfigPath()}`);
  return manager;
}

function statusDetail(s: ManagedServerStatus): string {
  if (s.state === 'connected') {
    const info = s.serverInfo ? `${s.serverInfo.name} ${s.serverInfo.version}` : '';
    return `${s.toolCount} tool${s.toolCount === 1 ? '' : 's'}${info ? `, ${info}` : ''}${s.pid ? `, pid ${s.pid}` : ''}`;
  }
  if (s.state === 'disabled') return 'enabled: false';
  return withoutNoisyStderr(s.error ?? '');
}

export function registerMcpClientCommands(program: Command): void {
  const mcp = mcpCommandGroup(program);

  commonOptions(mcp.command('status'))
    .description('connect to every configured MCP server and show its state (exit 1 when one failed or was rejected)')
    .option('--json', 'print JSON')
    .action(async (opts: CommonOpts) => {
      const manager = await connect(opts);
      try {
        const statuses = manager.statuses();
        // A health check: any server that is not usable (failed, or rejected by the config checks) fails it.
        if (statuses.some((s) => s.state === 'failed' || s.state === 'rejected')) process.exitCode = 1;
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(statuses, null, 2)}\n`);
          return;
        }
        if (statuses.length === 0) process.stdout.write('no MCP servers configured\n');
        const width = Math.max(4, ...statuses.map((s) => s.name.length));
        for (const s of statuses) {
          process.stdout.write(`${s.name.padEnd(width)}  ${s.state.padEnd(10)}  ${s.transport.padEnd(5)}  ${statusDetail(s)}\n`);
          if (s.state !== 'failed') continue;
          // The cause as the server wrote it (npx: the 404 line, not npm's last line), and where the rest is.
          const indent = ' '.repeat(width + 2);
          const cause = s.logFile ? tellingStderrLine(readLogTail(s.logFile)) : undefined;
          if (cause && !(s.error ?? '').includes(cause)) process.stdout.write(`${indent}stderr: ${cause}\n`);
          if (s.logFile) process.stdout.write(`${indent}log: ${s.logFile}\n`);
        }
      } finally {
        await manager.close();
      }
    });

  commonOptions(mcp.command('tools'))
    .description('connect and list the tools of every server, with their input schemas')
    .option('--json', 'print JSON')
    .action(async (opts: CommonOpts) => {
      const manager = await connect(opts);
      try {
        const tools = manager.listTools();
        for (const s of manager.statuses()) {
          if (s.state === 'failed' || s.state === 'rejected') process.stderr.write(`vmlx: ${s.name}: ${s.state}${s.error ? `: ${s.error}` : ''}\n`);
        }
        // The tools that did load are still listed, but a script must see that the list is incomplete.
        if (manager.statuses().some((s) => s.state === 'failed')) process.exitCode = 1;
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(tools, null, 2)}\n`);
          return;
        }
        if (tools.length === 0) process.stdout.write('no tools\n');
        for (const t of tools) {
          process.stdout.write(`${t.qualifiedName}${t.highRisk ? '  [high risk]' : ''}\n`);
          if (t.description) process.stdout.write(`  ${t.description.split('\n')[0]}\n`);
          process.stdout.write(`  schema: ${JSON.stringify(t.inputSchema)}\n`);
        }
      } finally {
        await manager.close();
      }
    });

  commonOptions(mcp.command('call'))
    .description('run one tool call through the sandbox (audited); prints the result')
    .argument('<server>', 'server name from the config')
    .argument('<tool>', 'tool name as the server lists it, or as `vmlx mcp tools` prints it (server__tool)')
    .argument('[arguments]', 'tool arguments as a JSON object', '{}')
    .option('--timeout <ms>', 'call timeout (default: the server timeout, else 60000)', positiveInt('--timeout'))
    .option('--json', 'print the whole outcome as JSON')
    .action(async (server: string, toolSpelling: string, rawArgs: string, opts: CallOpts) => {
      let args: Record<string, unknown>;
      try {
        args = parseArguments(rawArgs);
      } catch (err) {
        // Refused before any server starts, but still an attempt: it gets its row.
        recordAttempt(opts.auditDb, server, toolSpelling, rawArgs, 'invalid_arguments', (err as Error).message);
        throw err;
      }
      // Ctrl-C cancels the call (the server gets notifications/cancelled) and still shuts the servers down.
      const interrupt = new AbortController();
      const onSigint = () => interrupt.abort(new Error('interrupted'));
      process.on('SIGINT', onSigint);
      const manager = await connect(opts, [server]).catch((err: unknown) => {
        process.off('SIGINT', onSigint);
        throw err;
      });
      try {
        // Every attempt is an audit row, including the ones refused before they reach a server.
        const refuse = (rule: string, reason: string, toolName = toolSpelling): never => {
          manager.recordRefusal(server, toolName, args, { origin: 'cli', rule, reason });
          throw new UserError(reason);
        };
        const status = manager.statuses().find((s) => s.name === server);
        if (!status) refuse('unknown_server', `no MCP server named '${server}' in the config`);
        else if (status.state !== 'connected') {
          const rule = status.state === 'rejected' ? (status.rule ?? 'server_rejected') : status.state === 'disabled' ? 'server_disabled' : 'server_unavailable';
          refuse(rule, `MCP server '${server}' is ${status.state}${status.error ? `: ${status.error}` : ''}`);
        }
        const known = manager.listTools().filter((t) => t.server === server);
        // The tool as the server names it, or as `vmlx mcp tools` lists it (server__tool).
        const found = findServerTool(known, server, toolSpelling);
        if (!found) {
          refuse('unknown_tool', `MCP server '${server}' has no tool '${toolSpelling}' (it has: ${known.map((t) => t.name).join(', ') || 'none'})`);
        }
        const tool = found!.name;
        if (manager.policyFor(server, tool, 'cli') === 'deny') refuse('policy_deny', `${server}__${tool}: denied by the config policy`, tool);
        const outcome = await manager.callTool(server, tool, args, {
          origin: 'cli',
          signal: interrupt.signal,
          ...(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {}),
        });
        if (opts.json) process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
        else if (outcome.status === 'ok' || outcome.status === 'tool_error') process.stdout.write(`${outcome.text}\n`);
        if (outcome.status !== 'ok') {
          const why = outcome.status === 'denied' ? `denied (${outcome.rule}): ${outcome.error}` : `${outcome.status}: ${outcome.error}`;
          process.stderr.write(`vmlx: ${firstLine(why)}\n`);
          process.exitCode = outcome.status === 'aborted' ? 130 : 1;
        }
      } finally {
        await manager.close();
        process.off('SIGINT', onSigint);
      }
    });
}

function recordAttempt(auditDb: string | undefined, server: string, tool: string, rawArgs: string, rule: string, reason: string): void {
  const log = AuditLog.open(auditDb ?? defaultAuditDbPath());
  try {
    log.record({ origin: 'cli', server, tool, arguments: rawArgs, decision: 'denied', rule, success: false, error: `denied: ${reason}` });
  } finally {
    log.close();
  }
}

function parseArguments(raw: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw new UserError(`tool arguments are not valid JSON: ${firstLine((err as Error).message)}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UserError('tool arguments must be a JSON object, for example \'{"path": "/tmp"}\'');
  }
  return value as Record<string, unknown>;
}

function firstLine(s: string): string {
  const line = s.split('\n')[0] ?? '';
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}
