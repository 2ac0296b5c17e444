// POST /v1/chat/completions: template → generate → parse reasoning and tool calls → JSON or SSE.
import type { ServerResponse } from 'node:http';
import type { ChatMessage, ToolDefinition, TokenLogprob } from '../../engine/types.js';
import type { ParseResult, StreamDelta, ToolChoice } from '../../agent/toolcalls/types.js';
import { createStreamParser, promptOpensReasoning } from '../../agent/toolcalls/index.js';
import type { ServerContext } from '../context.js';
import { ChatCompletionRequest, parseBody } from '../schemas.js';
import { toChatMessages } from '../messages.js';
import { badRequest } from '../errors.js';
import { SseWriter } from '../sse.js';
import { ChatCompletionShapes, mergeDeltas } from '../chat-stream.js';
import {
  checkModelAndN,
  completionBudget,
  samplingParams,
  toOpenAiLogprobs,
  usageBody,
  type OpenAiTokenLogprob,
} from '../generation.js';
import { sendJson } from '../http-util.js';
import { handleAutoExecute } from './auto-execute.js';

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
  let tools: ToolDefinition[] = (req.tools ?? []).map((t) => ({ type: 'function', function: t.function }));
  const toolChoice: ToolChoice = req.tool_choice ?? 'auto';
  if (typeof toolChoice === 'object') {
    const wanted = toolChoice.function.name;
    tools = tools.filter((t) => t.function.name === wanted);
    if (!tools.length) throw badRequest(`tool_choice names '${wanted}', which is not among the request's tools`, 'tool_choice');
  } else if (toolChoice === 'required' && !tools.length) {
    throw badRequest("tool_choice 'required' needs at least one tool in 'tools'", 'tool_choice');
  }
  const messages = toChatMessages(req.messages);
  if (req.response_format?.type === 'json_object') {
    // No grammar-constrained decoding yet: ask for JSON the way the template can carry it.
    messages.unshift({ role: 'system', content: 'Respond only with a single valid JSON object.' });
  }
  const templateVars: Record<string, unknown> = { ...(req.chat_template_kwargs ?? {}) };
  return { req, messages, tools, toolChoice, templateVars };
}

interface ChatOutcome {
  result: ParseResult;
  finishReason: 'stop' | 'length' | 'tool_calls';
  promptTokens: number;
  completionTokens: number;
  reused: number;
  logprobs: OpenAiTokenLogprob[];
}

export async function handleChatCompletions(
  ctx: ServerContext,
  body: unknown,
  res: ServerResponse,
  signal: AbortSignal,
): Promise<void> {
  const chat = prepareChat(ctx, body);
  if (chat.req.mcp_auto_execute) return handleAutoExecute(ctx, chat, res, signal);

  const noTools = chat.toolChoice === 'none' || chat.tools.length === 0;
  let prompt: string;
  try {
    prompt = ctx.model.renderChat(chat.messages, {
      tools: noTools ? undefined : chat.tools,
      enableThinking: chat.req.enable_thinking,
      templateVars: chat.templateVars,
    });
  } catch (err) {
    throw badRequest(`The chat template rejected these messages: ${(err as Error).message}`, 'messages', 'template_error');
  }
  const tokens = ctx.model.encode(prompt, { addSpecialTokens: false });
  const maxTokens = completionBudget(ctx, tokens.length, chat.req.max_completion_tokens ?? chat.req.max_tokens);
  const wantLogprobs = chat.req.logprobs ? (chat.req.top_logprobs ?? 0) : null;
  const params = samplingParams(chat.req, maxTokens, wantLogprobs);

  const release = await ctx.queue.acquire(signal);
  const shapes = new ChatCompletionShapes(ctx.modelId);
  const sse = chat.req.stream ? new SseWriter(res) : null;
  try {
    if (sse) sse.send(shapes.chunk({ role: 'assistant', content: '' }));
    const parser = createStreamParser({
      tools: chat.tools,
      toolChoice: noTools ? 'none' : chat.toolChoice,
      toolParser: ctx.options.toolCallParser,
      reasoningParser: ctx.options.reasoningParser,
      chatTemplate: ctx.model.chatTemplate,
      startsInReasoning: promptOpensReasoning(prompt),
    });
    // parallel_tool_calls: false keeps only the first call the model made.
    const single = chat.req.parallel_tool_calls === false;
    const visible = (deltas: StreamDelta[]) => (single ? deltas.filter((d) => d.type !== 'tool_call' || d.index === 0) : deltas);
    const allLogprobs: TokenLogprob[] = [];
    let completionTokens = 0;
    let reused = 0;
    let engineFinish: string = 'stop';
    for await (const ev of ctx.model.generate(tokens, params, signal)) {
      if (ev.type === 'text') {
        completionTokens += ev.tokens.length;
        if (ev.logprobs) allLogprobs.push(...ev.logprobs);
        const delta = mergeDeltas(visible(parser.push(ev.text)));
        if (sse && (delta || ev.logprobs?.length)) {
          sse.send(shapes.chunk(delta ?? {}, ev.logprobs?.length ? { logprobs: { content: toOpenAiLogprobs(ev.logprobs) } } : {}));
        }
      } else {
        completionTokens = ev.usage.completionTokens;
        reused = ev.usage.reusedPromptTokens;
        engineFinish = ev.finishReason;
      }
    }
    if (signal.aborted) return; // client went away: nothing to answer
    const tail = mergeDeltas(visible(parser.finish()));
    if (sse && tail) sse.send(shapes.chunk(tail));
    const parsed = parser.result();
    const result = single ? { ...parsed, tool_calls: parsed.tool_calls.slice(0, 1) } : parsed;
    const outcome: ChatOutcome = {
      result,
      finishReason: finishReasonOf(result, engineFinish),
      promptTokens: tokens.length,
      completionTokens,
      reused,
      logprobs: toOpenAiLogprobs(allLogprobs),
    };
    if (sse) {
      sse.send(shapes.chunk({}, { finish_reason: outcome.finishReason }));
      if (chat.req.stream_options?.include_usage) {
        sse.send(shapes.usageChunk(usageBody(outcome.promptTokens, outcome.completionTokens, outcome.reused)));
      }
      sse.done();
    } else {
      sendJson(res, 200, completionBody(shapes, outcome, wantLogprobs != null));
    }
  } finally {
    release();
  }
}

/** A call cut off by the token budget makes the answer "length", like OpenAI's (its deltas stay sent). */
function finishReasonOf(result: ParseResult, engineFinish: string): ChatOutcome['finishReason'] {
  if (engineFinish === 'length' && result.unfinished_calls.length) return 'length';
  return result.tool_calls.length ? 'tool_calls' : engineFinish === 'length' ? 'length' : 'stop';
}

/** The content plus the raw markup of calls that never finished: shown as written, never as a tool call. */
function visibleContent(result: ParseResult): string | null {
  const parts = [result.content ?? '', ...result.unfinished_calls.map((u) => u.raw)].filter((p) => p !== '');
  return parts.length ? parts.join('\n') : null;
}

function completionBody(shapes: ChatCompletionShapes, o: ChatOutcome, withLogprobs: boolean): object {
  const message: Record<string, unknown> = { role: 'assistant', content: visibleContent(o.result) };
  if (o.result.reasoning_content) message.reasoning_content = o.result.reasoning_content;
  if (o.result.tool_calls.length) {
    message.tool_calls = o.result.tool_calls.map((c) => ({ id: c.id, type: 'function', function: c.function }));
  }
  const body = shapes.completion(message, o.finishReason, usageBody(o.promptTokens, o.completionTokens, o.reused), withLogprobs ? { content: o.logprobs } : null);
  const cut = o.result.warnings.filter((w) => w.code === 'truncated_call').map((w) => w.message);
  return cut.length ? { ...body, warnings: cut } : body;
}
