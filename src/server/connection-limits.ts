// Slow and excess clients must not take the server down: a cap on open connections (with a clear 503,
// and a small reserve so /health keeps answering), a deadline for each request body (408), and an idle
// timeout for connections that carry no request. Applied to every connection and request in app.ts.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ApiError, requestTimeout } from './errors.js';
import { sendError } from './http-util.js';

export interface ConnectionLimitOptions {
  /** Open connections served normally; beyond it only /health is answered, the rest get 503. */
  maxConnections: number;
  /** Time from the request's arrival to the end of its body before it is answered 408 and closed. */
  bodyTimeoutMs: number;
  /** A connection without a request in progress is closed after this long. */
  idleTimeoutMs: number;
}

const LOG_INTERVAL_MS = 10_000;

/** Connections accepted past the cap, for /health (and a clear 503 for the rest) before the hard refusal. */
export const HEALTH_RESERVE = 16;

const tooManyConnections = (max: number): ApiError =>
  new ApiError(503, `Too many open connections (limit ${max}); retry shortly`, 'server_error', null, 'too_many_connections', {
    'retry-after': '1',
    connection: 'close',
  });

export class ConnectionLimits {
  private readonly sockets = new Set<Socket>();
  private readonly active = new Map<Socket, number>();
  private readonly idleTimers = new Map<Socket, NodeJS.Timeout>();
  private readonly refused = new WeakSet<Socket>();
  private saturated = false;
  private refusedSinceLog = 0;
  private lastLogAt = 0;

  constructor(
    private readonly opts: ConnectionLimitOptions,
    private readonly log: (line: string) => void,
  ) {}

  get open(): number {
    return this.sockets.size;
  }

  get all(): Iterable<Socket> {
    return this.sockets;
  }

  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.onConnection(socket));
  }

  private onConnection(socket: Socket): void {
    const hardLimit = this.opts.maxConnections + HEALTH_RESERVE;
    if (this.sockets.size >= hardLimit) {
      // Past the reserve: answer at the socket level, without waiting for (or parsing) a request.
      this.refused.add(socket);
      const body = JSON.stringify(tooManyConnections(this.opts.maxConnections).toBody());
      socket.on('error', () => {});
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      this.noteRefusal();
      return;
    }
    this.sockets.add(socket);
    this.armIdle(socket);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.active.delete(socket);
      this.disarmIdle(socket);
      // Hysteresis: a flood hovering at the cap must not log a line per connection.
      if (this.saturated && this.sockets.size <= Math.floor((this.opts.maxConnections * 3) / 4)) {
        this.saturated = false;
        this.log(`vmlx serve: connections back under the limit (${this.sockets.size} open)`);
      }
    });
  }

  /**
   * Called first for every request: tracks it on its connection, arms the body deadline, and refuses it
   * (answering 503) when the connection count is over the cap and the request is not for /health.
   */
  admit(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const socket = req.socket;
    if (this.refused.has(socket)) return false;
    this.active.set(socket, (this.active.get(socket) ?? 0) + 1);
    this.disarmIdle(socket);
    res.once('close', () => {
      const n = (this.active.get(socket) ?? 1) - 1;
      if (n > 0) this.active.set(socket, n);
      else {
        this.active.delete(socket);
        if (!socket.destroyed) this.armIdle(socket);
      }
    });
    this.armBodyDeadline(req, res, path);
    if (this.sockets.size > this.opts.maxConnections && path !== '/health') {
      this.noteRefusal();
      sendError(res, tooManyConnections(this.opts.maxConnections));
      return false;
    }
    return true;
  }

  private armBodyDeadline(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (req.complete) return;
    const ms = this.opts.bodyTimeoutMs;
    const timer = setTimeout(() => {
      if (req.complete) return;
      this.log(`vmlx serve: ${req.method} ${path}: the request body did not arrive within ${ms} ms; answered 408 and closed the connection`);
      if (!res.headersSent) {
        res.once('finish', () => req.socket.destroy());
        sendError(res, requestTimeout(ms));
      } else {
        req.socket.destroy();
      }
    }, ms);
    const clear = () => clearTimeout(timer);
    req.once('end', clear);
    res.once('close', clear);
  }

  private armIdle(socket: Socket): void {
    this.disarmIdle(socket);
    const timer = setTimeout(() => {
      if (!this.active.has(socket)) socket.destroy();
    }, this.opts.idleTimeoutMs);
    timer.unref();
    this.idleTimers.set(socket, timer);
  }

  private disarmIdle(socket: Socket): void {
    const t = this.idleTimers.get(socket);
    if (t) clearTimeout(t);
    this.idleTimers.delete(socket);
  }

  /** A line when the cap is first hit, then at most one every LOG_INTERVAL_MS with the count refused since. */
  private noteRefusal(): void {
    this.refusedSinceLog++;
    const now = Date.now();
    if (this.saturated && now - this.lastLogAt < LOG_INTERVAL_MS) return;
    this.log(
      `vmlx serve: ${this.sockets.size} connections open (limit ${this.opts.maxConnections}); refused ${this.refusedSinceLog} with 503${this.saturated ? ' since the last report' : ''}`,
    );
    this.saturated = true;
    this.lastLogAt = now;
    this.refusedSinceLog = 0;
  }
}
