// --print takes the same input as the REPL: an MCP prompt command or @ mentions are prepared once the servers
// have connected and listed their prompts and resources.
import type { McpManager } from '../mcp/manager.js';
import { toolResultCap } from '../loop/tool-messages.js';
import { needsPreparation, prepareInput } from './prepare.js';
import type { InputContext } from './types.js';

/** The input context of a chat over `manager` in `cwd` (attachments capped like tool results). */
export function chatInputContext(manager: McpManager, cwd: string, contextLength: number): InputContext {
  return { catalog: manager.catalog, servers: manager.statuses().map((s) => s.name), cwd, maxAttachmentBytes: toolResultCap(contextLength) };
}

/** The text to send for a --print prompt; throws InputError for a user mistake (unknown prompt, bad path, ...). */
export async function preparePrintPrompt(prompt: string, manager: McpManager, cwd: string, contextLength: number): Promise<string> {
  const ctx = chatInputContext(manager, cwd, contextLength);
  if (!needsPreparation(prompt, ctx)) return prompt;
  await manager.catalog.settled();
  return (await prepareInput(prompt, ctx)).text;
}
