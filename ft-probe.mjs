import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
for (const url of ['http://127.0.0.1:1/mcp', 'http://no-such-host.invalid/mcp']) {
  for (const T of [StreamableHTTPClientTransport, SSEClientTransport]) {
    const c = new Client({ name: 'x', version: '1' });
    try { await c.connect(new T(new URL(url))); } catch (e) { console.log(T.name, e.constructor.name, e.message, '| cause:', e.cause?.code, e.cause?.message, e.code, e.event?.message); }
  }
}
