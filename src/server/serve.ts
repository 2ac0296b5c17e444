// `vmlx serve`: load the model, connect the MCP servers, listen, and shut down cleanly on SIGINT/SIGTERM.
import { ResponseStore } from './protocols/response-store.js';
import { basename, resolve } from 'node:path';
import type { LanguageModel } from '../engine/types.js';
import type { ToolExecutor } from '../agent/mcp/types.js';
import { ServerMetrics } from './metrics.js';
import { RequestQueue } from './request-queue.js';
import { startHttpServer, type RunningServer } from './app.js';
import type { ServeOptions, ServerContext } from './context.js';
import { createAccessPolicy } from './request-guard.js';
import { TokenizerThread } from './tokenizer-thread.js';

export interface ServeDeps {
  model: LanguageModel;
  executor: ToolExecutor | null;
  modelId?: string;
  log?: (line: string) => void;
}

export interface ServeHandle extends RunningServer {
  ctx: ServerContext;
  /** Graceful stop: stop accepting, finish or cancel in-flight requests, close MCP servers and the model. */
  shutdown(graceMs?: number): Promise<void>;
}

export const DEFAULT_SERVE_OPTIONS: ServeOptions = {
  host: '127.0.0.1',
  port: 8000,
  toolCallParser: 'auto',
  reasoningParser: 'auto',
  maxTokensDefault: 2048,
  maxBodyBytes: 8 * 1024 * 1024,
  queueBound: 64,
  toolResultCap: 16 * 1024,
  maxToolRounds: 10,
  allowedOrigins: [],
  allowedHosts: [],
  maxConnections: 256,
  bodyTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  stallTimeoutMs: 30_000,
};

export async function serve(deps: ServeDeps, options: Partial<ServeOptions> = {}): Promise<ServeHandle> {
  const opts: ServeOptions = { ...DEFAULT_SERVE_OPTIONS, ...options };
  const log = deps.log ?? (() => {});
  const queue = new RequestQueue(opts.queueBound, opts.concurrency ?? deps.model.concurrency ?? 1);
  const ctx: ServerContext = {
    model: deps.model,
    modelId: deps.modelId ?? basename(resolve(deps.model.info.dir)),
    created: Math.floor(Date.now() / 1000),
    executor: deps.executor,
    // As many requests run as the model generates at once (its batch); the rest wait, up to queueBound, then 429.
    queue,
    metrics: new ServerMetrics({ queue, model: deps.model }),
    options: opts,
    access: createAccessPolicy(opts),
    tokenizerThread: TokenizerThread.forModel(deps.model),
    responses: new ResponseStore(),
  };
  const running = await startHttpServer(ctx, log);
  let stopping: Promise<void> | null = null;
  return {
    ...running,
    ctx,
    shutdown: (graceMs = 5000) =>
      (stopping ??= (async () => {
        await running.close(graceMs);
        await ctx.tokenizerThread?.close();
        await deps.executor?.close();
        await deps.model.dispose();
      })()),
  };
}
