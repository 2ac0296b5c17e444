// Malformed, oversized, wrong-typed and unauthenticated requests: each status and the OpenAI error shape.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import OpenAI from 'openai';
import { startServer, scripted, type TestServer } from './harness.js';

const KEY = 'sk-test-0123456789';
let srv: TestServer;
let busy: TestServer;

before(async () => {
  srv = await startServer(scripted(['ok', 'ok', 'ok'], { contextLength: 256 }), { apiKey: KEY, maxBodyBytes: 4096 });
  // One generation that stalls until cancelled, to fill the queue.
  busy = await startServer(scripted([{ text: 'streaming forever', stallAfter: 4 }, 'second', 'third'], { contextLength: 4096 }), { queueBound: 1 });
});
after(async () => {
  await srv.close();
  await busy.close();
});

function assertErrorShape(body: any, status: number, actual: number): void {
  assert.equal(actual, status, JSON.stringify(body));
  assert.equal(typeof body.error, 'object');
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
  assert.equal(typeof body.error.type, 'string');
  assert.ok('param' in body.error && 'code' in body.error);
  assert.doesNotMatch(body.error.message, /\n\s+at /, 'no stack traces');
}

async function call(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const r = await fetch(`${srv.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

const chat = (extra: object) => JSON.stringify({ model: 'test-model', messages: [{ role: 'user', content: 'hi' }], ...extra });

test('401 without or with a wrong key; /health needs none', async () => {
  for (const headers of [{ authorization: '' }, { authorization: 'Bearer wrong' }, { authorization: `Basic ${KEY}` }]) {
    const r = await call('GET', '/v1/models', undefined, headers);
    assertErrorShape(r.body, 401, r.status);
    assert.equal(r.body.error.type, 'authentication_error');
  }
  const health = await fetch(`${srv.url}/health`);
  assert.equal(health.status, 200);
  const models = await call('GET', '/v1/models');
  assert.equal(models.status, 200);
  assert.equal(models.body.data[0].id, 'test-model');
  assert.equal(models.body.data[0].context_length, 256);
});

test('400 for malformed JSON, an empty body and a non-object body', async () => {
  for (const body of ['{"model": ', '', '[1,2]', 'null']) {
    const r = await call('POST', '/v1/chat/completions', body);
    assertErrorShape(r.body, 400, r.status);
    assert.equal(r.body.error.type, 'invalid_request_error');
  }
});

test('400 naming the field for wrong types and missing fields', async () => {
  const cases: Array<[string, string]> = [
    [JSON.stringify({ model: 'test-model' }), 'messages'],
    [JSON.stringify({ model: 'test-model', messages: 'hi' }), 'messages'],
    [chat({ temperature: 'hot' }), 'temperature'],
    [chat({ max_tokens: -5 }), 'max_tokens'],
    [JSON.stringify({ model: 'test-model', messages: [{ role: 'wizard', content: 'x' }] }), 'messages[0].role'],
    [JSON.stringify({ model: 'test-model', messages: [{ role: 'tool', content: 'x' }] }), 'messages[0].tool_call_id'],
    [chat({ tools: [{ type: 'function', function: { description: 'no name' } }] }), 'tools[0].function.name'],
    [chat({ stream: 'yes' }), 'stream'],
    [chat({ ignore_eos: 'yes' }), 'ignore_eos'],
  ];
  for (const [body, field] of cases) {
    const r = await call('POST', '/v1/chat/completions', body);
    assertErrorShape(r.body, 400, r.status);
    assert.equal(r.body.error.param, field, `${body} → ${r.body.error.message}`);
    assert.ok(r.body.error.message.includes(field), r.body.error.message);
  }
});

test('400 naming the parameter for out-of-range sampling values (each once an engine 500)', async () => {
  const cases: Array<[object, string]> = [
    [{ top_k: 3e9 }, 'top_k'],
    [{ top_k: 1_000_001 }, 'top_k'],
    [{ repetition_penalty: 1e-300 }, 'repetition_penalty'],
    [{ repetition_penalty: 1e300 }, 'repetition_penalty'],
    [{ max_tokens: 2 ** 40 }, 'max_tokens'],
    [{ max_completion_tokens: 2 ** 40 }, 'max_completion_tokens'],
    [{ seed: 1e300 }, 'seed'],
    [{ stop: 'x'.repeat(2000) }, 'stop'],
    [{ n: 0 }, 'n'],
  ];
  for (const [extra, field] of cases) {
    const r = await call('POST', '/v1/chat/completions', chat(extra));
    assertErrorShape(r.body, 400, r.status);
    assert.equal(r.body.error.param, field, `${JSON.stringify(extra)} → ${r.body.error.message}`);
  }
  const legacy = await call('POST', '/v1/completions', JSON.stringify({ model: 'test-model', prompt: 'x', top_k: 3e9 }));
  assertErrorShape(legacy.body, 400, legacy.status);
  assert.equal(legacy.body.error.param, 'top_k');
});

test('400 for n > 1, a tool_choice naming no tool, and a prompt longer than the context (with the numbers)', async () => {
  const n = await call('POST', '/v1/chat/completions', chat({ n: 2 }));
  assertErrorShape(n.body, 400, n.status);
  assert.equal(n.body.error.param, 'n');
  const choice = await call('POST', '/v1/chat/completions', chat({ tool_choice: { type: 'function', function: { name: 'ghost' } } }));
  assertErrorShape(choice.body, 400, choice.status);
  const long = await call('POST', '/v1/chat/completions', JSON.stringify({ model: 'test-model', messages: [{ role: 'user', content: 'x'.repeat(1000) }] }));
  assertErrorShape(long.body, 400, long.status);
  assert.equal(long.body.error.code, 'context_length_exceeded');
  assert.match(long.body.error.message, /256 tokens/);
  const promptTokens = Number(/prompt has (\d+) tokens/.exec(long.body.error.message)?.[1]);
  assert.ok(promptTokens > 256, long.body.error.message);
});

test('404 for unknown routes and models; 405 for a wrong method', async () => {
  const route = await call('GET', '/v1/nothing');
  assertErrorShape(route.body, 404, route.status);
  const model = await call('POST', '/v1/chat/completions', JSON.stringify({ model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] }));
  assertErrorShape(model.body, 404, model.status);
  assert.equal(model.body.error.code, 'model_not_found');
  const method = await call('GET', '/v1/chat/completions');
  assertErrorShape(method.body, 405, method.status);
});

test('413 for a body over the limit, with and without a content-length', async () => {
  const big = chat({ user: 'x'.repeat(10_000) });
  const r = await call('POST', '/v1/chat/completions', big);
  assertErrorShape(r.body, 413, r.status);
  // chunked upload: no content-length header
  const status = await new Promise<{ status: number; body: any }>((resolve, reject) => {
    const u = new URL(`${srv.url}/v1/chat/completions`);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    for (let i = 0; i < 10; i++) req.write('x'.repeat(1000));
    req.end();
  });
  assertErrorShape(status.body, 413, status.status);
});

test('the openai SDK surfaces these errors as typed APIErrors', async () => {
  const client = new OpenAI({ baseURL: srv.baseURL, apiKey: 'wrong', maxRetries: 0 });
  await assert.rejects(client.models.list(), (e: any) => e instanceof OpenAI.AuthenticationError && e.status === 401);
  const good = new OpenAI({ baseURL: srv.baseURL, apiKey: KEY, maxRetries: 0 });
  await assert.rejects(
    good.chat.completions.create({ model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] }),
    (e: any) => e instanceof OpenAI.NotFoundError && e.code === 'model_not_found',
  );
});

test('429 when the queue is full; the queue drains after the running request is cancelled', async () => {
  const first = new AbortController();
  const firstResp = await fetch(`${busy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: chat({ stream: true }),
    signal: first.signal,
  });
  assert.equal(firstResp.status, 200); // streaming, stalled inside generation
  const queued = fetch(`${busy.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chat({}) });
  // wait until the second request sits in the queue
  const deadline = Date.now() + 5000;
  while (busy.handle.ctx.queue.pending < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(busy.handle.ctx.queue.pending, 1);
  const rejected = await fetch(`${busy.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chat({}) });
  const body = (await rejected.json()) as any;
  assertErrorShape(body, 429, rejected.status);
  assert.equal(body.error.type, 'rate_limit_error');
  assert.equal(rejected.headers.get('retry-after'), '1');
  first.abort(); // client disconnects → its generation is cancelled → the queue moves
  await firstResp.body?.cancel().catch(() => {});
  const second = await queued;
  assert.equal(second.status, 200);
  assert.equal(((await second.json()) as any).choices[0].message.content, 'second');
});
