// What every route handler gets: the served model, the MCP executor (if any), the queue and the options.
import type { LanguageModel } from '../engine/types.js';
import type { ToolExecutor } from '../agent/mcp/types.js';
import type { RequestQueue } from './request-queue.js';

export interface ServeOptions {
  host: string;
  port: number;
  apiKey?: string;
  toolCallParser: string; // name | 'auto'
  reasoningParser: string; // name | 'auto' | 'none'
  maxTokensDefault: number;
  maxBodyBytes: number;
  queueBound: number;
  /** Requests generating at once: 1 for the embedded engine; a remote engine batches them itself. */
  concurrency?: number;
  continuousBatching: boolean;
  /** Cap (characters) on each tool result fed back to the model by mcp_auto_execute. */
  toolResultCap: number;
  maxToolRounds: number;
}

export interface ServerContext {
  model: LanguageModel;
  /** The id clients use in "model"; "default" is accepted too. */
  modelId: string;
  created: number;
  executor: ToolExecutor | null;
  queue: RequestQueue;
  options: ServeOptions;
}
