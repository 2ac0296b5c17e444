// What a web page (or a rebinding DNS name) can no longer do to a local server: checked over HTTP with the
// headers a browser sends. The same attacks from a real headless Chromium are in test/browser.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, scripted, startFilesystemMcp, type TestServer, type FilesystemMcp } from './harness.js';
import { hostHeaderName, isLoopbackHost } from '../../src/server/hosts.js';
import { createAccessPolicy, parseHostList, parseOriginList } from '../../src/server/request-guard.js';

let fs: FilesystemMcp;
let srv: TestServer;
let open: TestServer; // with allowed origins and hosts

before(async () => {
  fs = await startFilesystemMcp();
  srv = await startServer(scripted(['ok', 'ok', 'ok']), {}, fs.manager);
  open = await startServer(scripted(['ok', 'ok']), { allowedOrigins: ['http://app.example:3000'], allowedHosts: ['vmlx.internal'] });
});
after(async () => {
  await srv.close();
  await open.close();
  await fs.cleanup();
});

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** node:http, because fetch will not send a forged Host. */
function raw(base: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Raw> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method, headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const writeBody = (name: string) => JSON.stringify({ server: 'filesystem', tool: 'write_file', arguments: { path: join(fs.root, name), content: 'pwned' } });

test('a body that is not application/json is 415 and the tool does not run (form and text/plain fetch)', async () => {
  const types = ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1'];
  for (const [i, type] of types.entries()) {
    const r = await raw(srv.url, 'POST', '/v1/mcp/execute', { 'content-type': type }, writeBody(`t${i}.txt`));
    assert.equal(r.status, 415, `${type}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, 'unsupported_media_type');
    assert.equal(existsSync(join(fs.root, `t${i}.txt`)), false, type);
  }
  const none = await raw(srv.url, 'POST', '/v1/chat/completions', {}, '{}');
  assert.equal(none.status, 415);
  const ok = await raw(srv.url, 'POST', '/v1/mcp/execute', { 'content-type': 'application/json; charset=utf-8' }, writeBody('ok.txt'));
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(existsSync(join(fs.root, 'ok.txt')), true);
});

test('a request with an Origin not in --allowed-origins is 403 without CORS headers; GET too', async () => {
  for (const origin of ['http://evil.example', 'null', 'http://127.0.0.1:9', 'http://localhost']) {
    const post = await raw(srv.url, 'POST', '/v1/mcp/execute', { 'content-type': 'application/json', origin }, writeBody('o.txt'));
    assert.equal(post.status, 403, origin);
    assert.equal(post.body.error.code, 'origin_not_allowed');
    assert.equal(post.headers['access-control-allow-origin'], undefined);
    const get = await raw(srv.url, 'GET', '/v1/models', { origin });
    assert.equal(get.status, 403);
  }
  assert.equal(existsSync(join(fs.root, 'o.txt')), false);
  const preflight = await raw(srv.url, 'OPTIONS', '/v1/mcp/execute', { origin: 'http://evil.example', 'access-control-request-method': 'POST' });
  assert.equal(preflight.status, 403);
  assert.equal(preflight.headers['access-control-allow-origin'], undefined);
});

test('an allowed origin gets CORS headers and its preflight answered; other origins still do not', async () => {
  const origin = 'http://app.example:3000';
  const preflight = await raw(open.url, 'OPTIONS', '/v1/chat/completions', {
    origin,
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'content-type, authorization',
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers['access-control-allow-origin'], origin);
  assert.match(String(preflight.headers['access-control-allow-methods']), /POST/);
  assert.match(String(preflight.headers['access-control-allow-headers']), /content-type/);
  const get = await raw(open.url, 'GET', '/v1/models', { origin });
  assert.equal(get.status, 200);
  assert.equal(get.headers['access-control-allow-origin'], origin);
  const other = await raw(open.url, 'GET', '/v1/models', { origin: 'http://app.example:3001' });
  assert.equal(other.status, 403);
});

test('Host must be a loopback name, the bound address or an allowed host (DNS rebinding)', async () => {
  const port = new URL(srv.url).port;
  for (const host of [`attacker.example:${port}`, `127.0.0.1.nip.example:${port}`, 'vmlx.internal', `localhost.attacker.example:${port}`]) {
    const r = await raw(srv.url, 'GET', '/v1/models', { host });
    assert.equal(r.status, 403, `Host '${host}'`);
    assert.equal(r.body.error.code, 'host_not_allowed');
  }
  const rebind = await raw(srv.url, 'POST', '/v1/mcp/execute', { host: `attacker.example:${port}`, 'content-type': 'application/json' }, writeBody('r.txt'));
  assert.equal(rebind.status, 403);
  assert.equal(existsSync(join(fs.root, 'r.txt')), false);
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'LOCALHOST', `app.localhost:${port}`]) {
    assert.equal((await raw(srv.url, 'GET', '/v1/models', { host })).status, 200, `Host '${host}'`);
  }
  assert.equal((await raw(open.url, 'GET', '/v1/models', { host: 'vmlx.internal:8000' })).status, 200);
  assert.equal((await raw(open.url, 'GET', '/health', { host: 'other.internal' })).status, 403);
});

test('bound off loopback without an API key, the MCP routes refuse to run; with a key they work', async () => {
  // No executor: the refusal comes before any MCP server is looked at (and shutdown must not close fs.manager).
  const exposed = await startServer(scripted(['ok']), { host: '0.0.0.0' });
  const keyed = await startServer(scripted(['ok']), { host: '0.0.0.0', apiKey: 'k-0123456789' });
  try {
    const base = exposed.url.replace('0.0.0.0', '127.0.0.1');
    for (const [method, path, body] of [
      ['GET', '/v1/mcp/tools', undefined],
      ['GET', '/v1/mcp/status', undefined],
      ['POST', '/v1/mcp/execute', writeBody('x.txt')],
      ['POST', '/v1/chat/completions', JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'hi' }], mcp_auto_execute: true })],
    ] as const) {
      const r = await raw(base, method, path, body ? { 'content-type': 'application/json' } : {}, body);
      assert.equal(r.status, 403, `${method} ${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'api_key_required');
    }
    // The model routes still answer (the CLI warns about this bind).
    assert.equal((await raw(base, 'GET', '/v1/models', {})).status, 200);
    const withKey = await raw(keyed.url.replace('0.0.0.0', '127.0.0.1'), 'GET', '/v1/mcp/tools', { authorization: 'Bearer k-0123456789' });
    assert.equal(withKey.status, 200);
  } finally {
    await exposed.close();
    await keyed.close();
  }
});

test('list parsing and host names', () => {
  assert.deepEqual(parseOriginList('http://a.example:3000, https://B.example'), ['http://a.example:3000', 'https://b.example']);
  for (const bad of ['a.example', 'http://a.example/path', 'ftp://a.example', 'http://a.example/', '', 'http://u:p@a.example']) {
    assert.throws(() => parseOriginList(bad), /origin|empty/, bad);
  }
  assert.deepEqual(parseHostList('vmlx.lan,10.0.0.5,*,::1'), ['vmlx.lan', '10.0.0.5', '*', '::1']);
  for (const bad of ['vmlx.lan:8000', 'http://vmlx.lan', 'a/b']) assert.throws(() => parseHostList(bad), /host/, bad);
  assert.equal(hostHeaderName('Example.COM.:80'), 'example.com');
  assert.equal(hostHeaderName('[::1]:8000'), '::1');
  assert.equal(hostHeaderName('a b'), null);
  for (const h of ['localhost', '127.0.0.5', '::1', '[::1]', 'x.localhost']) assert.ok(isLoopbackHost(h), h);
  for (const h of ['0.0.0.0', '10.0.0.1', 'localhost.evil.example', '::']) assert.ok(!isLoopbackHost(h), h);
  assert.equal(createAccessPolicy({ host: '0.0.0.0', allowedOrigins: [], allowedHosts: [] }).mcpNeedsKey, true);
  assert.equal(createAccessPolicy({ host: '127.0.0.1', allowedOrigins: [], allowedHosts: [] }).mcpNeedsKey, false);
});
