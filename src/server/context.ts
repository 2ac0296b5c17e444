// What every route handler gets: the served model, the MCP executor (if any), the queue and the options.
import type { ResponseStore } from './protocols/response-store.js';
import type { LanguageModel } from '../engine/types.js';
import type { ToolExecutor } from '../agent/mcp/types.js';
import type { RequestQueue } from './request-queue.js';
import type { ServerMetrics } from './metrics.js';
import type { AccessPolicy } from './request-guard.js';
import type { TokenizerThread } from './tokenizer-thread.js';

export interface ServeOptions {
  host: string;
  port: number;
  apiKey?: string;
  toolCallParser: string; // name | 'auto'
  reasoningParser: string; // name | 'auto' | 'none'
  maxTokensDefault: number;
  maxBodyBytes: number;
  queueBound: number;
  /** Requests generating at once (default: the model's own concurrency, its batch size; a remote engine batches itself). */
  concurrency?: number;
  /** Cap (characters) on each tool result fed back to the model by mcp_auto_execute. */
  toolResultCap: number;
  maxToolRounds: number;
  /** Share of the context the tool schemas may take before mcp_auto_execute defers them (search_tools/call_tool). */
  toolSchemaShare?: number;
  /** Origins a web page may call from (CORS); a request with any other Origin is refused. */
  allowedOrigins: string[];
  /** Host-header names accepted besides loopback names and the bound address. */
  allowedHosts: string[];
  /** Open connections served before new requests get 503 (only /health still answers). */
  maxConnections: number;
  /** Deadline for a request body to arrive completely (408 after). */
  bodyTimeoutMs: number;
  /** A connection with no request in progress is closed after this long. */
  idleTimeoutMs: number;
  /** A streaming client whose socket stays full this long is dropped. */
  stallTimeoutMs: number;
}

export interface ServerContext {
  model: LanguageModel;
  /** The id clients use in "model"; "default" is accepted too. */
  modelId: string;
  created: number;
  executor: ToolExecutor | null;
  queue: RequestQueue;
  /** /metrics (Prometheus): running/waiting requests and the KV cache figures. */
  metrics: ServerMetrics;
  options: ServeOptions;
  access: AccessPolicy;
  /** Tokenizes big prompts off the main thread (null when the model has no tokenizer.json). */
  tokenizerThread: TokenizerThread | null;
  /** Stored /v1/responses answers for previous_response_id (bounded, in memory, one per server). */
  responses: ResponseStore;
  /** The server's log (set when the HTTP server starts): constraint warnings go there too. */
  warn?: (line: string) => void;
}
