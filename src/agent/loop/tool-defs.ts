// MCP tools as the OpenAI-shaped tool definitions a chat template renders.
import type { ToolDefinition } from '../../engine/types.js';
import type { McpTool } from '../mcp/types.js';

export function toolDefinitions(tools: McpTool[]): ToolDefinition[] {
  return tools.map((t) => ({
    type: 'function',
    function: {
      name: t.qualifiedName,
      ...(t.description ? { description: t.description } : {}),
      parameters: t.inputSchema && typeof t.inputSchema === 'object' ? t.inputSchema : { type: 'object', properties: {} },
    },
  }));
}
