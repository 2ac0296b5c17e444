// The served model as one request sees it. Every route gets this view, so two things hold for all of them:
// - backpressure: the next generation event is not pulled while the client's socket is full, so a client
//   that does not read makes the server wait instead of buffering the whole generation; a client that stays
//   stalled past the timeout is dropped, which cancels its generation and frees its place in the queue.
// - shutdown: when the server winds down, the generation stops and ends with finish reason 'length', so the
//   route finishes its response properly (finish_reason, usage, [DONE]) instead of being cut mid-token.
import type { ServerResponse } from 'node:http';
import type { CacheFigures, ChatMessage, ChatPromptOptions, GenerateParams, GenerationEvent, LanguageModel, ModelInfo, SchedulerFigures } from '../engine/types.js';

export interface RequestModelOptions {
  /** How long a full socket may stay full before the client is dropped. */
  stallTimeoutMs: number;
  /** Fires when the server shuts down: generations end early, responses are still completed. */
  windDown: AbortSignal;
  log: (line: string) => void;
  /** For log lines: "POST /v1/chat/completions". */
  label: string;
}

export class RequestModel implements LanguageModel {
  constructor(
    private readonly inner: LanguageModel,
    private readonly res: ServerResponse,
    private readonly opts: RequestModelOptions,
  ) {}

  get info(): ModelInfo {
    return this.inner.info;
  }

  get chatTemplate(): string | null {
    return this.inner.chatTemplate;
  }

  get checkpointsSharedPrefixes(): boolean {
    return this.inner.checkpointsSharedPrefixes === true;
  }

  renderChat(messages: ChatMessage[], opts?: ChatPromptOptions): string {
    return this.inner.renderChat(messages, opts);
  }

  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[] {
    return this.inner.encode(text, opts);
  }

  decode(tokens: number[]): string {
    return this.inner.decode(tokens);
  }

  countTokens(text: string): number {
    return this.inner.countTokens(text);
  }

  schedulerFigures(): SchedulerFigures | undefined {
    return this.inner.schedulerFigures?.();
  }

  cacheFigures(): CacheFigures | null {
    return this.inner.cacheFigures?.() ?? null;
  }

  get grammar(): LanguageModel['grammar'] {
    return this.inner.grammar ? () => this.inner.grammar!() : undefined;
  }

  async *generate(prompt: string | number[], params?: GenerateParams, signal?: AbortSignal): AsyncGenerator<GenerationEvent> {
    const { windDown } = this.opts;
    // Linked by hand and unlinked at the end: the long-lived wind-down signal must not collect listeners.
    const linked = new AbortController();
    const stop = () => linked.abort();
    signal?.addEventListener('abort', stop, { once: true });
    windDown.addEventListener('abort', stop, { once: true });
    if (signal?.aborted || windDown.aborted) linked.abort();
    try {
      for await (const ev of this.inner.generate(prompt, params, linked.signal)) {
        if (ev.type === 'done' && ev.finishReason === 'cancelled' && windDown.aborted && !signal?.aborted) {
          yield { ...ev, finishReason: 'length' }; // cut short by the shutdown, not by the client
        } else {
          yield ev;
        }
        await this.writable();
      }
    } finally {
      signal?.removeEventListener('abort', stop);
      windDown.removeEventListener('abort', stop);
    }
  }

  /** The request's view must not dispose the served model. */
  dispose(): void {}

  /** Resolves once the response can take more data; drops the client if it stays full past the stall timeout. */
  private async writable(): Promise<void> {
    const res = this.res;
    if (!res.writableNeedDrain || res.destroyed) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.opts.log(`vmlx serve: ${this.opts.label}: the client read nothing for ${this.opts.stallTimeoutMs} ms with its socket full; dropped it`);
        res.destroy(); // 'close' aborts the request's signal, which cancels the generation
        done();
      }, this.opts.stallTimeoutMs);
      res.once('drain', done);
      res.once('close', done);
    });
  }
}

/**
 * After a route ended its response: a client that does not read the rest (a big non-streamed body, or the
 * last chunks of a stream) is dropped after the stall timeout instead of holding the connection forever.
 */
export function dropWhenUnread(res: ServerResponse, opts: Pick<RequestModelOptions, 'stallTimeoutMs' | 'log' | 'label'>): void {
  if (!res.writableEnded || res.writableFinished || res.destroyed) return;
  const timer = setTimeout(() => {
    opts.log(`vmlx serve: ${opts.label}: the client did not read the response for ${opts.stallTimeoutMs} ms; dropped it`);
    res.destroy();
  }, opts.stallTimeoutMs);
  const clear = () => clearTimeout(timer);
  res.once('finish', clear);
  res.once('close', clear);
}
