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

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('vmlx')
    .description('Local tool-calling LLM runtime: MLX-format models on the CPU, MCP tools, a chat REPL and an OpenAI-compatible server')
    .version('0.1.0')
    .configureOutput({ outputError: (str, write) => write(str) });
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
  return program;
}
