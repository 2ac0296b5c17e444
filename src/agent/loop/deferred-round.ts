// The tool round's side of deferred tool schemas: search_tools is answered here from the tool list (it runs no
// server and reads nothing but names and schemas); call_tool is unwrapped into the call it stands for, which the
// round then decides, sandboxes, runs and audits like any direct call.
import type { ToolCallOutcome } from '../mcp/types.js';
import type { ParsedToolCall } from '../toolcalls/types.js';
import { parseArguments } from './call-arguments.js';
import { CALL_TOOL, runSearchTools, SEARCH_TOOLS, unwrapCallTool } from './deferred-tools.js';
import type { AgentEvent, ToolCallRef } from './events.js';
import { errorContent, successContent } from './tool-messages.js';
import type { McpTool } from '../mcp/types.js';

/** The name search_tools results are reported under (it belongs to vmlx, not to an MCP server). */
export const META_SERVER = 'vmlx';

export type MetaCallStep = { kind: 'answered'; content: string } | { kind: 'call'; call: ParsedToolCall } | { kind: 'direct' };

function metaOutcome(tool: string, text: string, error?: string): ToolCallOutcome {
  return error === undefined
    ? { server: META_SERVER, tool, content: [{ type: 'text', text }], text, isError: false, status: 'ok', durationMs: 0 }
    : { server: META_SERVER, tool, content: [], text: '', isError: true, error, status: 'error', durationMs: 0 };
}

export function handleMetaCall(
  call: ParsedToolCall,
  round: number,
  tools: McpTool[],
  emit: (e: AgentEvent) => void,
  maxResultBytes: number,
): MetaCallStep {
  const name = call.function.name;
  if (name !== SEARCH_TOOLS && name !== CALL_TOOL) return { kind: 'direct' };
  const parsed = parseArguments(call.function.arguments);
  const ref: ToolCallRef = { callId: call.id, round, name, server: META_SERVER, tool: name };
  const failed = (error: string, announce: boolean): MetaCallStep => {
    if (announce) emit({ type: 'tool_call_started', ...ref, arguments: parsed.ok ? parsed.value : null, rawArguments: call.function.arguments });
    const outcome = metaOutcome(name, '', error);
    const modelContent = errorContent(name, 'error', error, maxResultBytes);
    emit({ type: 'tool_error', ...ref, status: 'error', error, outcome, modelContent });
    return { kind: 'answered', content: modelContent };
  };
  if (!parsed.ok) return failed(`invalid arguments: ${parsed.error}`, true);
  if (name === SEARCH_TOOLS) {
    emit({ type: 'tool_call_started', ...ref, arguments: parsed.value, rawArguments: call.function.arguments });
    const found = runSearchTools(tools, parsed.value);
    if (!found.ok) return failed(found.error, false);
    const outcome = metaOutcome(name, found.text);
    const modelContent = successContent(name, outcome, maxResultBytes);
    emit({ type: 'tool_result', ...ref, outcome, modelContent });
    return { kind: 'answered', content: modelContent };
  }
  const inner = unwrapCallTool(parsed.value);
  if (!inner.ok) return failed(inner.error, true);
  return { kind: 'call', call: { ...call, function: { name: inner.name, arguments: inner.arguments } } };
}
