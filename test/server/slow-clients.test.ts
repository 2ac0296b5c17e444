// Slow, stalled and vanishing clients: body deadline (408), idle connections closed, a connection cap that
// refuses clearly while /health answers, a reader that stops reading is paused and then dropped, uploads cut
// off are one log line, and a shutdown finishes open streams properly. Every wait is on an event; the
// per-test timeouts only turn a regression (a connection held forever) into a failure instead of a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { startServer, scripted } from './harness.js';
import type { GenerateParams, GenerationEvent, LanguageModel } from '../../src/engine/types.js';

/** A raw connection; resolves with everything the server sent once it closes the connection. */
function rawConnection(url: string): { socket: Socket; received: Promise<string> } {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  let text = '';
  socket.on('data', (d) => (text += d));
  socket.on('error', () => {});
  const received = once(socket, 'close').then(() => text);
  return { socket, received };
}

const head = (path: string, extra: string) => `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${extra}\r\n`;

function logCollector() {
  const lines: string[] = [];
  let wake: (() => void) | null = null;
  return {
    lines,
    log: (line: string) => {
      lines.push(line);
      wake?.();
    },
    /** Resolves once a line matches. */
    waitFor: (re: RegExp) =>
      new Promise<string>((resolve) => {
        const check = () => {
          const hit = lines.find((l) => re.test(l));
          if (hit) {
            wake = null;
            resolve(hit);
          } else wake = check;
        };
        check();
      }),
  };
}

test('a body that never finishes gets 408 and the connection closed (short Content-Length and endless chunks)', { timeout: 30_000 }, async () => {
  const logs = logCollector();
  const srv = await startServer(scripted(['ok']), { bodyTimeoutMs: 300 }, null, logs.log);
  try {
    const short = rawConnection(srv.url);
    short.socket.write(head('/v1/chat/completions', 'Content-Length: 1000\r\n') + '{"model":');
    const chunked = rawConnection(srv.url);
    chunked.socket.write(head('/v1/chat/completions', 'Transfer-Encoding: chunked\r\n') + '5\r\n{"mod\r\n');
    for (const c of [short, chunked]) {
      const text = await c.received;
      assert.match(text, /^HTTP\/1\.1 408 /, text);
      assert.match(text, /"code":"request_timeout"/);
    }
    assert.ok(logs.lines.some((l) => /did not arrive within 300 ms/.test(l)));
    assert.ok(!logs.lines.some((l) => /\n\s+at /.test(l)), 'no stack traces');
    // The server still answers.
    assert.equal((await fetch(`${srv.url}/health`)).status, 200);
  } finally {
    await srv.close();
  }
});

test('a connection that sends no request is closed after the idle timeout', { timeout: 30_000 }, async () => {
  const srv = await startServer(scripted(['ok']), { idleTimeoutMs: 200 });
  try {
    const c = rawConnection(srv.url);
    assert.equal(await c.received, '');
  } finally {
    await srv.close();
  }
});

test('past --max-connections requests get a clear 503 while /health still answers', { timeout: 30_000 }, async () => {
  const logs = logCollector();
  const srv = await startServer(scripted(['ok']), { maxConnections: 3 }, null, logs.log);
  const held: Socket[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const c = rawConnection(srv.url);
      await once(c.socket, 'connect');
      held.push(c.socket);
    }
    // wait until the server has seen all three (its next request will tell): /health answers regardless
    const health = await fetch(`${srv.url}/health`, { headers: { connection: 'close' } });
    assert.equal(health.status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`${srv.url}/v1/models`, { headers: { connection: 'close' } })).status, 503);
    const refused = await fetch(`${srv.url}/v1/models`, { headers: { connection: 'close' } });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '1');
    const body = (await refused.json()) as any;
    assert.equal(body.error.code, 'too_many_connections');
    assert.match(body.error.message, /limit 3/);
    assert.equal(logs.lines.filter((l) => /connections open \(limit 3\)/.test(l)).length, 1, 'one line, not one per refusal');
    for (const s of held) s.destroy();
    await logs.waitFor(/back under the limit/);
    assert.equal((await fetch(`${srv.url}/v1/models`)).status, 200);
  } finally {
    for (const s of held) s.destroy();
    await srv.close();
  }
});

test('a client that disconnects mid-upload is one log line, not an internal error with a stack', { timeout: 30_000 }, async () => {
  const logs = logCollector();
  const srv = await startServer(scripted(['ok']), {}, null, logs.log);
  try {
    const c = rawConnection(srv.url);
    c.socket.write(head('/v1/chat/completions', 'Content-Length: 1000\r\n') + '{"model":', () => c.socket.destroy());
    const line = await logs.waitFor(/disconnected|^error:/);
    assert.match(line, /POST \/v1\/chat\/completions: the client disconnected before sending the whole request body/);
    assert.ok(!logs.lines.some((l) => /^error:|\n\s+at /.test(l)), logs.lines.join('\n'));
    assert.equal(logs.lines.filter((l) => /disconnected/.test(l)).length, 1);
  } finally {
    await srv.close();
  }
});

/** Streams `chunks` text events of `size` characters; records how many were pulled and whether it was cancelled. */
class FloodModel implements LanguageModel {
  readonly info = { dir: 'flood', arch: 'test', modelType: 'test', contextLength: 4096, vocabSize: 0, numLayers: 0, quantization: null, weightBytes: 0, eosTokenIds: [] };
  readonly chatTemplate = null;
  pulled = 0;
  cancelled = false;
  finished!: Promise<void>;
  private markFinished!: () => void;
  constructor(
    public chunks: number,
    private readonly size: number,
  ) {
    this.reset();
  }
  reset(): void {
    this.pulled = 0;
    this.cancelled = false;
    this.finished = new Promise((r) => (this.markFinished = r));
  }
  renderChat(messages: Array<{ content: string | null }>): string {
    return messages.map((m) => m.content ?? '').join('\n');
  }
  encode(text: string): number[] {
    return Array.from({ length: Math.ceil(text.length / 4) }, () => 1);
  }
  decode(): string {
    return '';
  }
  countTokens(text: string): number {
    return this.encode(text).length;
  }
  async *generate(_p: string | number[], _params?: GenerateParams, signal?: AbortSignal): AsyncGenerator<GenerationEvent> {
    const piece = 'x'.repeat(this.size);
    try {
      for (let i = 0; i < this.chunks; i++) {
        if (signal?.aborted) {
          this.cancelled = true;
          break;
        }
        this.pulled++;
        yield { type: 'text', text: piece, tokens: [1] };
        await new Promise<void>((r) => setImmediate(r));
      }
      const usage = { promptTokens: 1, reusedPromptTokens: 0, completionTokens: this.pulled, prefillMs: 0, decodeMs: 0, prefillTokensPerSecond: 0, decodeTokensPerSecond: 0 };
      yield { type: 'done', finishReason: this.cancelled ? 'cancelled' : 'length', usage, text: '' };
    } finally {
      this.markFinished();
    }
  }
  dispose(): void {}
}

test('a streaming client that stops reading pauses its generation, is dropped after the stall timeout, and frees its place', { timeout: 30_000 }, async () => {
  const chunks = 800; // 800 × 64 KiB = 50 MiB, far beyond what the loopback socket buffers hold
  const model = new FloodModel(chunks, 64 * 1024);
  const logs = logCollector();
  const srv = await startServer(model, { stallTimeoutMs: 300, queueBound: 4 }, null, logs.log);
  try {
    const c = rawConnection(srv.url);
    const body = JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'go' }], stream: true });
    c.socket.write(head('/v1/chat/completions', `Content-Length: ${Buffer.byteLength(body)}\r\n`) + body);
    c.socket.pause(); // never read
    await model.finished;
    assert.equal(model.cancelled, true, 'the generation was cancelled when the stalled client was dropped');
    assert.ok(model.pulled < chunks / 2, `pulled ${model.pulled} of ${chunks} chunks while the client read nothing`);
    assert.match(await logs.waitFor(/dropped it/), /read nothing for 300 ms/);
    c.socket.destroy();
    // Its place in the queue is free: the next request runs to the end.
    model.reset();
    model.chunks = 4;
    const r = await fetch(`${srv.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'go' }], stream: true }),
    });
    const text = await r.text();
    assert.equal(model.pulled, 4);
    assert.ok(text.endsWith('data: [DONE]\n\n'));
  } finally {
    await srv.close();
  }
});

test('a client that does not read a big non-streamed answer is dropped after the stall timeout', { timeout: 30_000 }, async () => {
  const model = new FloodModel(16, 1024 * 1024); // one 16 MiB JSON body, more than the socket buffers hold
  const logs = logCollector();
  const srv = await startServer(model, { stallTimeoutMs: 300 }, null, logs.log);
  try {
    const c = rawConnection(srv.url);
    const body = JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'go' }] });
    c.socket.write(head('/v1/chat/completions', `Content-Length: ${Buffer.byteLength(body)}\r\n`) + body);
    c.socket.pause(); // never read
    assert.match(await logs.waitFor(/did not read the response/), /for 300 ms; dropped it/);
    while (srv.handle.inFlight() > 0) await new Promise((resolve) => setImmediate(resolve)); // the request ends
    c.socket.destroy();
  } finally {
    await srv.close();
  }
});

test('shutdown finishes an open stream with a finish_reason and [DONE], and refuses queued requests with 503', { timeout: 30_000 }, async () => {
  const srv = await startServer(scripted([{ text: 'a long answer that never ends', stallAfter: 6 }, 'queued answer']), { queueBound: 4 });
  const r = await fetch(`${srv.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } }),
  });
  assert.equal(r.status, 200);
  const reader = r.body!.getReader();
  await reader.read(); // the stream is running (and stalls inside the model)
  const queued = fetch(`${srv.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'hi' }] }),
  });
  while (srv.handle.ctx.queue.pending < 1) await new Promise((res) => setImmediate(res));
  const closing = srv.handle.shutdown(400);
  let text = '';
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
  }
  await closing;
  const events = text.split('\n\n').filter(Boolean).map((e) => e.replace(/^data: /, ''));
  assert.equal(events.at(-1), '[DONE]', text);
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
  const finish = chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean);
  assert.deepEqual(finish, ['length']);
  assert.ok(chunks.at(-1).usage, 'the usage chunk was sent');
  const q = await queued;
  assert.equal(q.status, 503);
  assert.equal(((await q.json()) as any).error.code, 'shutting_down');
});
