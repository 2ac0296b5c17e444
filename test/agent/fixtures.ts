// Shared test fixtures for the agent, TUI and end-to-end tests: repository paths and tool-call markup.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const VMLX_BIN = join(REPO, 'bin', 'vmlx.js');
/** server-filesystem's entry (the package's `bin`). */
export const FS_SERVER = join(REPO, 'node_modules', '@modelcontextprotocol', 'server-filesystem', 'dist', 'index.js');

/** Hermes-style call markup, as the scripted model's template family writes it. */
export function call(name: string, args: Record<string, unknown>): string {
  return `<tool_call>\n${JSON.stringify({ name, arguments: args })}\n</tool_call>`;
}
