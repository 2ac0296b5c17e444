// The main-thread side of the tokenizer worker: one worker per served model, started on the first big
// prompt (loading tokenizer.json takes about half a second), requests matched to replies by id.
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LanguageModel } from '../engine/types.js';

export interface TokenizeRequest {
  id: number;
  text: string;
  addSpecialTokens: boolean;
  /** Stop (and report) once this many tokens are counted. */
  limit: number;
}

export type TokenizeReply = { id: number } & ({ ids: Int32Array } | { tokens: number; chars: number } | { error: string });

export type EncodeWithinResult = { ids: number[] } | { tokens: number; chars: number };

interface Pending {
  resolve: (r: EncodeWithinResult) => void;
  reject: (err: Error) => void;
}

export class TokenizerThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly modelDir: string) {}

  /** A thread for a model loaded from a directory with a tokenizer.json; null for others (scripted models). */
  static forModel(model: LanguageModel): TokenizerThread | null {
    return existsSync(join(model.info.dir, 'tokenizer.json')) ? new TokenizerThread(model.info.dir) : null;
  }

  /** The text's ids, or how many tokens were counted (in how many characters) once `limit` was reached. */
  encodeWithin(text: string, addSpecialTokens: boolean, limit: number): Promise<EncodeWithinResult> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, text, addSpecialTokens, limit } satisfies TokenizeRequest);
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./tokenizer-thread-worker.js', import.meta.url), { workerData: { dir: this.modelDir } });
    worker.unref(); // an idle tokenizer must not keep the process alive
    worker.on('message', (reply: TokenizeReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if ('error' in reply) p.reject(new Error(`tokenizer thread: ${reply.error}`));
      else if ('ids' in reply) p.resolve({ ids: Array.from(reply.ids) });
      else p.resolve({ tokens: reply.tokens, chars: reply.chars });
    });
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`tokenizer thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }
}
