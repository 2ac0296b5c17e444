// `"mcp_auto_execute": true` on /v1/chat/completions: the shared server-side agent run, shaped as a chat completion
// whose message lists the executed calls (streamed as `mcp_tool_call` deltas as they start and finish).
import type { ServerResponse } from 'node:http';
import type { ServerContext } from '../context.js';
import type { PreparedChat } from './chat-completions.js';
import { chatRunRequest } from './chat-completions.js';
import { checkAutoExecute, runAutoExecute } from '../auto-run.js';
import { SseWriter } from '../sse.js';
import { ChatCompletionShapes } from '../chat-stream.js';
import { usageBody } from '../generation.js';
import { sendJson } from '../http-util.js';
import { checkMcpAccess } from '../request-guard.js';
import { checkPromptChars, requestChars } from '../prompt-limits.js';

export async function handleAutoExecute(ctx: ServerContext, chat: PreparedChat, res: ServerResponse, signal: AbortSignal): Promise<void> {
  const req = chatRunRequest(chat);
  checkAutoExecute(ctx, req, 'mcp_auto_execute');
  const shapes = new ChatCompletionShapes(ctx.modelId);
  const sse = chat.req.stream ? new SseWriter(res) : null;
  const run = await runAutoExecute(ctx, req, signal, {
    onStart: () => sse?.send(shapes.chunk({ role: 'assistant', content: '' })),
    onText: (text) => sse?.send(shapes.chunk({ content: text })),
    onReasoning: (text) => sse?.send(shapes.chunk({ reasoning_content: text })),
    onCallStarted: (call) => sse?.send(shapes.chunk({ mcp_tool_call: call })),
    onCallFinished: (call) => sse?.send(shapes.chunk({ mcp_tool_call: call })),
  });
  if (!run) return;
  const usage = usageBody(run.promptTokens, run.completionTokens);
  if (sse) {
    sse.send(shapes.chunk({}, { finish_reason: run.finish }));
    if (chat.req.stream_options?.include_usage) sse.send(shapes.usageChunk(usage));
    sse.done();
  } else {
    const message: Record<string, unknown> = { role: 'assistant', content: run.answer, mcp_tool_calls: run.calls };
    if (run.reasoning) message.reasoning_content = run.reasoning;
    sendJson(res, 200, shapes.completion(message, run.finish, usage));
  }
}
