// Turns the addon's token callbacks into GenerationEvents: detokenizes incrementally, applies stop strings,
// attaches logprobs, and ends with one 'done' event carrying usage and the finish reason.
import { createDetokenizer, StopStringMatcher } from './detokenizer.js';
import { typedEngineError } from './errors.js';
import type { NativeGenerationStats, NativeJob, NativeTokenEvent } from './native-types.js';
import type { TextTokenizer } from './tokenizer.js';
import type { FinishReason, GenerationEvent, GenerationUsage, TokenLogprob } from './types.js';

export interface StreamOptions {
  tokenizer: TextTokenizer;
  /** Ids that ended generation; they are reported by the addon but produce no text. */
  eosTokenIds: ReadonlySet<number>;
  stop: readonly string[];
  promptTokens: number;
  signal?: AbortSignal;
}

export function usageFrom(stats: NativeGenerationStats | null, promptTokens: number): GenerationUsage {
  const reused = stats?.reusedTokens ?? 0;
  const generated = stats?.generatedTokens ?? 0;
  const prefillMs = stats?.prefillMs ?? 0;
  const decodeMs = stats?.decodeMs ?? 0;
  return {
    promptTokens,
    reusedPromptTokens: reused,
    completionTokens: generated,
    prefillMs,
    decodeMs,
    prefillTokensPerSecond: prefillMs > 0 ? ((promptTokens - reused) * 1000) / prefillMs : 0,
    // The first token comes from the prefill's logits; the decode time covers the forward passes of the others.
    decodeTokensPerSecond: decodeMs > 0 && generated > 1 ? ((generated - 1) * 1000) / decodeMs : 0,
  };
}

/**
 * Flow control: with this many tokens delivered by the engine and not yet taken by the consumer, the job is paused
 * (a client that stopped reading holds the decode instead of a growing queue), and resumed once the consumer has
 * taken the queue below the low mark.
 */
export const PAUSE_AT_QUEUED_TOKENS = 64;
export const RESUME_BELOW_QUEUED_TOKENS = 16;

/** Runs one native job to completion (or cancellation) and yields its events. Always waits for the job to end. */
export async function* streamJob(
  start: (onTokens: (events: NativeTokenEvent[]) => void) => NativeJob,
  o: StreamOptions,
): AsyncGenerator<GenerationEvent> {
  const queue: NativeTokenEvent[][] = [];
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  let finished = false;
  let stats: NativeGenerationStats | null = null;
  let failure: unknown = null;
  let queued = 0;
  let paused = false;
  const job = start((events) => {
    queue.push(events);
    queued += events.length;
    if (!paused && queued >= PAUSE_AT_QUEUED_TOKENS && job.pause) {
      paused = true;
      job.pause();
    }
    notify();
  });
  job.done.then(
    (s) => {
      stats = s;
      finished = true;
      notify();
    },
    (err: unknown) => {
      failure = typedEngineError(err);
      finished = true;
      notify();
    },
  );
  const onAbort = () => job.cancel();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) job.cancel();

  const detok = createDetokenizer(o.tokenizer);
  const stopper = new StopStringMatcher(o.stop);
  let fullText = '';
  let tokens: number[] = [];
  let logprobs: TokenLogprob[] = [];
  let text = '';
  const take = (): GenerationEvent => {
    const ev: GenerationEvent = { type: 'text', text, tokens };
    if (logprobs.length > 0) ev.logprobs = logprobs;
    fullText += text;
    text = '';
    tokens = [];
    logprobs = [];
    return ev;
  };
  try {
    for (;;) {
      const batch = queue.shift();
      if (!batch) {
        if (finished) break;
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      queued -= batch.length;
      if (paused && queued < RESUME_BELOW_QUEUED_TOKENS) {
        paused = false;
        job.resume?.();
      }
      if (stopper.stopped) continue; // tokens that raced the cancel after a stop string
      for (const ev of batch) {
        if (o.eosTokenIds.has(ev.token)) continue;
        tokens.push(ev.token);
        if (ev.logprob !== undefined) logprobs.push(toLogprob(ev, o.tokenizer));
        text += stopper.push(detok.push(ev.token));
        if (stopper.stopped) {
          job.cancel();
          break;
        }
      }
      if (text.length > 0) yield take();
    }
    if (failure) throw failure;
    if (!stopper.stopped) text += stopper.push(detok.flush()) + stopper.flush();
    if (text.length > 0 || tokens.length > 0) yield take();
    const s = stats as NativeGenerationStats | null;
    const finishReason: FinishReason = stopper.stopped || s?.finishReason === 'eos' ? 'stop' : (s?.finishReason ?? 'cancelled');
    yield { type: 'done', finishReason, usage: usageFrom(s, o.promptTokens), text: fullText };
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    if (!finished) {
      // The consumer stopped early (break/return/throw): stop the job and wait so the session is free again.
      job.cancel();
      await job.done.catch(() => undefined);
    }
  }
}

function toLogprob(ev: NativeTokenEvent, tokenizer: TextTokenizer): TokenLogprob {
  const top: TokenLogprob['top'] = [];
  if (ev.topTokens && ev.topLogprobs) {
    for (let i = 0; i < ev.topTokens.length; i++) {
      const token = ev.topTokens[i]!;
      top.push({ token, text: tokenizer.decode([token]), logprob: ev.topLogprobs[i]! });
    }
  }
  return { token: ev.token, text: tokenizer.decode([ev.token]), logprob: ev.logprob!, top };
}
