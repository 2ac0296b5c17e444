// A bounded FIFO in front of the model: `concurrency` requests generate at once (the model's batch), the rest wait.
// A full queue is answered with 429; a request whose client went away leaves the queue at once.
import { queueFull } from './errors.js';

interface Waiter {
  resolve: (release: () => void) => void;
  reject: (err: Error) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class RequestQueue {
  private active = 0;
  private readonly waiters: Waiter[] = [];
  private closedWith: Error | null = null;

  constructor(
    readonly bound: number,
    readonly concurrency = 1,
  ) {}

  get pending(): number {
    return this.waiters.length;
  }

  get running(): number {
    return this.active;
  }

  /** Waits for a slot. Throws 429 when `bound` requests are already waiting; rejects with AbortError if the signal fires first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(abortError());
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (this.active < this.concurrency && this.waiters.length === 0) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiters.length >= this.bound) return Promise.reject(queueFull(this.bound));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(abortError());
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
    });
  }

  /** Shutdown: every waiting request and every later one is rejected with `err`; running ones finish. */
  close(err: Error): void {
    this.closedWith = err;
    for (const w of this.waiters.splice(0)) {
      if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
      w.reject(err);
    }
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.next();
    };
  }

  private next(): void {
    while (this.active < this.concurrency && this.waiters.length) {
      const w = this.waiters.shift()!;
      if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
      this.active++;
      w.resolve(this.releaser());
    }
  }
}

function abortError(): Error {
  const e = new Error('request aborted while queued');
  e.name = 'AbortError';
  return e;
}
