// The HTTP server: node:http with a small route table. node:http rather than a framework because the
// API is a handful of routes, and SSE, backpressure and client-disconnect handling need the raw response.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ServerContext } from './context.js';
import { ApiError, internalError, notFound, unauthorized, unavailable } from './errors.js';
import { apiKeyMatches, ClientDisconnectedError, readJsonBody, sendError, sendJson } from './http-util.js';
import { checkContentType, checkMcpAccess, checkOriginAndHost } from './request-guard.js';
import { ConnectionLimits } from './connection-limits.js';
import { dropWhenUnread, RequestModel } from './request-model.js';
import { handleChatCompletions } from './routes/chat-completions.js';
import { handleCompletions } from './routes/completions.js';
import { handleCountTokens, handleMessages } from './routes/messages.js';
import { handleResponses } from './routes/responses.js';
import { cacheHealth, engineHealth } from './metrics.js';
import { CacheMemoryError } from '../engine/errors.js';
import { errorBodyFor, isAnthropicPath, anthropicErrorBody } from './protocols/wire-errors.js';
import { handleMcpExecute, mcpStatusBody, mcpToolsBody } from './routes/mcp.js';
import { isAbortError } from './generation.js';

type Handler = (ctx: ServerContext, req: IncomingMessage, res: ServerResponse, signal: AbortSignal) => Promise<void> | void;

const routes: Record<string, Handler> = {
  'GET /health': (ctx, _req, res) =>
    sendJson(res, 200, {
      status: 'ok',
      model: ctx.modelId,
      mcp: ctx.executor ? 'enabled' : 'disabled',
      queued: ctx.queue.pending,
      running: ctx.queue.running,
      waiting: ctx.queue.pending,
      engine: engineHealth(ctx.model.schedulerFigures?.()),
      cache: cacheHealth(ctx.model.cacheFigures?.() ?? null),
    }),
  'GET /metrics': async (ctx, _req, res) => {
    const body = await ctx.metrics.text();
    res.writeHead(200, { 'content-type': ctx.metrics.contentType, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  },
  'GET /v1/models': (ctx, _req, res) =>
    sendJson(res, 200, {
      object: 'list',
      data: [
        {
          id: ctx.modelId,
          object: 'model',
          created: ctx.created,
          owned_by: 'vmlx',
          context_length: ctx.model.info.contextLength,
          max_model_len: ctx.model.info.contextLength,
        },
      ],
    }),
  'POST /v1/chat/completions': async (ctx, req, res, signal) =>
    handleChatCompletions(ctx, await readJsonBody(req, ctx.options.maxBodyBytes), res, signal),
  'POST /v1/completions': async (ctx, req, res, signal) =>
    handleCompletions(ctx, await readJsonBody(req, ctx.options.maxBodyBytes), res, signal),
  'POST /v1/messages': async (ctx, req, res, signal) => handleMessages(ctx, await readJsonBody(req, ctx.options.maxBodyBytes), res, signal),
  'POST /v1/messages/count_tokens': async (ctx, req, res) => handleCountTokens(ctx, await readJsonBody(req, ctx.options.maxBodyBytes), res),
  'POST /v1/responses': async (ctx, req, res, signal) => handleResponses(ctx, await readJsonBody(req, ctx.options.maxBodyBytes), res, signal),
  'GET /v1/mcp/status': (ctx, _req, res) => sendJson(res, 200, mcpStatusBody(ctx.executor, false)),
  'GET /v1/mcp/servers': (ctx, _req, res) => sendJson(res, 200, mcpStatusBody(ctx.executor, true)),
  'GET /v1/mcp/tools': (ctx, _req, res) => sendJson(res, 200, mcpToolsBody(ctx.executor)),
  'POST /v1/mcp/execute': async (ctx, req, res, signal) =>
    handleMcpExecute(ctx, await readJsonBody(req, ctx.options.maxBodyBytes), res, signal),
};

export interface RunningServer {
  server: Server;
  url: string;
  /** In-flight requests (for graceful shutdown). */
  inFlight(): number;
  /**
   * Stops accepting; queued requests get 503. Running requests may finish for half of `graceMs`; then their
   * generations are wound down (streams still end with finish_reason and [DONE]); after `graceMs` the rest
   * is cancelled and the sockets closed.
   */
  close(graceMs?: number): Promise<void>;
}

export async function startHttpServer(ctx: ServerContext, log: (line: string) => void): Promise<RunningServer> {
  const controllers = new Set<AbortController>();
  const idleWaiters = new Set<() => void>();
  const windDown = new AbortController();
  let draining = false;
  const limits = new ConnectionLimits(ctx.options, log);
  ctx.warn ??= log;

  const server = createServer((req, res) => {
    const path = requestPath(req);
    if (!limits.admit(req, res, path)) return;
    if (draining) {
      sendError(res, unavailable('The server is shutting down', 'shutting_down', undefined, { connection: 'close' }));
      return;
    }
    const controller = new AbortController();
    controllers.add(controller);
    // A client that goes away before we finished cancels its generation.
    res.on('close', () => {
      if (!res.writableEnded) controller.abort();
      controllers.delete(controller);
      if (!controllers.size) for (const wake of [...idleWaiters]) wake();
    });
    void dispatch(ctx, req, res, path, controller.signal, { log, windDown: windDown.signal });
  });
  limits.attach(server);
  server.requestTimeout = 0; // generations can be long; the body deadline and disconnects are handled per request
  server.headersTimeout = Math.min(server.headersTimeout, ctx.options.bodyTimeoutMs);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(ctx.options.port, ctx.options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : ctx.options.port;
  const host = ctx.options.host.includes(':') ? `[${ctx.options.host}]` : ctx.options.host;

  /** Resolves when no request is in flight, or after `ms`. */
  const untilIdle = (ms: number) =>
    new Promise<void>((resolve) => {
      if (!controllers.size) return resolve();
      const finish = () => {
        clearTimeout(timer);
        idleWaiters.delete(finish);
        resolve();
      };
      const timer = setTimeout(finish, ms);
      idleWaiters.add(finish);
    });

  return {
    server,
    url: `http://${host}:${port}`,
    inFlight: () => controllers.size,
    close: async (graceMs = 5000) => {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      ctx.queue.close(unavailable('The server is shutting down', 'shutting_down'));
      await untilIdle(graceMs / 2);
      windDown.abort();
      await untilIdle(graceMs / 2);
      for (const c of controllers) c.abort();
      for (const s of [...limits.all]) s.destroy();
      await closed;
    },
  };
}

function requestPath(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/';
}

async function dispatch(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  signal: AbortSignal,
  env: { log: (line: string) => void; windDown: AbortSignal },
): Promise<void> {
  const key = `${req.method} ${path}`;
  try {
    if (checkOriginAndHost(ctx.access, req, res) === 'answered') return;
    if (path !== '/health' && ctx.options.apiKey && !apiKeyMatches(req, ctx.options.apiKey)) throw unauthorized();
    const handler = routes[key];
    if (!handler) {
      const known = Object.keys(routes).some((k) => k.endsWith(` ${path}`));
      throw known ? new ApiError(405, `Method ${req.method} is not allowed on ${path}`, 'invalid_request_error', null, 'method_not_allowed') : notFound(`Unknown route ${req.method} ${path}`, 'unknown_route');
    }
    checkContentType(req);
    if (path.startsWith('/v1/mcp/')) checkMcpAccess(ctx.access, `${req.method} ${path}`);
    const pacing = { stallTimeoutMs: ctx.options.stallTimeoutMs, windDown: env.windDown, log: env.log, label: key };
    await handler({ ...ctx, model: new RequestModel(ctx.model, res, pacing) }, req, res, signal);
    dropWhenUnread(res, pacing);
  } catch (err) {
    if (err instanceof ClientDisconnectedError) {
      // Not a server fault: one line, no stack (and none when the body deadline already answered it).
      if (!res.headersSent) env.log(`vmlx serve: ${key}: the client disconnected before sending the whole request body`);
      return;
    }
    if (isAbortError(err) && signal.aborted) return;
    // A full KV pool is a clear 503 (retry later), not an internal error.
    const apiErr = err instanceof ApiError ? err : err instanceof CacheMemoryError ? unavailable(err.message, 'out_of_cache_memory', 1) : internalError();
    if (!(err instanceof ApiError) && !(err instanceof CacheMemoryError)) env.log(`error: ${key}: ${(err as Error)?.stack ?? String(err)}`);
    if (res.headersSent) {
      // Mid-stream: report the error as an SSE event, then close the stream.
      if (!res.writableEnded) {
        res.end(isAnthropicPath(path) ? `event: error\ndata: ${JSON.stringify(anthropicErrorBody(apiErr))}\n\n` : `data: ${JSON.stringify(apiErr.toBody())}\n\ndata: [DONE]\n\n`);
      }
      return;
    }
    sendJson(res, apiErr.status, errorBodyFor(path, apiErr), apiErr.headers);
  }
}
