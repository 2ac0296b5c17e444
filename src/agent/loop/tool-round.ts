// One round of tool calls: resolve each call, decide (sandbox → policy → user), run the allowed ones through
// the executor with bounded concurrency, and turn every call, whatever happened to it, into one tool message.
import type { ChatMessage } from '../../engine/types.js';
import type { CallOrigin, McpTool, ToolCallOutcome, ToolExecutor } from '../mcp/types.js';
import type { ParsedToolCall } from '../toolcalls/types.js';
import { decideCall, type DecisionContext } from './approvals.js';
import type { AgentEvent, ConfirmAnswer, ToolCallRef, ToolErrorStatus } from './events.js';
import { parseArguments } from './call-arguments.js';
import { handleMetaCall } from './deferred-round.js';
import { createLimiter } from './limiter.js';
import { errorContent, successContent } from './tool-messages.js';

export interface ToolRoundContext {
  executor: ToolExecutor;
  decision: DecisionContext;
  emit: (event: AgentEvent) => void;
  /** Aborted when the user cancels this step (or the whole turn). */
  signal: AbortSignal;
  origin: CallOrigin;
  sessionId?: string;
  timeoutMs?: number;
  maxResultBytes: number;
  concurrency: number;
  /** Set when the model was shown search_tools/call_tool instead of every schema: the tools they reach. */
  deferredTools?: McpTool[];
}

export interface ToolRoundResult {
  /** One `tool` message per call, in the order of the calls. */
  messages: ChatMessage[];
  /** Set when the step was cancelled; says where the user was when it happened. */
  abortedAt: 'tools' | 'confirmation' | null;
}

function refusedOutcome(server: string, tool: string, status: ToolCallOutcome['status'], error: string, rule?: string): ToolCallOutcome {
  return { server, tool, content: [], text: '', isError: true, error, status, ...(rule ? { rule } : {}), durationMs: 0 };
}

/** Waits for the user's answer, or resolves null when the step is cancelled first. */
function askUser(ctx: ToolRoundContext, request: Extract<AgentEvent, { type: 'confirmation_request' }>['request']): Promise<ConfirmAnswer | null> {
  return new Promise((resolve) => {
    if (ctx.signal.aborted) return resolve(null);
    let settled = false;
    const onAbort = (): void => finish(null);
    const finish = (answer: ConfirmAnswer | null): void => {
      if (settled) return;
      settled = true;
      ctx.signal.removeEventListener('abort', onAbort);
      resolve(answer);
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    ctx.emit({ type: 'confirmation_request', request, respond: (answer) => finish(answer) });
  });
}

export async function runToolRound(calls: ParsedToolCall[], round: number, ctx: ToolRoundContext): Promise<ToolRoundResult> {
  const limit = createLimiter(ctx.concurrency);
  const contents: Array<Promise<string>> = [];
  let abortedAt: ToolRoundResult['abortedAt'] = null;
  const auditOpts = { origin: ctx.origin, ...(ctx.sessionId ? { sessionId: ctx.sessionId } : {}) };

  const fail = (ref: ToolCallRef, status: ToolErrorStatus, outcome: ToolCallOutcome, error: string): string => {
    const modelContent = errorContent(ref.name, status, error, ctx.maxResultBytes);
    ctx.emit({ type: 'tool_error', ...ref, status, error, outcome, modelContent });
    return modelContent;
  };

  for (const original of calls) {
    let call = original;
    if (ctx.deferredTools) {
      const meta = handleMetaCall(original, round, ctx.deferredTools, ctx.emit, ctx.maxResultBytes);
      if (meta.kind === 'answered') {
        contents.push(Promise.resolve(meta.content));
        continue;
      }
      if (meta.kind === 'call') call = meta.call;
    }
    const name = call.function.name;
    const tool = ctx.executor.resolveTool(name);
    const ref: ToolCallRef = { callId: call.id, round, name, ...(tool ? { server: tool.server, tool: tool.name } : {}) };
    const parsed = parseArguments(call.function.arguments);
    ctx.emit({ type: 'tool_call_started', ...ref, arguments: parsed.ok ? parsed.value : null, rawArguments: call.function.arguments });

    if (!tool) {
      const available = ctx.executor.listTools().map((t) => t.qualifiedName);
      const error = ctx.deferredTools
        ? `no tool named '${name}' exists; find the right name with search_tools`
        : `no tool named '${name}' exists; available tools: ${available.length ? available.join(', ') : 'none'}`;
      const guessServer = name.includes('__') ? name.slice(0, name.indexOf('__')) : '';
      ctx.executor.recordRefusal(guessServer, name, parsed.ok ? parsed.value : call.function.arguments, { ...auditOpts, rule: 'unknown_tool', reason: error });
      contents.push(Promise.resolve(fail(ref, 'unknown_tool', refusedOutcome(guessServer, name, 'error', error, 'unknown_tool'), error)));
      continue;
    }
    if (!parsed.ok) {
      const error = `invalid arguments: ${parsed.error}`;
      ctx.executor.recordRefusal(tool.server, tool.name, call.function.arguments, { ...auditOpts, rule: 'invalid_arguments', reason: error });
      contents.push(Promise.resolve(fail(ref, 'invalid_arguments', refusedOutcome(tool.server, tool.name, 'error', error, 'invalid_arguments'), error)));
      continue;
    }
    const args = parsed.value;
    const aborted = (): string => {
      const error = 'cancelled by the user';
      ctx.executor.recordRefusal(tool.server, tool.name, args, { ...auditOpts, rule: 'user:abort', reason: error });
      return fail(ref, 'aborted', refusedOutcome(tool.server, tool.name, 'aborted', error, 'user:abort'), error);
    };
    if (ctx.signal.aborted) {
      abortedAt ??= 'tools';
      contents.push(Promise.resolve(aborted()));
      continue;
    }

    let decision = decideCall(ctx.decision, tool.server, tool.name, args);
    if (decision.kind === 'ask') {
      const answer = await askUser(ctx, { ...ref, server: tool.server, tool: tool.name, arguments: args, reason: decision.reason });
      if (answer === null) {
        abortedAt ??= 'confirmation';
        contents.push(Promise.resolve(aborted()));
        continue;
      }
      if (answer === 'always') ctx.decision.approvals.allowAlways(tool.server, tool.name);
      decision =
        answer === 'deny'
          ? { kind: 'deny', rule: 'user:deny', reason: 'the user denied this call' }
          : { kind: 'allow', rule: answer === 'always' ? 'user:always' : 'user:once' };
    }
    if (decision.kind === 'deny') {
      const { rule, reason } = decision;
      ctx.executor.recordRefusal(tool.server, tool.name, args, { ...auditOpts, rule, reason });
      contents.push(Promise.resolve(fail(ref, 'denied', refusedOutcome(tool.server, tool.name, 'denied', reason, rule), `${reason} (${rule})`)));
      continue;
    }

    contents.push(
      limit(async () => {
        if (ctx.signal.aborted) {
          abortedAt ??= 'tools';
          return aborted();
        }
        let outcome: ToolCallOutcome;
        try {
          outcome = await ctx.executor.callTool(tool.server, tool.name, args, {
            ...auditOpts,
            signal: ctx.signal,
            ...(ctx.timeoutMs !== undefined ? { timeoutMs: ctx.timeoutMs } : {}),
          });
        } catch (err) {
          // The executor promises never to throw; if one does, the call still gets its tool message.
          outcome = refusedOutcome(tool.server, tool.name, 'error', `the tool executor failed: ${(err as Error).message}`);
        }
        if (outcome.status === 'ok') {
          const modelContent = successContent(tool.qualifiedName, outcome, ctx.maxResultBytes);
          ctx.emit({ type: 'tool_result', ...ref, outcome, modelContent });
          return modelContent;
        }
        if (outcome.status === 'aborted') abortedAt ??= 'tools';
        return fail(ref, outcome.status, outcome, outcome.error ?? outcome.text ?? outcome.status);
      }),
    );
  }

  const texts = await Promise.all(contents);
  const messages: ChatMessage[] = calls.map((call, i) => ({ role: 'tool', content: texts[i], tool_call_id: call.id, name: call.function.name }));
  return { messages, abortedAt };
}
