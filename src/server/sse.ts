// Server-sent events: chat completions' `data: {json}\n\n` ... `data: [DONE]\n\n`, and named events for the
// Anthropic and Responses streams.
import type { ServerResponse } from 'node:http';

export class SseWriter {
  private started = false;

  constructor(private readonly res: ServerResponse) {}

  get closed(): boolean {
    return this.res.writableEnded || this.res.destroyed;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    this.res.flushHeaders();
  }

  send(data: unknown): void {
    if (this.closed) return;
    this.start();
    this.res.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  /** A named event (`event: NAME`), as the Anthropic and Responses streams use. */
  event(name: string, data: unknown): void {
    if (this.closed) return;
    this.start();
    this.res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Ends a stream that has no [DONE] sentinel. */
  end(): void {
    if (this.closed) return;
    this.start();
    this.res.end();
  }

  done(): void {
    if (this.closed) return;
    this.start();
    this.res.end('data: [DONE]\n\n');
  }
}
