// POST /v1/completions: a raw prompt string, streaming or not.
import type { ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { ServerContext } from '../context.js';
import { CompletionRequest, parseBody } from '../schemas.js';
import { SseWriter } from '../sse.js';
import { checkModelAndN, completionBudget, samplingParams, usageBody } from '../generation.js';
import { sendJson } from '../http-util.js';
import type { TokenLogprob } from '../../engine/types.js';
import { checkPromptChars, encodeWithinContext } from '../prompt-limits.js';

export async function handleCompletions(ctx: ServerContext, body: unknown, res: ServerResponse, signal: AbortSignal): Promise<void> {
  const req = parseBody(CompletionRequest, body);
  checkModelAndN(ctx, req);
  const prompt = typeof req.prompt === 'string' ? req.prompt : req.prompt[0];
  checkPromptChars(ctx, prompt.length, 'prompt');
  const tokens = await encodeWithinContext(ctx, prompt, { addSpecialTokens: true }, 'prompt');
  const maxTokens = completionBudget(ctx, tokens.length, req.max_tokens);
  const params = samplingParams(req, maxTokens, req.logprobs ?? null);

  const release = await ctx.queue.acquire(signal);
  const id = `cmpl-${randomUUID().replace(/-/g, '').slice(0, 24)}`;
  const created = Math.floor(Date.now() / 1000);
  const sse = req.stream ? new SseWriter(res) : null;
  const chunk = (text: string, finish: string | null, logprobs: TokenLogprob[] | null) => ({
    id,
    object: 'text_completion',
    created,
    model: ctx.modelId,
    choices: [{ index: 0, text, logprobs: logprobs ? legacyLogprobs(logprobs) : null, finish_reason: finish }],
  });
  try {
    let text = req.echo ? prompt : '';
    let completionTokens = 0;
    let cachedTokens = 0;
    let finish = 'stop';
    const all: TokenLogprob[] = [];
    if (sse && req.echo) sse.send(chunk(prompt, null, null));
    for await (const ev of ctx.model.generate(tokens, params, signal)) {
      if (ev.type === 'text') {
        text += ev.text;
        if (ev.logprobs) all.push(...ev.logprobs);
        if (sse) sse.send(chunk(ev.text, null, req.logprobs != null ? (ev.logprobs ?? []) : null));
      } else if (ev.type === 'done') {
        completionTokens = ev.usage.completionTokens;
        cachedTokens = ev.usage.reusedPromptTokens;
        finish = ev.finishReason === 'length' ? 'length' : 'stop';
      }
    }
    if (signal.aborted) return;
    if (sse) {
      sse.send(chunk('', finish, null));
      if (req.stream_options?.include_usage) {
        sse.send({ id, object: 'text_completion', created, model: ctx.modelId, choices: [], usage: usageBody(tokens.length, completionTokens, cachedTokens) });
      }
      sse.done();
    } else {
      const body = chunk(text, finish, req.logprobs != null ? all : null);
      sendJson(res, 200, { ...body, usage: usageBody(tokens.length, completionTokens, cachedTokens) });
    }
  } finally {
    release();
  }
}

/** The legacy completions logprobs shape. */
function legacyLogprobs(items: TokenLogprob[]): object {
  let offset = 0;
  const textOffset: number[] = [];
  for (const t of items) {
    textOffset.push(offset);
    offset += t.text.length;
  }
  return {
    tokens: items.map((t) => t.text),
    token_logprobs: items.map((t) => t.logprob),
    top_logprobs: items.map((t) => Object.fromEntries(t.top.map((a) => [a.text, a.logprob]))),
    text_offset: textOffset,
  };
}
