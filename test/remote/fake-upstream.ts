// A small OpenAI-compatible upstream written for the tests: each POST takes the next scripted reply (streamed
// chunks, an error status, a connection dropped mid-stream, or silence), and every request body is recorded.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type UpstreamReply =
  | { kind: 'stream'; chunks: object[]; done?: boolean }
  | { kind: 'status'; status: number; body: unknown }
  | { kind: 'drop'; chunks: object[] }
  | { kind: 'raw'; text: string }
  | { kind: 'hang' };

export interface FakeUpstream {
  url: string;
  requests: Array<{ path: string; body: any; headers: IncomingMessage['headers'] }>;
  /** Resolves when the client of request n (0-based) has gone away. */
  closed(n: number): Promise<void>;
  close(): Promise<void>;
}

/** Chat chunks for a text answer, split in pieces, then the finish chunk and a usage chunk. */
export function textChunks(text: string, finish = 'stop', size = 5): object[] {
  const out: object[] = [];
  for (let i = 0; i < text.length; i += size) out.push({ choices: [{ index: 0, delta: { content: text.slice(i, i + size) }, finish_reason: null }] });
  out.push({ choices: [{ index: 0, delta: {}, finish_reason: finish }] });
  out.push({ choices: [], usage: { prompt_tokens: 42, completion_tokens: 7, prompt_tokens_details: { cached_tokens: 40 } } });
  return out;
}

/** Chat chunks for one pre-parsed tool call whose arguments arrive in fragments. */
export function toolCallChunks(id: string, name: string, args: object): object[] {
  const json = JSON.stringify(args);
  const half = Math.floor(json.length / 2);
  return [
    { choices: [{ index: 0, delta: { role: 'assistant', tool_calls: [{ index: 0, id, type: 'function', function: { name, arguments: '' } }] }, finish_reason: null }] },
    { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: json.slice(0, half) } }] }, finish_reason: null }] },
    { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: json.slice(half) } }] }, finish_reason: null }] },
    { choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] },
    { choices: [], usage: { prompt_tokens: 50, completion_tokens: 12 } },
  ];
}

export async function startFakeUpstream(replies: UpstreamReply[], opts: { model?: string; contextLength?: number } = {}): Promise<FakeUpstream> {
  const requests: FakeUpstream['requests'] = [];
  const closes: Array<Promise<void>> = [];
  let next = 0;
  const server: Server = createServer((req, res) => void handle(req, res));
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET' && req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: opts.model ?? 'up-model', object: 'model', max_model_len: opts.contextLength ?? 4096 }] }));
      return;
    }
    let text = '';
    for await (const chunk of req) text += chunk;
    const n = requests.length;
    requests.push({ path: req.url ?? '', body: JSON.parse(text), headers: req.headers });
    closes[n] = new Promise((resolve) => res.on('close', () => resolve()));
    const reply = replies[next++];
    if (!reply) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'the fake upstream has no reply left' } }));
      return;
    }
    if (reply.kind === 'status') {
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.body));
      return;
    }
    if (reply.kind === 'hang') return; // never answers; the client's deadline or cancellation ends it
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (reply.kind === 'raw') {
      res.end(reply.text);
      return;
    }
    if (reply.kind === 'drop') {
      // Cut the connection once the chunks are on the wire (destroying at once would discard them).
      res.write(reply.chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join(''), () => res.socket?.destroy());
      return;
    }
    for (const c of reply.chunks) res.write(`data: ${JSON.stringify(c)}\n\n`);
    res.end(reply.done === false ? '' : 'data: [DONE]\n\n');
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    closed: (n) => closes[n] ?? Promise.reject(new Error(`no request ${n}`)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
