// POST /v1/chat/completions: the wire adapter for OpenAI chat completions over the shared chat run.
import type { ServerResponse } from 'node:http';
import type { ChatMessage, ToolDefinition, TokenLogprob } from '../../engine/types.js';
import type { ParseResult, ToolChoice } from '../../agent/toolcalls/types.js';
import type { ServerContext } from '../context.js';
import { ChatCompletionRequest, parseBody } from '../schemas.js';
import { toChatMessages } from '../messages.js';
import { SseWriter } from '../sse.js';
import { ChatCompletionShapes, mergeDeltas } from '../chat-stream.js';
import { executeChatRun, narrowTools, openAiFinish, prepareChatRun, type ChatRunRequest } from '../chat-run.js';
import {
  checkModelAndN,
  samplingParams,
  toOpenAiLogprobs,
  usageBody,
  type OpenAiTokenLogprob,
} from '../generation.js';
import { sendJson } from '../http-util.js';
import type { ResponseFormat } from '../../agent/toolcalls/constraint/build.js';
import { handleAutoExecute } from './auto-execute.js';
import { checkPromptChars, encodeWithinContext, requestChars } from '../prompt-limits.js';

export interface PreparedChat {
  req: ChatCompletionRequest;
  messages: ChatMessage[];
  tools: ToolDefinition[];
  toolChoice: ToolChoice;
  templateVars: Record<string, unknown>;
}

export function prepareChat(ctx: ServerContext, body: unknown): PreparedChat {
  const req = parseBody(ChatCompletionRequest, body);
  checkModelAndN(ctx, req);
  const toolChoice: ToolChoice = req.tool_choice ?? 'auto';
  const defined = (req.tools ?? []).map((t): ToolDefinition => ({ type: 'function', function: t.function }));
  // mcp_auto_execute offers the MCP servers' tools, not the request's: its tool_choice is checked against those.
  const tools = req.mcp_auto_execute ? defined : narrowTools(defined, toolChoice, 'tool_choice');
  const messages = toChatMessages(req.messages);
  if (req.response_format?.type === 'json_object' || req.response_format?.type === 'json_schema') {
    // The grammar enforces the JSON; saying so in the prompt keeps a real model's answer on topic.
    messages.unshift({ role: 'system', content: 'Respond only with a single valid JSON object.' });
  }
  const templateVars: Record<string, unknown> = { ...(req.chat_template_kwargs ?? {}) };
  return { req, messages, tools, toolChoice, templateVars };
}

/** The chat-completions request in the internal shape every protocol shares. */
export function chatRunRequest(chat: PreparedChat): ChatRunRequest {
  const { maxTokens: _unused, ...params } = samplingParams(chat.req, 0, chat.req.logprobs ? (chat.req.top_logprobs ?? 0) : null);
  return {
    step: { messages: chat.messages, tools: chat.tools, toolChoice: chat.toolChoice, enableThinking: chat.req.enable_thinking, templateVars: chat.templateVars },
    params,
    maxTokens: chat.req.max_completion_tokens ?? chat.req.max_tokens ?? null,
    singleCall: chat.req.parallel_tool_calls === false,
    messagesField: 'messages',
    responseFormat: responseFormatOf(chat.req.response_format),
    strictTools: (chat.req.tools ?? []).filter((t) => t.function.strict === true).map((t) => t.function.name),
  };
}

function responseFormatOf(rf: ChatCompletionRequest['response_format']): ResponseFormat | null {
  if (!rf || rf.type === 'text') return null;
  if (rf.type === 'json_object') return { type: 'json_object' };
  return { type: 'json_schema', name: rf.json_schema.name, schema: rf.json_schema.schema ?? { type: 'object' }, strict: rf.json_schema.strict !== false };
}

export async function handleChatCompletions(
  ctx: ServerContext,
  body: unknown,
  res: ServerResponse,
  signal: AbortSignal,
): Promise<void> {
  const chat = prepareChat(ctx, body);
  if (chat.req.mcp_auto_execute) return handleAutoExecute(ctx, chat, res, signal);

  const runReq = chatRunRequest(chat);
  const prepared = await prepareChatRun(ctx, runReq);
  const wantLogprobs = chat.req.logprobs ? (chat.req.top_logprobs ?? 0) : null;
  const shapes = new ChatCompletionShapes(ctx.modelId);
  const sse = chat.req.stream ? new SseWriter(res) : null;
  const allLogprobs: TokenLogprob[] = [];
  const run = await executeChatRun(ctx, prepared, runReq, signal, {
    onStart: () => sse?.send(shapes.chunk({ role: 'assistant', content: '' })),
    onChunk: (chunk) => {
      if (chunk.logprobs) allLogprobs.push(...chunk.logprobs);
      if (!sse) return;
      const delta = mergeDeltas(chunk.deltas);
      if (delta || chunk.logprobs?.length) {
        sse.send(shapes.chunk(delta ?? {}, chunk.logprobs?.length ? { logprobs: { content: toOpenAiLogprobs(chunk.logprobs) } } : {}));
      }
    },
  });
  if (!run) return; // client went away: nothing to answer
  const finishReason = openAiFinish(run.outcome);
  const usage = usageBody(run.promptTokens, run.completionTokens, run.reusedTokens);
  if (sse) {
    sse.send(run.warnings.length ? { ...shapes.chunk({}, { finish_reason: finishReason }), warnings: run.warnings } : shapes.chunk({}, { finish_reason: finishReason }));
    if (chat.req.stream_options?.include_usage) sse.send(shapes.usageChunk(usage));
    sse.done();
  } else {
    sendJson(res, 200, completionBody(shapes, run.outcome.result, finishReason, usage, wantLogprobs != null ? toOpenAiLogprobs(allLogprobs) : null, run.warnings));
  }
}

/** The content plus the raw markup of calls that never finished: shown as written, never as a tool call. */
function visibleContent(result: ParseResult): string | null {
  const parts = [result.content ?? '', ...result.unfinished_calls.map((u) => u.raw)].filter((p) => p !== '');
  return parts.length ? parts.join('\n') : null;
}

function completionBody(
  shapes: ChatCompletionShapes,
  result: ParseResult,
  finishReason: string,
  usage: object,
  logprobs: OpenAiTokenLogprob[] | null,
  constraintWarnings: string[],
): object {
  const message: Record<string, unknown> = { role: 'assistant', content: visibleContent(result) };
  if (result.reasoning_content) message.reasoning_content = result.reasoning_content;
  if (result.tool_calls.length) {
    message.tool_calls = result.tool_calls.map((c) => ({ id: c.id, type: 'function', function: c.function }));
  }
  const body = shapes.completion(message, finishReason, usage, logprobs ? { content: logprobs } : null);
  const cut = [...constraintWarnings, ...result.warnings.filter((w) => w.code === 'truncated_call').map((w) => w.message)];
  return cut.length ? { ...body, warnings: cut } : body;
}
