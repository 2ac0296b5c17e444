// `mcp_auto_execute`: the agent loop runs server-side with the MCP tools, executing only what the sandbox and policy
// allow ("ask" counts as deny: nobody can confirm over HTTP). Shared by the three protocols, which only shape the
// output: they get the answer's text and reasoning as it streams and each executed call once it has finished.
import { runTurn } from '../agent/loop/run-turn.js';
import type { AgentEvent } from '../agent/loop/events.js';
import type { ChatMessage } from '../engine/types.js';
import type { ServerContext } from './context.js';
import { checkMcpAccess } from './request-guard.js';
import { checkPromptChars, requestChars } from './prompt-limits.js';
import type { ChatRunRequest } from './chat-run.js';
import { ApiError, badRequest } from './errors.js';

export interface ExecutedCall {
  id: string;
  round: number;
  name: string;
  server: string | null;
  tool: string | null;
  arguments: unknown;
  status: string;
  is_error: boolean;
  /** What the model was given (the tool output, capped, or the error). */
  result: string;
  error: string | null;
  duration_ms: number | null;
}

export interface AutoRunSink {
  onStart?: () => void;
  onText?: (text: string) => void;
  onReasoning?: (text: string) => void;
  onCallStarted?: (call: ExecutedCall) => void;
  onCallFinished?: (call: ExecutedCall) => void;
}

export interface AutoRunResult {
  answer: string | null;
  reasoning: string;
  calls: ExecutedCall[];
  finish: 'stop' | 'length';
  promptTokens: number;
  completionTokens: number;
  /** The conversation after the turn: the request's messages plus every assistant and tool message it added. */
  messages: ChatMessage[];
}

export function checkAutoExecute(ctx: ServerContext, req: ChatRunRequest, field: string): void {
  checkMcpAccess(ctx.access, field);
  if (!ctx.executor) throw badRequest('mcp_auto_execute needs MCP servers; start the server with --mcp-config', field);
  if (req.step.toolChoice === 'none') throw badRequest("mcp_auto_execute cannot be combined with tool_choice 'none'", 'tool_choice');
  checkPromptChars(ctx, requestChars(req.step.messages, ctx.executor.listTools()), req.messagesField);
}

/** Runs the turn; resolves null when the client went away. The request's own tools are not offered: MCP's are. */
export async function runAutoExecute(ctx: ServerContext, req: ChatRunRequest, signal: AbortSignal, sink: AutoRunSink): Promise<AutoRunResult | null> {
  const executor = ctx.executor;
  if (!executor) throw badRequest('mcp_auto_execute needs MCP servers; start the server with --mcp-config');
  const maxTokens = req.maxTokens ?? ctx.options.maxTokensDefault;
  const release = await ctx.queue.acquire(signal);
  const calls = new Map<string, ExecutedCall>();
  const conversation = { messages: [...req.step.messages] };
  const out: AutoRunResult = { answer: null, reasoning: '', calls: [], finish: 'stop', promptTokens: 0, completionTokens: 0, messages: conversation.messages };
  let failure: string | null = null;
  const track = (ev: AgentEvent): void => {
    switch (ev.type) {
      case 'text_delta':
        sink.onText?.(ev.text);
        return;
      case 'reasoning_delta':
        out.reasoning += ev.text;
        sink.onReasoning?.(ev.text);
        return;
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
        sink.onCallStarted?.({ ...call });
        return;
      }
      case 'tool_result':
      case 'tool_error': {
        const call = calls.get(ev.callId);
        if (!call) return;
        call.status = ev.type === 'tool_result' ? 'ok' : ev.status;
        call.is_error = ev.type === 'tool_error';
        call.result = ev.modelContent;
        call.error = ev.type === 'tool_error' ? ev.error : null;
        call.duration_ms = ev.outcome.durationMs;
        sink.onCallFinished?.({ ...call });
        return;
      }
      case 'usage':
        out.promptTokens += ev.usage.promptTokens;
        out.completionTokens += ev.usage.completionTokens;
        if (ev.usage.completionTokens >= maxTokens) out.finish = 'length';
        return;
      case 'turn_finished':
        out.answer = ev.answer;
        if (ev.reason === 'max_rounds') out.finish = 'length';
        return;
      case 'turn_failed':
        failure = ev.error;
        return;
      default:
        return;
    }
  };
  try {
    sink.onStart?.();
    const events = runTurn(
      conversation,
      {
        model: ctx.model,
        executor,
        origin: 'serve',
        interactive: false,
        maxRounds: ctx.options.maxToolRounds,
        maxToolResultBytes: ctx.options.toolResultCap,
        ...(ctx.options.toolSchemaShare !== undefined ? { toolSchemaShare: ctx.options.toolSchemaShare } : {}),
        generation: { ...req.params, maxTokens },
        ...(req.step.enableThinking !== undefined ? { enableThinking: req.step.enableThinking } : {}),
        ...(req.step.templateVars ? { templateVars: req.step.templateVars } : {}),
        toolParser: ctx.options.toolCallParser,
        reasoningParser: ctx.options.reasoningParser,
        // tool_choice required / a named MCP tool: the first round is constrained to make that call.
        ...(req.step.toolChoice === 'required'
          ? { toolChoice: 'required' as const }
          : typeof req.step.toolChoice === 'object'
            ? { toolChoice: { name: req.step.toolChoice.function.name } }
            : {}),
        signal,
      },
    );
    for await (const ev of events) track(ev);
  } finally {
    release();
  }
  if (signal.aborted) return null;
  if (failure) throw new ApiError(500, `The agent loop failed: ${failure}`, 'server_error', null, 'agent_loop_failed');
  out.calls = [...calls.values()];
  return out;
}
