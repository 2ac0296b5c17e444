// McpManager with server-everything over Streamable HTTP and over SSE on loopback, including the
// default (no type) that tries Streamable HTTP and falls back to SSE on a 4xx.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { McpManager } from '../../src/agent/mcp/manager.js';
import { parseMcpConfig } from '../../src/agent/mcp/config.js';
import { MemoryAuditLog } from '../../src/agent/audit/index.js';
import { createServer, type Server as HttpServer } from 'node:http';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { freePort, startEverythingHttp, tempDir } from './helpers.js';

/**
 * A stateless Streamable HTTP MCP server in this process that answers 401 unless the request carries
 * `Authorization: Bearer <token>`; its one tool reports the header it saw.
 */
async function startAuthServer(token: string): Promise<{ url: string; close: () => Promise<void> }> {
  const http: HttpServer = createServer(async (req, res) => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
      return;
    }
    const server = new Server({ name: 'auth-test', version: '0.0.1' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({
      tools: [{ name: 'whoami', inputSchema: { type: 'object' as const, properties: {} } }],
    }));
    server.setRequestHandler(CallToolRequestSchema, async () => ({
      content: [{ type: 'text' as const, text: `authorization=${req.headers.authorization}` }],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => void transport.close());
    await server.connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const port = (http.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    close: () => new Promise<void>((r) => { http.closeAllConnections(); http.close(() => r()); }),
  };
}

let http: Awaited<ReturnType<typeof startEverythingHttp>>;
let sse: Awaited<ReturnType<typeof startEverythingHttp>>;
let auth: Awaited<ReturnType<typeof startAuthServer>>;
let manager: McpManager;
let deadPort = 0;
const audit = new MemoryAuditLog();

before(async () => {
  [http, sse, auth] = await Promise.all([startEverythingHttp('streamableHttp'), startEverythingHttp('sse'), startAuthServer('s3cret')]);
  deadPort = await freePort();
  const config = parseMcpConfig(
    JSON.stringify({
      mcpServers: {
        authed: { url: auth.url, type: 'http', headers: { Authorization: 'Bearer ${VMLX_TEST_MCP_TOKEN}' } },
        unauthed: { url: auth.url, type: 'http' },
        unauthed_auto: { url: auth.url },
        wrong_token: { url: auth.url, type: 'http', headers: { Authorization: 'Bearer wrong' } },
        no_oauth: { url: auth.url, type: 'http', oauth: false },
        streamable: { url: http.url, type: 'http', headers: { 'X-Vmlx-Test': '1' } },
        legacy: { url: sse.url, type: 'sse' },
        auto_http: { url: http.url },
        auto_sse: { url: sse.url },
        nobody: { url: `http://127.0.0.1:${deadPort}/mcp`, type: 'http' },
        ftp: { url: 'ftp://127.0.0.1/mcp' },
      },
    }),
    'remote-mcp.json',
    { VMLX_TEST_MCP_TOKEN: 's3cret' },
  );
  manager = await McpManager.start({ config, audit, logDir: tempDir(), connectTimeoutMs: 10_000 });
});

after(async () => {
  await manager?.close();
  await Promise.all([http?.stop(), sse?.stop(), auth?.close()]);
});

const status = (name: string) => manager.statuses().find((s) => s.name === name)!;

test('Streamable HTTP, SSE and the http→sse fallback all connect with the transport they ended up on', () => {
  assert.deepEqual(
    ['streamable', 'legacy', 'auto_http', 'auto_sse'].map((n) => [n, status(n).state, status(n).transport]),
    [
      ['streamable', 'connected', 'http'],
      ['legacy', 'connected', 'sse'],
      ['auto_http', 'connected', 'http'],
      ['auto_sse', 'connected', 'sse'],
    ],
  );
  assert.equal(status('streamable').serverInfo?.name, 'mcp-servers/everything');
  assert.ok(status('legacy').toolCount >= 12);
  assert.equal(status('streamable').pid, undefined);
});

test('an unreachable server fails with a reason; a non-http url is rejected by the validator', () => {
  assert.equal(status('nobody').state, 'failed');
  // Not Node's bare "fetch failed": the step and the real cause.
  assert.match(status('nobody').error!, new RegExp(`^initialize: connection refused by 127\\.0\\.0\\.1:${deadPort} \\(ECONNREFUSED\\)`));
  assert.equal(status('ftp').state, 'rejected');
  assert.equal(status('ftp').rule, 'url_scheme');
});

test('reconnect() tries a failed server again and leaves rejected ones alone', async () => {
  const events: string[] = [];
  const off = manager.onEvent((e) => {
    if (e.type === 'status' && e.status.name === 'nobody') events.push(e.status.state);
  });
  const again = await manager.reconnect('nobody');
  off();
  assert.equal(again?.state, 'failed');
  assert.deepEqual(events, ['connecting', 'failed']);
  assert.equal((await manager.reconnect('ftp'))?.state, 'rejected');
  assert.equal(await manager.reconnect('no-such-server'), undefined);
});

test('tools are called over both transports', async () => {
  for (const server of ['streamable', 'legacy', 'auto_sse']) {
    const out = await manager.callTool(server, 'echo', { message: `over ${server}` }, { origin: 'api' });
    assert.equal(out.status, 'ok', `${server}: ${out.error ?? ''}`);
    assert.match(out.text, new RegExp(`over ${server}`));
  }
  assert.ok(manager.listTools().some((t) => t.qualifiedName === 'legacy__get-sum'));
  assert.equal(audit.query({ serverFilter: 'legacy' }).length, 1);
});

test('timeouts and aborts work over HTTP too', async () => {
  const slow = await manager.callTool('streamable', 'trigger-long-running-operation', { duration: 5, steps: 5 }, { origin: 'api', timeoutMs: 200 });
  assert.equal(slow.status, 'timeout');
  const ac = new AbortController();
  const pending = manager.callTool('legacy', 'trigger-long-running-operation', { duration: 5, steps: 5 }, { origin: 'api', signal: ac.signal });
  setImmediate(() => ac.abort());
  assert.equal((await pending).status, 'aborted');
});

test('configured headers (with ${VAR} expanded) are sent; without them the server refuses', async () => {
  assert.equal(status('authed').state, 'connected', status('authed').error);
  const out = await manager.callTool('authed', 'whoami', {}, { origin: 'chat' });
  assert.equal(out.text, 'authorization=Bearer s3cret');
  assert.equal(status('unauthed').state, 'failed');
  // A 401 names the step and what to do; no SSE fallback for it (the credentials are the problem, not the transport).
  assert.equal(status('unauthed').error, "initialize: HTTP 401: 'unauthed' needs a login: run `vmlx mcp login unauthed`");
  assert.equal(status('unauthed').needsLogin, true);
  assert.equal(status('unauthed_auto').error, "initialize: HTTP 401: 'unauthed_auto' needs a login: run `vmlx mcp login unauthed_auto`");
  assert.match(status('wrong_token').error!, /^initialize: HTTP 401: the server rejected the Authorization header from the config/);
  assert.equal(status('wrong_token').needsLogin, undefined);
  assert.match(status('no_oauth').error!, /^initialize: HTTP 401: the server needs authorization, but "oauth" is false for it in the config/);
});
