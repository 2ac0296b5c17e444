// `"mcp_auto_execute": true`: the agent loop runs server-side with the MCP tools, executing only what the
// sandbox and policy allow ("ask" counts as deny), and answers with the final text plus the executed calls.
import type { ServerResponse } from 'node:http';
import { runTurn } from '../../agent/loop/run-turn.js';
import type { AgentEvent } from '../../agent/loop/events.js';
import type { ServerContext } from '../context.js';
import type { PreparedChat } from './chat-completions.js';
import { ApiError, badRequest } from '../errors.js';
import { SseWriter } from '../sse.js';
import { ChatCompletionShapes } from '../chat-stream.js';
import { samplingParams, usageBody } from '../generation.js';
import { sendJson } from '../http-util.js';
import { checkMcpAccess } from '../request-guard.js';
import { checkPromptChars, requestChars } from '../prompt-limits.js';

interface ExecutedCall {
  id: string;
  round: number;
  name: string;
  server: string | null;
  tool: string | null;
  arguments: unknown;
  status: string;
  is_error: boolean;
  result: string;
  error: string | null;
  duration_ms: number | null;
}

export async function handleAutoExecute(ctx: ServerContext, chat: PreparedChat, res: ServerResponse, signal: AbortSignal): Promise<void> {
  checkMcpAccess(ctx.access, 'mcp_auto_execute');
  const executor = ctx.executor;
  if (!executor) throw badRequest('mcp_auto_execute needs MCP servers; start the server with --mcp-config', 'mcp_auto_execute');
  if (chat.toolChoice === 'none') throw badRequest("mcp_auto_execute cannot be combined with tool_choice 'none'", 'tool_choice');
  checkPromptChars(ctx, requestChars(chat.req.messages, executor.listTools()), 'messages');
  const maxTokens = chat.req.max_completion_tokens ?? chat.req.max_tokens ?? ctx.options.maxTokensDefault;
  const release = await ctx.queue.acquire(signal);
  const shapes = new ChatCompletionShapes(ctx.modelId);
  const sse = chat.req.stream ? new SseWriter(res) : null;
  const calls = new Map<string, ExecutedCall>();
  let answer: string | null = null;
  let reasoning = '';
  let finish: 'stop' | 'length' = 'stop';
  let promptTokens = 0;
  let completionTokens = 0;
  let failure: string | null = null;
  try {
    if (sse) sse.send(shapes.chunk({ role: 'assistant', content: '' }));
    const conversation = { messages: chat.messages };
    const events = runTurn(conversation, {
      model: ctx.model,
      executor,
      origin: 'serve',
      interactive: false,
      maxRounds: ctx.options.maxToolRounds,
      maxToolResultBytes: ctx.options.toolResultCap,
      generation: samplingParams(chat.req, maxTokens, null),
      ...(chat.req.enable_thinking !== undefined ? { enableThinking: chat.req.enable_thinking } : {}),
      templateVars: chat.templateVars,
      toolParser: ctx.options.toolCallParser,
      reasoningParser: ctx.options.reasoningParser,
      signal,
    });
    for await (const ev of events) {
      const visible = track(ev);
      if (sse && visible) sse.send(shapes.chunk(visible));
    }
    if (signal.aborted) return;
    if (failure) throw new ApiError(500, `The agent loop failed: ${failure}`, 'server_error', null, 'agent_loop_failed');
    const executed = [...calls.values()];
    if (sse) {
      sse.send(shapes.chunk({}, { finish_reason: finish }));
      if (chat.req.stream_options?.include_usage) {
        sse.send(shapes.usageChunk(usageBody(promptTokens, completionTokens)));
      }
      sse.done();
    } else {
      const message: Record<string, unknown> = { role: 'assistant', content: answer, mcp_tool_calls: executed };
      if (reasoning) message.reasoning_content = reasoning;
      sendJson(res, 200, shapes.completion(message, finish, usageBody(promptTokens, completionTokens)));
    }
  } finally {
    release();
  }

  /** Folds one agent event into the response; returns the chunk delta to stream, if any. */
  function track(ev: AgentEvent): object | null {
    switch (ev.type) {
      case 'text_delta':
        return { content: ev.text };
      case 'reasoning_delta':
        reasoning += ev.text;
        return { reasoning_content: ev.text };
      case 'tool_call_started': {
        const call: ExecutedCall = {
          id: ev.callId,
          round: ev.round,
          name: ev.name,
          server: ev.server ?? null,
          tool: ev.tool ?? null,
          arguments: ev.arguments,
          status: 'running',
          is_error: false,
          result: '',
          error: null,
          duration_ms: null,
        };
        calls.set(ev.callId, call);
        return { mcp_tool_call: { ...call } };
      }
      case 'tool_result':
      case 'tool_error': {
        const call = calls.get(ev.callId);
        if (!call) return null;
        call.status = ev.type === 'tool_result' ? 'ok' : ev.status;
        call.is_error = ev.type === 'tool_error';
        call.result = ev.modelContent;
        call.error = ev.type === 'tool_error' ? ev.error : null;
        call.duration_ms = ev.outcome.durationMs;
        return { mcp_tool_call: { ...call } };
      }
      case 'usage':
        promptTokens += ev.usage.promptTokens;
        completionTokens += ev.usage.completionTokens;
        if (ev.usage.completionTokens >= maxTokens) finish = 'length';
        return null;
      case 'turn_finished':
        answer = ev.answer;
        if (ev.reason === 'max_rounds') finish = 'length';
        return null;
      case 'turn_failed':
        failure = ev.error;
        return null;
      default:
        return null;
    }
  }
}
