// The commander program: each area registers its own commands from its own module.
import { Command } from 'commander';
import { registerGenerateCommand } from './commands/generate.js';
import { registerMcpCommands } from './commands/mcp.js';
import { registerMcpClientCommands } from './commands/mcp-client.js';
import { registerAuditCommand } from './commands/audit.js';
import { registerServeCommand } from './commands/serve.js';
import { registerChatCommand } from './commands/chat.js';
import { registerToolsCommands } from './commands/tools.js';
import { registerBenchCommand } from './commands/bench.js';
import { registerPullCommand } from './commands/pull.js';
import { registerModelsCommand } from './commands/models.js';
import { registerSessionsCommand } from './commands/sessions.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('vmlx')
    .description('Local tool-calling LLM runtime: MLX-format models on the CPU, MCP tools, a chat REPL and an OpenAI-compatible server')
    .version('0.1.0')
    .configureOutput({ outputError: (str, write) => write(str) })
    .addHelpText(
      'after',
      `
Examples:
  vmlx chat --model ~/models/Qwen3-0.6B-4bit                     chat in the terminal (MCP tools from ~/.vmlx/mcp.json)
  vmlx chat --model ~/models/Qwen3-0.6B-4bit -p "list the files in /tmp"   one turn, answer on stdout
  vmlx generate --model ~/models/Qwen3-0.6B-4bit "Once upon a time"        plain text generation
  vmlx serve ~/models/Qwen3-0.6B-4bit --mcp-config mcp.json       OpenAI-compatible API on http://127.0.0.1:8000
  vmlx mcp validate --mcp-config mcp.json && vmlx mcp status --mcp-config mcp.json   check, then connect the MCP servers
  vmlx audit --limit 20                                           the last tool calls, allowed or refused
  vmlx chat --model ~/models/Qwen3-0.6B-4bit --continue           pick up the latest conversation (vmlx sessions list)

'vmlx help <command>' shows the options of a command.`,
    );
  // Command registrations (one line per area):
  registerGenerateCommand(program);
  registerMcpCommands(program);
  registerMcpClientCommands(program);
  registerAuditCommand(program);
  registerServeCommand(program);
  registerChatCommand(program);
  registerToolsCommands(program);
  registerBenchCommand(program);
  registerPullCommand(program);
  registerModelsCommand(program);
  registerSessionsCommand(program);
  return program;
}
