// POST /v1/responses: the OpenAI Responses wire adapter over the shared chat run, with previous_response_id
// continued from the bounded in-memory store.
import type { ServerResponse } from 'node:http';
import type { ServerContext } from '../context.js';
import type { ChatMessage } from '../../engine/types.js';
import { parseBody } from '../schemas.js';
import { checkModelAndN } from '../generation.js';
import { executeChatRun, generationError, prepareChatRun } from '../chat-run.js';
import { checkAutoExecute, runAutoExecute } from '../auto-run.js';
import { ApiError, notFound } from '../errors.js';
import { sendJson } from '../http-util.js';
import { SseWriter } from '../sse.js';
import { BlockAssembler, type BlockEvent } from '../protocols/output-blocks.js';
import { ResponsesRequest } from '../protocols/responses-schema.js';
import { assistantMessage, inputMessages, newId, toRunRequest } from '../protocols/responses-convert.js';
import { ResponseEvents } from '../protocols/responses-events.js';

export async function handleResponses(ctx: ServerContext, body: unknown, res: ServerResponse, signal: AbortSignal): Promise<void> {
  const req = parseBody(ResponsesRequest, body);
  checkModelAndN(ctx, { model: req.model });
  const store = ctx.responses;
  let history: ChatMessage[] = [];
  if (req.previous_response_id) {
    const found = store.get(req.previous_response_id);
    if (!found) {
      const err = notFound(`Previous response with id '${req.previous_response_id}' not found (stored: the last ${store.capacity} responses)`, 'previous_response_not_found');
      throw new ApiError(err.status, err.message, err.type, 'previous_response_id', err.code);
    }
    history = found;
  }
  const conversation = inputMessages(req.input, history);
  const runReq = toRunRequest(req, conversation);
  const id = newId('resp');
  const createdAt = Math.floor(Date.now() / 1000);
  const envelope = (status: string, extra: Record<string, unknown>): Record<string, unknown> => ({
    id,
    object: 'response',
    created_at: createdAt,
    status,
    model: ctx.modelId,
    output: [],
    instructions: req.instructions ?? null,
    tools: req.tools ?? [],
    tool_choice: req.tool_choice ?? 'auto',
    parallel_tool_calls: req.parallel_tool_calls ?? true,
    temperature: req.temperature ?? null,
    top_p: req.top_p ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    previous_response_id: req.previous_response_id ?? null,
    reasoning: req.reasoning ?? null,
    store: req.store !== false,
    text: { format: { type: 'text' } },
    truncation: 'disabled',
    metadata: req.metadata ?? {},
    error: null,
    incomplete_details: null,
    usage: null,
    ...extra,
  });
  const sse = req.stream ? new SseWriter(res) : null;
  const events = new ResponseEvents(sse);
  const blocks = new BlockAssembler();
  const onStart = (): void => {
    events.send('response.created', { response: envelope('in_progress', {}) });
    events.send('response.in_progress', { response: envelope('in_progress', {}) });
  };
  let finished: { truncated: boolean; promptTokens: number; completionTokens: number; reusedTokens: number; reasoning: string | null; stored: ChatMessage[] } | null;
  try {
    finished = req.mcp_auto_execute ? await autoExecute() : await generate();
  } catch (err) {
    if (!sse || !res.headersSent) throw err;
    const apiErr = err instanceof ApiError ? err : generationError(err as Error);
    events.send('error', { code: apiErr.code, message: apiErr.message, param: apiErr.param });
    events.send('response.failed', { response: envelope('failed', { error: { code: apiErr.code ?? 'server_error', message: apiErr.message } }) });
    sse.end();
    return;
  }
  if (!finished) return;
  blocks.finish().forEach((e) => events.block(e));
  if (req.store !== false) store.put(id, finished.stored);
  const output = events.items(blocks.blocks);
  const final = envelope(finished.truncated ? 'incomplete' : 'completed', {
    output,
    incomplete_details: finished.truncated ? { reason: 'max_output_tokens' } : null,
    usage: {
      input_tokens: finished.promptTokens,
      input_tokens_details: { cached_tokens: finished.reusedTokens },
      output_tokens: finished.completionTokens,
      output_tokens_details: { reasoning_tokens: finished.reasoning ? ctx.model.countTokens(finished.reasoning) : 0 },
      total_tokens: finished.promptTokens + finished.completionTokens,
    },
  });
  if (sse) {
    events.send(finished.truncated ? 'response.incomplete' : 'response.completed', { response: final });
    sse.end();
  } else {
    sendJson(res, 200, { ...final, output_text: output.flatMap((i) => (i.type === 'message' ? [(i.content as Array<{ text: string }>)[0]?.text ?? ''] : [])).join('') });
  }

  async function generate(): Promise<typeof finished> {
    const prepared = await prepareChatRun(ctx, runReq);
    const run = await executeChatRun(ctx, prepared, runReq, signal, {
      onStart,
      onChunk: (chunk) => blocks.push(chunk.deltas).forEach((e) => events.block(e)),
    });
    if (!run) return null;
    const { result } = run.outcome;
    return {
      truncated: run.outcome.finishReason === 'length' && result.tool_calls.length === 0,
      promptTokens: run.promptTokens,
      completionTokens: run.completionTokens,
      reusedTokens: run.reusedTokens,
      reasoning: result.reasoning_content,
      stored: [...conversation, assistantMessage(result)],
    };
  }

  // mcp_auto_execute: each executed call is one mcp_call output item, added once it has finished.
  async function autoExecute(): Promise<typeof finished> {
    checkAutoExecute(ctx, runReq, 'mcp_auto_execute');
    const emit = (list: BlockEvent[]): void => list.forEach((e) => events.block(e));
    const run = await runAutoExecute(ctx, runReq, signal, {
      onStart,
      onText: (text) => emit(blocks.push([{ type: 'content', text }])),
      onReasoning: (text) => emit(blocks.push([{ type: 'reasoning', text }])),
      onCallFinished: (call) => emit(blocks.whole({ kind: 'mcp_call', call })),
    });
    if (!run) return null;
    return {
      truncated: run.finish === 'length',
      promptTokens: run.promptTokens,
      completionTokens: run.completionTokens,
      reusedTokens: 0,
      reasoning: run.reasoning || null,
      // The stored conversation leaves the instructions out (a follow-up brings its own).
      stored: run.messages.slice(req.instructions ? 1 : 0),
    };
  }
}
