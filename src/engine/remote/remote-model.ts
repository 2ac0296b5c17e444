// A LanguageModel backed by a remote OpenAI-compatible engine (vLLM, SGLang, llama-server, Ollama, LM Studio or
// another vmlx), so the agent loop, parsers, MCP tools, sandbox, approvals and audit log run unchanged on top of it.
// Tool calls and reasoning the upstream already parsed arrive as their own events; raw text (an upstream that does
// not parse) goes through vmlx's parsers like local output. Cancelling aborts the upstream request.
import type { ChatMessage, ChatPromptOptions, GenerateParams, GenerationEvent, LanguageModel, ModelInfo } from '../types.js';
import { UpstreamError } from './errors.js';
import { chatBody, completionBody, decodeChatPrompt, encodeChatPrompt, UpstreamChunk } from './request.js';
import { readSseData } from './sse-lines.js';

export const DEFAULT_REMOTE_CONTEXT = 32768;

export interface RemoteModelOptions {
  /** Base URL of the upstream's OpenAI API: http://host:8000/v1 (a bare http://host:8000 gets /v1). */
  endpoint: string;
  /** The model name the upstream serves. */
  model: string;
  /** Sent as a Bearer token; read from the environment by the CLI, never from a flag. */
  apiKey?: string;
  /** Overrides the context length the upstream reports. */
  contextLength?: number;
  /** Until the upstream answers with headers (default 60 s). */
  connectTimeoutMs?: number;
  /** Longest silence inside a stream (default 300 s: long prompts prefill before the first token). */
  idleTimeoutMs?: number;
}

/** The API base for an endpoint URL; throws a one-line error for anything that is not an http(s) URL. */
export function apiBase(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UpstreamError('unreachable', `'${endpoint}' is not a URL (expected e.g. http://host:8000/v1)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UpstreamError('unreachable', `'${endpoint}' is not an http(s) URL`);
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.origin}${path || '/v1'}`;
}

function contextFrom(entry: Record<string, unknown> | undefined): number | null {
  if (!entry) return null;
  const meta = entry.meta as Record<string, unknown> | undefined;
  for (const v of [entry.max_model_len, entry.context_length, entry.context_window, meta?.n_ctx, meta?.n_ctx_train]) {
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  }
  return null;
}

const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);

function describeFetchFailure(err: unknown, url: string): UpstreamError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message ?? (err as Error).message;
  if (cause?.code && !CONNECT_FAILURES.has(cause.code)) return new UpstreamError('dropped', `${url} closed the connection before answering (${detail})`);
  return new UpstreamError('unreachable', `cannot reach ${url} (${detail})`);
}

export class RemoteModel implements LanguageModel {
  readonly chatTemplate = null;
  /** Things the user should know (the model is not in the upstream's list, ...). */
  readonly warnings: string[] = [];
  private readonly base: string;
  private readonly connectTimeoutMs: number;
  private readonly idleTimeoutMs: number;

  private constructor(
    private readonly opts: RemoteModelOptions,
    readonly info: ModelInfo,
  ) {
    this.base = apiBase(opts.endpoint);
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 60_000;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 300_000;
  }

  /** Checks the upstream answers (GET /models) and reads the model's context length from it when it says. */
  static async connect(opts: RemoteModelOptions): Promise<RemoteModel> {
    const base = apiBase(opts.endpoint);
    const probe = new RemoteModel(opts, RemoteModel.infoFor(opts, opts.contextLength ?? DEFAULT_REMOTE_CONTEXT));
    const res = await probe.request('GET', `${base}/models`, undefined, undefined);
    let listed: Array<Record<string, unknown>> = [];
    try {
      const body = (await res.json()) as { data?: unknown };
      if (Array.isArray(body.data)) listed = body.data as Array<Record<string, unknown>>;
    } catch {
      throw new UpstreamError('malformed', `${base}/models did not answer with JSON; is this an OpenAI-compatible API?`);
    }
    const entry = listed.find((m) => m.id === opts.model);
    const model = new RemoteModel(opts, RemoteModel.infoFor(opts, opts.contextLength ?? contextFrom(entry) ?? DEFAULT_REMOTE_CONTEXT));
    if (listed.length && !entry) {
      model.warnings.push(`${base} does not list the model '${opts.model}' (it lists ${listed.map((m) => String(m.id)).join(', ')})`);
    }
    return model;
  }

  private static infoFor(opts: RemoteModelOptions, contextLength: number): ModelInfo {
    return {
      dir: opts.model,
      arch: 'remote',
      modelType: 'remote',
      contextLength,
      vocabSize: 0,
      numLayers: 0,
      quantization: null,
      weightBytes: 0,
      eosTokenIds: [],
    };
  }

  get endpoint(): string {
    return this.base;
  }

  /** The template lives upstream: the "prompt" is the chat request that generate() sends. */
  renderChat(messages: ChatMessage[], opts: ChatPromptOptions = {}): string {
    return encodeChatPrompt(messages, opts);
  }

  // The tokenizer lives upstream too. Tokens here are code points (reversible, so token-id prompts still work), and
  // counts are estimates at about four bytes per token; usage in results is the upstream's own count.
  encode(text: string): number[] {
    return Array.from(text, (c) => c.codePointAt(0)!);
  }

  decode(tokens: number[]): string {
    return String.fromCodePoint(...tokens);
  }

  countTokens(text: string): number {
    return Math.ceil(Buffer.byteLength(text, 'utf8') / 4);
  }

  async *generate(prompt: string | number[], params: GenerateParams = {}, signal?: AbortSignal): AsyncGenerator<GenerationEvent> {
    const text = typeof prompt === 'string' ? prompt : this.decode(prompt);
    const chat = decodeChatPrompt(text);
    const url = `${this.base}/${chat ? 'chat/completions' : 'completions'}`;
    const body = chat ? chatBody(this.opts.model, chat, params) : completionBody(this.opts.model, text, params);
    const started = performance.now();
    const res = await this.request('POST', url, body, signal);
    if (!res.body) throw new UpstreamError('malformed', `${url} answered without a body`);
    let firstAt: number | null = null;
    let emitted = '';
    let finish: string | null = null;
    let sawDone = false;
    let usage: UpstreamChunk['usage'] = null;
    try {
      for await (const data of readSseData(res.body, this.idleTimeoutMs, url)) {
        if (data === '[DONE]') {
          sawDone = true;
          break;
        }
        const chunk = parseChunk(data, url);
        firstAt ??= performance.now();
        if (chunk.usage) usage = chunk.usage;
        for (const choice of chunk.choices ?? []) {
          const delta = choice.delta;
          const reasoning = delta?.reasoning_content ?? delta?.reasoning;
          if (reasoning) yield { type: 'reasoning', text: reasoning };
          const content = delta?.content ?? choice.text;
          if (content) {
            emitted += content;
            yield { type: 'text', text: content, tokens: [] };
          }
          for (const [i, call] of (delta?.tool_calls ?? []).entries()) {
            yield {
              type: 'tool_call',
              index: call.index ?? i,
              ...(call.id ? { id: call.id } : {}),
              ...(call.function?.name ? { name: call.function.name } : {}),
              ...(call.function?.arguments ? { arguments: call.function.arguments } : {}),
            };
          }
          if (choice.finish_reason) finish = choice.finish_reason;
        }
      }
    } catch (err) {
      if (signal?.aborted) return yield this.done('cancelled', emitted, usage, started, firstAt);
      if (err instanceof UpstreamError) throw err;
      throw new UpstreamError('dropped', `${url} closed the stream mid-answer (${(err as Error).message})`);
    }
    if (signal?.aborted) return yield this.done('cancelled', emitted, usage, started, firstAt);
    if (!sawDone && finish === null) throw new UpstreamError('dropped', `${url} ended the stream before the answer was finished`);
    yield this.done(finish === 'length' ? 'length' : 'stop', emitted, usage, started, firstAt);
  }

  private done(finishReason: 'stop' | 'length' | 'cancelled', text: string, usage: UpstreamChunk['usage'], started: number, firstAt: number | null): GenerationEvent {
    const end = performance.now();
    const prefillMs = (firstAt ?? end) - started;
    const decodeMs = end - (firstAt ?? end);
    const promptTokens = usage?.prompt_tokens ?? 0;
    const completionTokens = usage?.completion_tokens ?? 0;
    return {
      type: 'done',
      finishReason,
      text,
      usage: {
        promptTokens,
        reusedPromptTokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
        completionTokens,
        prefillMs,
        decodeMs,
        prefillTokensPerSecond: prefillMs > 0 ? (promptTokens * 1000) / prefillMs : 0,
        decodeTokensPerSecond: decodeMs > 0 ? (completionTokens * 1000) / decodeMs : 0,
      },
    };
  }

  /** One HTTP request; a non-2xx status becomes an UpstreamError carrying the upstream's own message. */
  private async request(method: 'GET' | 'POST', url: string, body: object | undefined, signal: AbortSignal | undefined): Promise<Response> {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.connectTimeoutMs);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          accept: body ? 'text/event-stream' : 'application/json',
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: controller.signal,
      });
    } catch (err) {
      if (timedOut) throw new UpstreamError('timeout', `${url} did not answer within ${Math.round(this.connectTimeoutMs / 1000)} s`);
      if (signal?.aborted) throw err;
      throw describeFetchFailure(err, url);
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok) {
      const detail = await res.text().catch(() => '');
      throw new UpstreamError('status', `${url} answered ${res.status}: ${errorMessage(detail) || res.statusText}`, res.status);
    }
    return res;
  }

  dispose(): void {}
}

function parseChunk(data: string, url: string): UpstreamChunk {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw new UpstreamError('malformed', `${url} sent a stream event that is not JSON: ${data.slice(0, 120)}`);
  }
  const parsed = UpstreamChunk.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UpstreamError('malformed', `${url} sent a malformed chunk (${issue.path.join('.') || 'root'}: ${issue.message})`);
  }
  if (parsed.data.error) throw new UpstreamError('status', `${url} reported an error mid-stream: ${errorMessage(JSON.stringify(parsed.data))}`);
  return parsed.data;
}

/** The message of an error body in OpenAI ({error: {message}}), Anthropic or plain-text shape. */
function errorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    if (typeof body.error === 'string') return body.error;
    return body.error?.message ?? body.message ?? text.slice(0, 200);
  } catch {
    return text.trim().slice(0, 200);
  }
}
