// The one generation path behind every chat protocol (chat completions, Anthropic messages, Responses): the wire
// adapters translate their request into a ChatRunRequest, this renders, checks the context, waits for the model
// and streams the parsed step; the adapters only shape the wire output.
import type { GenerateParams, GenerationConstraint, ToolDefinition } from '../engine/types.js';
import type { ResponseFormat } from '../agent/toolcalls/constraint/build.js';
import { planChatConstraint } from './constraint-plan.js';
import type { ToolChoice } from '../agent/toolcalls/types.js';
import { UpstreamError } from '../engine/remote/errors.js';
import { CacheMemoryError } from '../engine/errors.js';
import { renderStep, runStep, StepSetupError, type PreparedStep, type StepChunk, type StepOutcome, type StepRequest } from '../agent/loop/model-step.js';
import type { ServerContext } from './context.js';
import { ApiError, badRequest, unavailable } from './errors.js';
import { completionBudget } from './generation.js';
import { checkPromptChars, encodeWithinContext, requestChars } from './prompt-limits.js';

export interface ChatRunRequest {
  step: Omit<StepRequest, 'toolParser' | 'reasoningParser'>;
  /** Sampling without the budget (set from the context once the prompt is counted). */
  params: Omit<GenerateParams, 'maxTokens'>;
  maxTokens: number | null;
  /** Keep only the first tool call. */
  singleCall: boolean;
  /** The wire field a template failure is reported against. */
  messagesField: string;
  /** response_format, enforced by the grammar (src/agent/toolcalls/constraint/). */
  responseFormat?: ResponseFormat | null;
  /** Tools sent with strict: true: their arguments are enforced under tool_choice "auto" too. */
  strictTools?: string[];
}

export interface PreparedChatRun {
  step: PreparedStep;
  maxTokens: number;
  /** The grammar the run follows (null: free), and what it enforces less strictly than asked. */
  constraint: GenerationConstraint | null;
  warnings: string[];
}

export interface ChatRunResult {
  outcome: StepOutcome;
  promptTokens: number;
  completionTokens: number;
  reusedTokens: number;
  warnings: string[];
}

/**
 * Applies tool_choice to the request's tools the same way for every protocol: a named tool narrows the list to it,
 * 'required' needs at least one tool. `field` is the wire name of tool_choice, for the error.
 */
export function narrowTools(tools: ToolDefinition[], choice: ToolChoice, field: string): ToolDefinition[] {
  if (typeof choice === 'object') {
    const wanted = choice.function.name;
    const narrowed = tools.filter((t) => t.function.name === wanted);
    if (!narrowed.length) throw badRequest(`${field} names '${wanted}', which is not among the request's tools`, field);
    return narrowed;
  }
  if (choice === 'required' && !tools.length) throw badRequest(`${field} requires a tool call but the request has no tools`, field);
  return tools;
}

/** Renders the prompt and creates the parser; a template failure is the client's 400. */
export function renderChatStep(ctx: ServerContext, req: ChatRunRequest): Omit<PreparedStep, 'promptTokens'> {
  try {
    return renderStep(ctx.model, { ...req.step, toolParser: ctx.options.toolCallParser, reasoningParser: ctx.options.reasoningParser });
  } catch (err) {
    if (err instanceof StepSetupError && err.kind === 'template') {
      throw badRequest(`The chat template rejected these messages: ${err.message}`, req.messagesField, 'template_error');
    }
    throw err;
  }
}

/**
 * Renders and counts; throws the 400 a client should see (template, parser, context) before anything is sent. A
 * request too big for the context is refused by its size before rendering, and a big prompt is tokenized off the
 * main thread, stopping once past the context (src/server/prompt-limits.ts).
 */
export async function prepareChatRun(ctx: ServerContext, req: ChatRunRequest): Promise<PreparedChatRun> {
  const step = await countChatStep(ctx, req);
  const maxTokens = completionBudget(ctx, step.promptTokens, req.maxTokens);
  const { constraint, warnings } = await planChatConstraint(ctx, req, step);
  return { step, maxTokens, constraint, warnings };
}

/** The rendered step with its prompt tokenized within the context (count_tokens uses it too). */
export async function countChatStep(ctx: ServerContext, req: ChatRunRequest): Promise<PreparedStep> {
  checkPromptChars(ctx, requestChars(req.step.messages, req.step.tools), req.messagesField);
  const rendered = renderChatStep(ctx, req);
  const tokens = await encodeWithinContext(ctx, rendered.prompt, { addSpecialTokens: false }, req.messagesField);
  // A model without a tokenizer.json here (a remote engine's, which lives upstream) encodes reversibly but not as
  // its tokenizer would: its own count (an estimate) is the one to budget with.
  const promptTokens = ctx.tokenizerThread ? tokens.length : ctx.model.countTokens(rendered.prompt);
  return { ...rendered, promptTokens, tokens };
}

export interface ChatRunSink {
  /** The model is ours (the queue let us through): a stream can open now, before the first token. */
  onStart?: () => void;
  onChunk: (chunk: StepChunk) => void;
}

/**
 * Waits for the model, then streams the step through `onChunk`. Resolves with the outcome; rejects with an ApiError
 * when the generation failed (502 when a remote backend did), or resolves null when the client went away.
 */
export async function executeChatRun(
  ctx: ServerContext,
  prepared: PreparedChatRun,
  req: ChatRunRequest,
  signal: AbortSignal,
  sink: ChatRunSink,
): Promise<ChatRunResult | null> {
  const release = await ctx.queue.acquire(signal);
  let outcome: StepOutcome;
  try {
    sink.onStart?.();
    const params = { ...req.params, maxTokens: prepared.maxTokens, ...(prepared.constraint ? { constraint: prepared.constraint } : {}) };
    const run = runStep(ctx.model, prepared.step, { params, signal, singleCall: req.singleCall });
    let next = await run.next();
    while (!next.done) {
      sink.onChunk(next.value);
      next = await run.next();
    }
    outcome = next.value;
  } finally {
    release();
  }
  if (signal.aborted) return null;
  if (outcome.error) throw generationError(outcome.error);
  return {
    outcome,
    promptTokens: outcome.usage?.promptTokens ?? prepared.step.promptTokens,
    completionTokens: outcome.completionTokens,
    reusedTokens: outcome.usage?.reusedPromptTokens ?? 0,
    warnings: prepared.warnings,
  };
}

export function generationError(err: Error): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof CacheMemoryError) return unavailable(err.message, 'out_of_cache_memory', 1);
  if (err instanceof UpstreamError) return new ApiError(502, `The upstream engine failed: ${err.message}`, 'server_error', null, 'upstream_error');
  return new ApiError(500, `Generation failed: ${err.message}`, 'server_error', null, 'generation_failed');
}

/** Finish reason in OpenAI terms: a call cut off by the budget, then a call, then the token limit. */
export function openAiFinish(outcome: StepOutcome): 'stop' | 'length' | 'tool_calls' {
  // A call cut off by the token budget makes the answer "length", like OpenAI's (its deltas stay sent).
  if (outcome.finishReason === 'length' && outcome.result.unfinished_calls.length) return 'length';
  return outcome.result.tool_calls.length ? 'tool_calls' : outcome.finishReason === 'length' ? 'length' : 'stop';
}
