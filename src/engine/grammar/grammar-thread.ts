// The main-thread side of the grammar worker: one per loaded model, started on the first constrained request.
// Requests are matched to replies by id; nothing here computes a mask.
import { Worker } from 'node:worker_threads';
import type { GrammarReply, GrammarRequest, GrammarSpec, GrammarWorkerData } from './protocol.js';

/** The grammar engine failed (a schema it cannot compile, a token it rejected, a worker that died). */
export class GrammarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GrammarError';
  }
}

export type MaskReply = { mask: Int32Array; steering: boolean; maskMs: number } | { done: true };

type RequestBody = GrammarRequest extends infer R ? (R extends GrammarRequest ? Omit<R, 'id'> : never) : never;

export class GrammarThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private nextJob = 1;
  private readonly pending = new Map<number, { resolve: (r: GrammarReply) => void; reject: (e: Error) => void }>();

  constructor(private readonly data: GrammarWorkerData) {}

  /** Compiles (or finds cached) the spec's grammar; the first call also builds the vocabulary's tables. */
  async compile(spec: GrammarSpec): Promise<{ compileMs: number; cached: boolean }> {
    const r = await this.request({ op: 'compile', spec });
    if ('error' in r) throw new GrammarError(`the grammar did not compile: ${r.error}`);
    if (!('ok' in r)) throw new GrammarError('unexpected grammar reply');
    return { compileMs: r.compileMs, cached: r.cached };
  }

  /** Compiles the spec as a probe: null when it compiles, else the grammar engine's reason for rejecting it. */
  async rejection(spec: GrammarSpec): Promise<string | null> {
    const r = await this.request({ op: 'compile', spec });
    if ('error' in r) return r.error;
    if (!('ok' in r)) throw new GrammarError('unexpected grammar reply');
    return null;
  }

  /** A new matcher for one generation; resolves with its id and the first step's mask. */
  async start(spec: GrammarSpec, maxTokens: number): Promise<{ job: number; first: MaskReply }> {
    const job = this.nextJob++;
    return { job, first: this.maskOf(await this.request({ op: 'start', job, spec, maxTokens })) };
  }

  /** Advances the job's matcher with the sampled token; resolves with the next step's mask, or done. */
  async accept(job: number, token: number): Promise<MaskReply> {
    return this.maskOf(await this.request({ op: 'accept', job, token }));
  }

  end(job: number): void {
    void this.request({ op: 'end', job }).catch(() => undefined);
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  private maskOf(r: GrammarReply): MaskReply {
    if ('error' in r) throw new GrammarError(r.error);
    if ('done' in r) return { done: true };
    if ('mask' in r) return r;
    throw new GrammarError('unexpected grammar reply');
  }

  private request(body: RequestBody): Promise<GrammarReply> {
    const worker = this.spawn();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...body, id } as GrammarRequest);
    });
  }

  private spawn(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./grammar-worker.js', import.meta.url), { workerData: this.data });
    worker.unref(); // an idle grammar thread must not keep the process alive
    worker.on('message', (reply: GrammarReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      p.resolve(reply);
    });
    const failAll = (err: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const p of this.pending.values()) p.reject(new GrammarError(`the grammar thread failed: ${err.message}`));
      this.pending.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}
