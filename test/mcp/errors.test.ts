// Errors a user can act on: the real cause behind "fetch failed", and the step of a stdio failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { networkCause } from '../../src/agent/mcp/errors.js';
import { describeTransportError } from '../../src/agent/mcp/transports.js';
import { McpManager } from '../../src/agent/mcp/manager.js';
import { parseMcpConfig } from '../../src/agent/mcp/config.js';
import { tempDir } from './helpers.js';

const fetchFailed = (cause: unknown) => Object.assign(new TypeError('fetch failed'), { cause });

test('"fetch failed" shows the cause: DNS, TLS, a refused connection behind happy eyeballs', () => {
  const dns = fetchFailed(Object.assign(new Error('getaddrinfo ENOTFOUND mcp.example.invalid'), { code: 'ENOTFOUND', hostname: 'mcp.example.invalid' }));
  assert.equal(describeTransportError(dns), 'DNS lookup of mcp.example.invalid failed (ENOTFOUND)');
  const tls = fetchFailed(Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }));
  assert.equal(describeTransportError(tls), 'TLS: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)');
  const refused = fetchFailed(
    Object.assign(new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:9'), { code: 'ECONNREFUSED', address: '::1', port: 9 })]), { code: 'ECONNREFUSED' }),
  );
  assert.equal(describeTransportError(refused), 'connection refused by ::1:9 (ECONNREFUSED): is the server running?');
  assert.equal(networkCause(new Error('plain')), undefined);
  assert.equal(describeTransportError(new TypeError('fetch failed')), 'fetch failed', 'no cause: the message as it was');
});

test('a stdio server that cannot be spawned fails at the start step, with the reason', async () => {
  const config = parseMcpConfig(JSON.stringify({ mcpServers: { ghost: { command: 'node', args: ['server.js'], cwd: '/no/such/dir' } } }), 'x.json');
  const manager = await McpManager.start({ config, logDir: tempDir(), connectTimeoutMs: 10_000 });
  try {
    const s = manager.statuses()[0]!;
    assert.equal(s.state, 'failed');
    assert.equal(s.error, "start: cwd '/no/such/dir' is not a directory");
  } finally {
    await manager.close();
  }
});
