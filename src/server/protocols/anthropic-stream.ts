// Anthropic Messages output: content blocks from output blocks, and the stream in the documented order —
// message_start, ping, per block content_block_start / content_block_delta (text_delta, thinking_delta,
// input_json_delta) / content_block_stop, then message_delta (stop_reason, usage) and message_stop. An error
// after the stream opened is an `error` event in Anthropic's error shape.
import type { SseWriter } from '../sse.js';
import { ApiError } from '../errors.js';
import { generationError } from '../chat-run.js';
import type { BlockEvent, OutputBlock } from './output-blocks.js';
import { toolInput } from './anthropic-convert.js';
import { anthropicErrorBody } from './wire-errors.js';

/** A block's content as it is once complete (non-streaming bodies), or its empty start (content_block_start). */
export function contentBlock(block: OutputBlock, complete: boolean): object {
  switch (block.kind) {
    case 'text':
      return { type: 'text', text: complete ? block.text : '' };
    case 'reasoning':
      return { type: 'thinking', thinking: complete ? block.text : '', signature: '' };
    case 'tool_call':
      return { type: 'tool_use', id: block.id, name: block.name, input: complete ? toolInput(block.arguments) : {} };
    case 'mcp_call':
      // A call vmlx ran itself (mcp_auto_execute), in the shape of Anthropic's MCP connector blocks.
      return { type: 'mcp_tool_use', id: block.call.id, name: block.call.tool ?? block.call.name, server_name: block.call.server ?? '', input: block.call.arguments ?? {} };
    case 'mcp_result':
      return { type: 'mcp_tool_result', tool_use_id: block.call.id, is_error: block.call.is_error, content: [{ type: 'text', text: block.call.result }] };
  }
}

function blockDelta(block: OutputBlock, text: string): object {
  if (block.kind === 'text') return { type: 'text_delta', text };
  if (block.kind === 'reasoning') return { type: 'thinking_delta', thinking: text };
  return { type: 'input_json_delta', partial_json: text };
}

export class AnthropicStream {
  constructor(
    private readonly sse: SseWriter,
    private readonly message: { id: string; model: string },
  ) {}

  start(usage: object): void {
    const message = { ...this.message, type: 'message', role: 'assistant', content: [], stop_reason: null, stop_sequence: null, usage };
    this.sse.event('message_start', { type: 'message_start', message });
    this.sse.event('ping', { type: 'ping' });
  }

  blocks(events: BlockEvent[]): void {
    for (const e of events) {
      const index = e.block.index;
      if (e.type === 'open') this.sse.event('content_block_start', { type: 'content_block_start', index, content_block: contentBlock(e.block, false) });
      else if (e.type === 'delta') this.sse.event('content_block_delta', { type: 'content_block_delta', index, delta: blockDelta(e.block, e.text) });
      else this.sse.event('content_block_stop', { type: 'content_block_stop', index });
    }
  }

  finish(stopReason: string, usage: object): void {
    this.sse.event('message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage });
    this.sse.event('message_stop', { type: 'message_stop' });
    this.sse.end();
  }

  fail(err: unknown): void {
    this.sse.event('error', anthropicErrorBody(err instanceof ApiError ? err : generationError(err as Error)));
    this.sse.end();
  }
}
