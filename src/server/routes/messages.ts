// POST /v1/messages and /v1/messages/count_tokens: the Anthropic Messages wire adapter over the shared chat run.
// The stream follows Anthropic's documented order: message_start, ping, then per content block content_block_start,
// content_block_delta (text_delta / thinking_delta / input_json_delta), content_block_stop; then message_delta with
// the stop_reason and usage, and message_stop. An error after the stream opened is an `error` event.
import type { ServerResponse } from 'node:http';
import type { ServerContext } from '../context.js';
import { parseBody } from '../schemas.js';
import { checkModelAndN } from '../generation.js';
import { executeChatRun, generationError, prepareChatRun, countChatStep } from '../chat-run.js';
import { ApiError } from '../errors.js';
import { sendJson } from '../http-util.js';
import { SseWriter } from '../sse.js';
import { BlockAssembler, type BlockEvent, type OutputBlock } from '../protocols/output-blocks.js';
import { CountTokensRequest, MessagesRequest } from '../protocols/anthropic-schema.js';
import { anthropicUsage, messageBody, newMessageId, stopReason, toRunRequest } from '../protocols/anthropic-convert.js';
import { anthropicErrorBody } from '../protocols/wire-errors.js';

function blockStart(block: OutputBlock): object {
  if (block.kind === 'text') return { type: 'text', text: '' };
  if (block.kind === 'reasoning') return { type: 'thinking', thinking: '', signature: '' };
  return { type: 'tool_use', id: block.id, name: block.name, input: {} };
}

function blockDelta(block: OutputBlock, text: string): object {
  if (block.kind === 'text') return { type: 'text_delta', text };
  if (block.kind === 'reasoning') return { type: 'thinking_delta', thinking: text };
  return { type: 'input_json_delta', partial_json: text };
}

export async function handleMessages(ctx: ServerContext, body: unknown, res: ServerResponse, signal: AbortSignal): Promise<void> {
  const req = parseBody(MessagesRequest, body);
  checkModelAndN(ctx, { model: req.model });
  const runReq = toRunRequest(req);
  const prepared = await prepareChatRun(ctx, runReq);
  const id = newMessageId();
  if (!req.stream) {
    const run = await executeChatRun(ctx, prepared, runReq, signal, { onChunk: () => {} });
    if (!run) return;
    sendJson(res, 200, messageBody(id, ctx.modelId, run.outcome, anthropicUsage(run.promptTokens, run.completionTokens, run.reusedTokens)));
    return;
  }

  const sse = new SseWriter(res);
  const blocks = new BlockAssembler();
  const emit = (events: BlockEvent[]): void => {
    for (const e of events) {
      const index = e.block.index;
      if (e.type === 'open') sse.event('content_block_start', { type: 'content_block_start', index, content_block: blockStart(e.block) });
      else if (e.type === 'delta') sse.event('content_block_delta', { type: 'content_block_delta', index, delta: blockDelta(e.block, e.text) });
      else sse.event('content_block_stop', { type: 'content_block_stop', index });
    }
  };
  try {
    const run = await executeChatRun(ctx, prepared, runReq, signal, {
      onStart: () => {
        const message = { id, type: 'message', role: 'assistant', model: ctx.modelId, content: [], stop_reason: null, stop_sequence: null };
        sse.event('message_start', { type: 'message_start', message: { ...message, usage: anthropicUsage(prepared.step.promptTokens, 0, 0) } });
        sse.event('ping', { type: 'ping' });
      },
      onChunk: (chunk) => emit(blocks.push(chunk.deltas)),
    });
    if (!run) return;
    emit(blocks.finish());
    sse.event('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReason(run.outcome), stop_sequence: null },
      usage: anthropicUsage(run.promptTokens, run.completionTokens, run.reusedTokens),
    });
    sse.event('message_stop', { type: 'message_stop' });
    sse.end();
  } catch (err) {
    if (!res.headersSent) throw err;
    sse.event('error', anthropicErrorBody(err instanceof ApiError ? err : generationError(err as Error)));
    sse.end();
  }
}

export async function handleCountTokens(ctx: ServerContext, body: unknown, res: ServerResponse): Promise<void> {
  const req = parseBody(CountTokensRequest, body);
  checkModelAndN(ctx, { model: req.model });
  sendJson(res, 200, { input_tokens: (await countChatStep(ctx, toRunRequest(req))).promptTokens });
}
