// The `vmlx mcp` command group. This file owns the group and `mcp validate`; the client commands
// (status, tools, call) live in ./mcp-client.ts and attach themselves to the same group with
// `registerMcpClientCommands(mcpCommandGroup(program))`. mcpCommandGroup finds-or-creates the group, so
// registration order in program.ts does not matter.
import type { Command } from 'commander';
import { registerMcpValidate } from './mcp-validate.js';
import { registerMcpAuthCommands } from './mcp-auth.js';

/** The `mcp` subcommand of the program, created on first use. */
export function mcpCommandGroup(program: Command): Command {
  const existing = program.commands.find((c) => c.name() === 'mcp');
  if (existing) return existing;
  return program.command('mcp').description('MCP servers: validate a config, show status and tools, call a tool');
}

export function registerMcpCommands(program: Command): void {
  registerMcpValidate(mcpCommandGroup(program));
  registerMcpAuthCommands(mcpCommandGroup(program));
}
