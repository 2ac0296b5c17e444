// Shared by /v1/chat/completions and /v1/completions: sampling params, the context check, logprob shapes.
import type { GenerateParams, TokenLogprob } from '../engine/types.js';
import { badRequest, notFound } from './errors.js';
import type { ServerContext } from './context.js';

export interface SamplingRequest {
  model: string;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  top_k?: number | null;
  min_p?: number | null;
  seed?: number | null;
  stop?: string | string[] | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  repetition_penalty?: number | null;
  ignore_eos?: boolean | null;
  n?: number | null;
}

export function checkModelAndN(ctx: ServerContext, req: SamplingRequest): void {
  if (req.model !== ctx.modelId && req.model !== 'default') {
    throw notFound(`The model '${req.model}' does not exist; this server serves '${ctx.modelId}'`, 'model_not_found');
  }
  if (req.n != null && req.n !== 1) throw badRequest(`Only n=1 is supported (got n=${req.n})`, 'n', 'unsupported_value');
}

/** Throws 400 with the numbers when the prompt does not fit; returns the completion budget. */
export function completionBudget(ctx: ServerContext, promptTokens: number, requested: number | null | undefined): number {
  const limit = ctx.model.info.contextLength;
  if (promptTokens >= limit) {
    throw badRequest(
      `This model's maximum context length is ${limit} tokens, but the prompt has ${promptTokens} tokens`,
      'messages',
      'context_length_exceeded',
    );
  }
  const room = limit - promptTokens;
  if (requested != null && requested > room) {
    throw badRequest(
      `This model's maximum context length is ${limit} tokens; the prompt has ${promptTokens} tokens, so at most ${room} can be generated (requested ${requested})`,
      'max_tokens',
      'context_length_exceeded',
    );
  }
  return requested ?? Math.min(ctx.options.maxTokensDefault, room);
}

export function samplingParams(req: SamplingRequest, maxTokens: number, logprobs: number | null): GenerateParams {
  const stop = req.stop == null ? undefined : typeof req.stop === 'string' ? [req.stop] : req.stop;
  const p: GenerateParams = { maxTokens };
  if (req.temperature != null) p.temperature = req.temperature;
  if (req.top_p != null) p.topP = req.top_p;
  if (req.top_k != null) p.topK = req.top_k;
  if (req.min_p != null) p.minP = req.min_p;
  if (req.seed != null) p.seed = req.seed >>> 0;
  if (stop?.length) p.stop = stop;
  if (req.presence_penalty != null) p.presencePenalty = req.presence_penalty;
  if (req.frequency_penalty != null) p.frequencyPenalty = req.frequency_penalty;
  if (req.repetition_penalty != null) p.repetitionPenalty = req.repetition_penalty;
  if (req.ignore_eos) p.ignoreEos = true;
  if (logprobs != null) {
    p.logprobs = true;
    p.topLogprobs = logprobs;
  }
  return p;
}

export interface OpenAiTokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: Array<{ token: string; logprob: number; bytes: number[] }>;
}

export function toOpenAiLogprobs(items: TokenLogprob[] | undefined): OpenAiTokenLogprob[] {
  if (!items) return [];
  return items.map((t) => ({
    token: t.text,
    logprob: t.logprob,
    bytes: [...Buffer.from(t.text, 'utf8')],
    top_logprobs: t.top.map((a) => ({ token: a.text, logprob: a.logprob, bytes: [...Buffer.from(a.text, 'utf8')] })),
  }));
}

export function usageBody(promptTokens: number, completionTokens: number, reused = 0): Record<string, unknown> {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: reused },
  };
}

export function isAbortError(err: unknown): boolean {
  return (err as Error | undefined)?.name === 'AbortError';
}
