// One streaming chat-completion request as an agent client makes it, timed from the client's side: time to the first
// generated text, the gaps between text chunks, and the usage the server reports at the end. Works against any
// OpenAI-compatible server (vmlx serve, llama-server).
import { request } from 'node:http';

export interface StreamTiming {
  ok: boolean;
  /** The HTTP status or the network error, when !ok. */
  error?: string;
  /** Milliseconds from sending the request to the first chunk carrying text (content or reasoning). */
  ttftMs: number;
  /** Milliseconds between consecutive text chunks. */
  gapsMs: number[];
  /** From the usage chunk when the server sends one, else the number of text chunks. */
  completionTokens: number;
  promptTokens?: number;
  cachedTokens?: number;
  finishedAt: number;
}

export interface ChatBody {
  model: string;
  messages: { role: 'system' | 'user'; content: string }[];
  max_tokens: number;
  temperature: number;
  seed?: number;
  /** Generate max_tokens whatever the model says (both servers take it): the steady-decode probe's streams all run. */
  ignore_eos?: boolean;
}

interface StreamChunk {
  choices?: { delta?: { content?: string | null; reasoning_content?: string | null } }[];
  usage?: { completion_tokens?: number; prompt_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } } | null;
}

/**
 * POSTs `body` and yields the response's bytes. node:http rather than fetch: fetch gives up after 300 s without
 * headers or between two chunks, and a request queued behind dozens of long prompts can wait longer than that.
 * One connection per request (no keep-alive agent): a server may close an idle kept-alive socket just as the next
 * request is written to it ("socket hang up"), which would count as a failed request.
 */
async function postStream(url: string, body: string, signal?: AbortSignal): Promise<{ status: number; chunks: AsyncIterable<Buffer> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, signal }, (res) => {
      resolve({ status: res.statusCode ?? 0, chunks: res });
    });
    req.once('error', reject);
    req.end(body);
  });
}

async function textOf(chunks: AsyncIterable<Buffer>): Promise<string> {
  let text = '';
  for await (const c of chunks) text += c.toString();
  return text;
}

/** Sends one streaming request to `${baseUrl}/v1/chat/completions` and times it; never throws for a server error. */
export async function timedStream(baseUrl: string, body: ChatBody, signal?: AbortSignal, onText?: (atMs: number) => void): Promise<StreamTiming> {
  const start = performance.now();
  const failed = (error: string): StreamTiming => ({ ok: false, error, ttftMs: Number.NaN, gapsMs: [], completionTokens: 0, finishedAt: performance.now() });
  let res: { status: number; chunks: AsyncIterable<Buffer> };
  try {
    res = await postStream(`${baseUrl}/v1/chat/completions`, JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }), signal);
  } catch (err) {
    return failed((err as Error).message);
  }
  if (res.status !== 200) return failed(`HTTP ${res.status}: ${(await textOf(res.chunks).catch(() => '')).slice(0, 200)}`);

  let ttftMs = Number.NaN;
  let last = 0;
  let textChunks = 0;
  const gapsMs: number[] = [];
  let usage: StreamChunk['usage'];
  const onEvent = (data: string) => {
    if (data === '[DONE]') return;
    let chunk: StreamChunk;
    try {
      chunk = JSON.parse(data) as StreamChunk;
    } catch {
      return;
    }
    if (chunk.usage) usage = chunk.usage;
    const delta = chunk.choices?.[0]?.delta;
    if (!delta || !(delta.content || delta.reasoning_content)) return;
    const now = performance.now();
    if (textChunks === 0) ttftMs = now - start;
    else gapsMs.push(now - last);
    last = now;
    textChunks++;
    onText?.(now);
  };

  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for await (const bytes of res.chunks) {
      buffered += decoder.decode(bytes, { stream: true });
      let end: number;
      while ((end = buffered.search(/\r?\n\r?\n/)) >= 0) {
        const event = buffered.slice(0, end);
        buffered = buffered.slice(end).replace(/^\r?\n\r?\n/, '');
        const data = event.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
        if (data) onEvent(data);
      }
    }
  } catch (err) {
    return { ...failed((err as Error).message), ttftMs, gapsMs };
  }
  return {
    ok: true,
    ttftMs,
    gapsMs,
    completionTokens: usage?.completion_tokens ?? textChunks,
    promptTokens: usage?.prompt_tokens,
    cachedTokens: usage?.prompt_tokens_details?.cached_tokens,
    finishedAt: performance.now(),
  };
}
