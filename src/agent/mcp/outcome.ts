// Turns what a tool call produced (an SDK result or a thrown error) into a ToolCallOutcome the agent
// can show to a model: never an exception, always a status and a text.
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { ServerUnavailableError } from './client.js';
import type { McpContent, ToolCallOutcome } from './types.js';

/** Flattens MCP content to the text a model sees; non-text items become short bracketed notes. */
export function contentToText(content: McpContent, structured?: unknown): string {
  const parts: string[] = [];
  for (const item of content) {
    switch (item.type) {
      case 'text':
        parts.push(String(item.text ?? ''));
        break;
      case 'image':
      case 'audio':
        parts.push(`[${item.type}: ${String(item.mimeType ?? 'unknown type')}, ${base64Bytes(item.data)} bytes]`);
        break;
      case 'resource': {
        const r = (item.resource ?? {}) as Record<string, unknown>;
        parts.push(typeof r.text === 'string' ? r.text : `[resource: ${String(r.uri ?? '?')}]`);
        break;
      }
      case 'resource_link':
        parts.push(`[resource link: ${String(item.uri ?? '?')}${item.name ? ` (${String(item.name)})` : ''}]`);
        break;
      default:
        parts.push(`[${item.type} content]`);
    }
  }
  if (parts.length === 0 && structured !== undefined) return JSON.stringify(structured);
  return parts.join('\n');
}

function base64Bytes(data: unknown): number {
  if (typeof data !== 'string') return 0;
  const pad = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((data.length * 3) / 4) - pad);
}

export function resultOutcome(
  server: string,
  tool: string,
  result: { content?: unknown; structuredContent?: unknown; isError?: unknown },
  durationMs: number,
): ToolCallOutcome {
  const content = (Array.isArray(result.content) ? result.content : []) as McpContent;
  const text = contentToText(content, result.structuredContent);
  if (result.isError === true) {
    return { server, tool, content, text, isError: true, error: text || 'the tool reported an error', status: 'tool_error', durationMs };
  }
  return { server, tool, content, text, isError: false, status: 'ok', durationMs };
}

/** Classifies a thrown error: abort (the caller's signal), timeout, or any other failure. */
export function errorOutcome(
  server: string,
  tool: string,
  err: unknown,
  durationMs: number,
  ctx: { signal?: AbortSignal; timeoutMs: number },
): ToolCallOutcome {
  let status: ToolCallOutcome['status'];
  let error: string;
  // The SDK reports an abort as a RequestTimeout McpError too, so the signal decides.
  if (ctx.signal?.aborted) {
    status = 'aborted';
    error = `call cancelled${abortReason(ctx.signal)}`;
  } else if (err instanceof McpError && err.code === ErrorCode.RequestTimeout) {
    status = 'timeout';
    error = `timed out after ${ctx.timeoutMs} ms`;
  } else if (err instanceof McpError && err.code === ErrorCode.ConnectionClosed) {
    status = 'error';
    error = `MCP server '${server}' closed the connection during the call (it may have crashed)`;
  } else if (err instanceof ServerUnavailableError) {
    status = 'error';
    error = err.message;
  } else {
    status = 'error';
    error = err instanceof Error ? err.message : String(err);
  }
  return { server, tool, content: [], text: `Error: ${error}`, isError: true, error, status, durationMs };
}

function abortReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (r === undefined) return '';
  if (r instanceof Error && r.name === 'AbortError') return '';
  const msg = r instanceof Error ? r.message : String(r);
  return msg ? `: ${msg}` : '';
}

/** An outcome for a call refused before it ran (sandbox, policy or user). */
export function deniedOutcome(server: string, tool: string, rule: string, reason: string): ToolCallOutcome {
  return {
    server,
    tool,
    content: [],
    text: `Error: call refused (${rule}): ${reason}`,
    isError: true,
    error: reason,
    status: 'denied',
    rule,
    durationMs: 0,
  };
}
