// Requests MCP servers make of the user while a chat runs (an elicitation form or URL, a sampling approval),
// queued for the REPL to show one at a time. The McpHost's handlers put a request here and wait for the
// answer; a request whose server cancels it (or disconnects) leaves the queue with a 'cancel' answer.
import type { ElicitationAnswer, ElicitationHandler, ElicitationRequest } from '../../agent/mcp/elicitation.js';
import type { SamplingApprovalRequest, SamplingApprover } from '../../agent/mcp/sampling.js';

export interface SamplingVerdict {
  approved: boolean;
  reason?: string;
}

export type HostRequest =
  | { id: number; kind: 'elicitation'; request: ElicitationRequest; respond: (answer: ElicitationAnswer) => void }
  | {
      id: number;
      kind: 'sampling';
      request: SamplingApprovalRequest;
      /** The most tokens the host lets a sampling answer have (the request's maxTokens is capped to it). */
      tokenLimit?: number;
      respond: (verdict: SamplingVerdict, always?: boolean) => void;
    };

export class HostRequestQueue {
  private queue: HostRequest[] = [];
  private nextId = 1;
  private readonly listeners = new Set<() => void>();
  /** Servers the user allowed to sample for the rest of this session ('a' at the prompt). */
  private readonly samplingAllowed = new Set<string>();

  /** `samplingTokenLimit`: the sampler's cap on generated tokens, shown with each request. */
  constructor(private readonly opts: { samplingTokenLimit?: number } = {}) {}

  /** The request to show now (the oldest), or undefined. */
  current = (): HostRequest | undefined => this.queue[0];

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  get size(): number {
    return this.queue.length;
  }

  /** The handler the McpHost calls for elicitations. */
  elicitationHandler(): ElicitationHandler {
    return (request, signal) =>
      this.enqueue<ElicitationAnswer>(signal, { action: 'cancel', reason: 'the server withdrew the request' }, (id, settle) => ({
        id,
        kind: 'elicitation',
        request,
        respond: settle,
      }));
  }

  /** The approver the McpHost calls for sampling requests its policy asks about. */
  samplingApprover(): SamplingApprover {
    return (request, signal) => {
      if (this.samplingAllowed.has(request.server)) return Promise.resolve({ approved: true });
      return this.enqueue<SamplingVerdict>(signal, { approved: false, reason: 'the server withdrew the request' }, (id, settle) => ({
        id,
        kind: 'sampling',
        request,
        ...(this.opts.samplingTokenLimit !== undefined ? { tokenLimit: this.opts.samplingTokenLimit } : {}),
        respond: (verdict, always) => {
          if (verdict.approved && always) this.samplingAllowed.add(request.server);
          settle(verdict);
        },
      }));
    };
  }

  /** Answers every pending request with its cancel answer (the REPL is closing). */
  cancelAll(): void {
    for (const r of [...this.queue]) {
      if (r.kind === 'elicitation') r.respond({ action: 'cancel', reason: 'the chat closed' });
      else r.respond({ approved: false, reason: 'the chat closed' });
    }
  }

  private enqueue<T>(signal: AbortSignal, onAbort: T, make: (id: number, settle: (answer: T) => void) => HostRequest): Promise<T> {
    if (signal.aborted) return Promise.resolve(onAbort);
    return new Promise<T>((resolve) => {
      const id = this.nextId++;
      let done = false;
      const settle = (answer: T) => {
        if (done) return;
        done = true;
        signal.removeEventListener('abort', abort);
        this.queue = this.queue.filter((r) => r.id !== id);
        this.emit();
        resolve(answer);
      };
      const abort = () => settle(onAbort);
      signal.addEventListener('abort', abort, { once: true });
      this.queue = [...this.queue, make(id, settle)];
      this.emit();
    });
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }
}
