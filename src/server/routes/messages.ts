// POST /v1/messages and /v1/messages/count_tokens: the Anthropic Messages wire adapter over the shared chat run
// (or, with the vmlx extension "mcp_auto_execute": true, over the shared server-side agent run).
import type { ServerResponse } from 'node:http';
import type { ServerContext } from '../context.js';
import { parseBody } from '../schemas.js';
import { checkModelAndN } from '../generation.js';
import { executeChatRun, prepareChatRun, countChatStep, type ChatRunRequest } from '../chat-run.js';
import { checkAutoExecute, runAutoExecute } from '../auto-run.js';
import { sendJson } from '../http-util.js';
import { SseWriter } from '../sse.js';
import { BlockAssembler } from '../protocols/output-blocks.js';
import { CountTokensRequest, MessagesRequest } from '../protocols/anthropic-schema.js';
import { anthropicUsage, messageBody, newMessageId, stopReason, toRunRequest } from '../protocols/anthropic-convert.js';
import { AnthropicStream, contentBlock } from '../protocols/anthropic-stream.js';

export async function handleMessages(ctx: ServerContext, body: unknown, res: ServerResponse, signal: AbortSignal): Promise<void> {
  const req = parseBody(MessagesRequest, body);
  checkModelAndN(ctx, { model: req.model });
  const runReq = toRunRequest(req);
  const id = newMessageId();
  if (req.mcp_auto_execute) return autoExecute(ctx, runReq, req.stream === true, id, res, signal);
  const prepared = await prepareChatRun(ctx, runReq);
  if (!req.stream) {
    const run = await executeChatRun(ctx, prepared, runReq, signal, { onChunk: () => {} });
    if (!run) return;
    sendJson(res, 200, messageBody(id, ctx.modelId, run.outcome, anthropicUsage(run.promptTokens, run.completionTokens, run.reusedTokens)));
    return;
  }
  const stream = new AnthropicStream(new SseWriter(res), { id, model: ctx.modelId });
  const blocks = new BlockAssembler();
  try {
    const run = await executeChatRun(ctx, prepared, runReq, signal, {
      onStart: () => stream.start(anthropicUsage(prepared.step.promptTokens, 0, 0)),
      onChunk: (chunk) => stream.blocks(blocks.push(chunk.deltas)),
    });
    if (!run) return;
    stream.blocks(blocks.finish());
    stream.finish(stopReason(run.outcome), anthropicUsage(run.promptTokens, run.completionTokens, run.reusedTokens));
  } catch (err) {
    if (!res.headersSent) throw err;
    stream.fail(err);
  }
}

/** mcp_auto_execute: executed calls appear as mcp_tool_use + mcp_tool_result blocks once each has finished. */
async function autoExecute(ctx: ServerContext, runReq: ChatRunRequest, streaming: boolean, id: string, res: ServerResponse, signal: AbortSignal): Promise<void> {
  checkAutoExecute(ctx, runReq, 'mcp_auto_execute');
  const stream = streaming ? new AnthropicStream(new SseWriter(res), { id, model: ctx.modelId }) : null;
  const blocks = new BlockAssembler();
  const emit = (events: ReturnType<BlockAssembler['finish']>): void => stream?.blocks(events);
  try {
    const run = await runAutoExecute(ctx, runReq, signal, {
      onStart: () => stream?.start(anthropicUsage(0, 0, 0)),
      onText: (text) => emit(blocks.push([{ type: 'content', text }])),
      onReasoning: (text) => emit(blocks.push([{ type: 'reasoning', text }])),
      onCallFinished: (call) => {
        emit(blocks.whole({ kind: 'mcp_call', call }));
        emit(blocks.whole({ kind: 'mcp_result', call }));
      },
    });
    if (!run) return;
    emit(blocks.finish());
    const usage = anthropicUsage(run.promptTokens, run.completionTokens, 0);
    const stop = run.finish === 'length' ? 'max_tokens' : 'end_turn';
    if (stream) return stream.finish(stop, usage);
    const content = blocks.blocks.map((b) => contentBlock(b, true));
    sendJson(res, 200, { id, type: 'message', role: 'assistant', model: ctx.modelId, content, stop_reason: stop, stop_sequence: null, usage });
  } catch (err) {
    if (!stream || !res.headersSent) throw err;
    stream.fail(err);
  }
}

export async function handleCountTokens(ctx: ServerContext, body: unknown, res: ServerResponse): Promise<void> {
  const req = parseBody(CountTokensRequest, body);
  checkModelAndN(ctx, { model: req.model });
  sendJson(res, 200, { input_tokens: (await countChatStep(ctx, toRunRequest(req))).promptTokens });
}
