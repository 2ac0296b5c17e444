// What a tool may do, for the approval modes: the server's MCP annotations where it gives them, else its name.
import type { McpTool } from './types.js';

/** The two hints vmlx acts on, taken from a tool's annotations (other hints and non-boolean values are ignored). */
export function hintsOf(annotations: Record<string, unknown>): NonNullable<McpTool['annotations']> {
  return {
    ...(typeof annotations.readOnlyHint === 'boolean' ? { readOnlyHint: annotations.readOnlyHint } : {}),
    ...(typeof annotations.destructiveHint === 'boolean' ? { destructiveHint: annotations.destructiveHint } : {}),
  };
}

/** Names that read without changing anything, for tools whose server says nothing (readOnlyHint absent). */
const READ_ONLY_NAME = /^(read|get|list|search|find|describe|show|view)(_|-|$|[A-Z])/;

/** Whether the tool only reads: readOnlyHint when the server gives it, else a reading verb at the start of its name. */
export function isReadOnlyTool(tool: Pick<McpTool, 'name' | 'annotations' | 'highRisk'>): boolean {
  if (tool.highRisk) return false;
  const hint = tool.annotations?.readOnlyHint;
  if (hint !== undefined) return hint;
  return READ_ONLY_NAME.test(tool.name);
}

/** High risk: a high-risk name (shell, exec, ...) or a server that says the tool is destructive. */
export function isHighRiskCall(tool: Pick<McpTool, 'annotations' | 'highRisk'>): boolean {
  return tool.highRisk || tool.annotations?.destructiveHint === true;
}
