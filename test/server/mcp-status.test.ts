// /v1/mcp/execute answers with a status a client can act on: 429 + Retry-After when rate limited, 413 for
// oversized arguments, 400 for malformed ones or a missing field (named), 403 naming the validator's
// rejection, 503 + Retry-After while a crashed server restarts (all once 403 or 404).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, scripted, startFilesystemMcp, type TestServer, type FilesystemMcp } from './harness.js';

let srv: TestServer;
let fs: FilesystemMcp;

before(async () => {
  fs = await startFilesystemMcp(
    {},
    {
      config: {
        security: { maxCallsPerMinute: 2, maxArgumentBytes: 2048 },
        // Refused by the validator: it asks to skip validation, and this server does not allow that.
        mcpServers: { unvetted: { command: 'node', args: ['-e', '0'], skip_security_validation: true } },
      },
      // A crashed server waits a minute before its restart, so the test sees the "restarting" state.
      restartPolicy: { initialDelayMs: 60_000, maxDelayMs: 60_000, factor: 1, maxAttempts: 3, stableAfterMs: 60_000 },
    },
  );
  srv = await startServer(scripted(['unused']), {}, fs.manager);
});
after(async () => {
  await srv.close();
  await fs.cleanup();
});

async function execute(body: unknown): Promise<{ status: number; headers: Headers; body: any }> {
  const r = await fetch(`${srv.url}/v1/mcp/execute`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, headers: r.headers, body: await r.json() };
}

test('a missing server field is named as required; malformed arguments are 400 naming them', async () => {
  const noServer = await execute({ tool: 'read_text_file', arguments: {} });
  assert.equal(noServer.status, 400);
  assert.equal(noServer.body.error.param, 'server');
  assert.match(noServer.body.error.message, /'server'.*required/);
  const noTool = await execute({ server: 'filesystem', arguments: {} });
  assert.equal(noTool.body.error.param, 'tool');
  for (const args of ['{"path": ', '[1, 2]', 42, [1]]) {
    const r = await execute({ server: 'filesystem', tool: 'get_file_info', arguments: args });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.error.param, 'arguments', r.body.error.message);
  }
  // A string holding a JSON object is accepted, as in OpenAI tool_calls.
  const ok = await execute({ server: 'filesystem', tool: 'get_file_info', arguments: JSON.stringify({ path: `${fs.root}/notes.txt` }) });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
});

test('oversized arguments are 413', async () => {
  const r = await execute({ server: 'filesystem', tool: 'write_file', arguments: { path: `${fs.root}/big.txt`, content: 'x'.repeat(4096) } });
  assert.equal(r.status, 413, JSON.stringify(r.body));
  assert.equal(r.body.error.code, 'argument_size');
});

test('a call past the rate limit is 429 with Retry-After', async () => {
  const args = { path: `${fs.root}/todo.md` };
  for (let i = 0; i < 2; i++) assert.equal((await execute({ server: 'filesystem', tool: 'read_text_file', arguments: args })).status, 200);
  const limited = await execute({ server: 'filesystem', tool: 'read_text_file', arguments: args });
  assert.equal(limited.status, 429, JSON.stringify(limited.body));
  assert.equal(limited.body.error.type, 'rate_limit_error');
  const retry = Number(limited.headers.get('retry-after'));
  assert.ok(retry >= 1 && retry <= 60, `Retry-After ${limited.headers.get('retry-after')}`);
});

test('a server the validator rejected is 403 naming the rejection, in both request shapes', async () => {
  for (const body of [{ server: 'unvetted', tool: 'anything', arguments: {} }, { tool_name: 'unvetted__anything', arguments: {} }]) {
    const r = await execute(body);
    assert.equal(r.status, 403, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'server_rejected');
    assert.match(r.body.error.message, /rejected by the config validator.*unsafe_not_allowed/);
  }
});

test('while a crashed server restarts, its tools are 503 with Retry-After (not 404)', async () => {
  const pid = fs.manager.pidOf('filesystem');
  assert.ok(pid, 'the filesystem server runs');
  const scheduled = new Promise<void>((resolve) => {
    const off = fs.manager.onEvent((e) => {
      if (e.type === 'restart-scheduled') {
        off();
        resolve();
      }
    });
  });
  process.kill(pid, 'SIGKILL');
  await scheduled;
  for (const body of [{ server: 'filesystem', tool: 'read_text_file', arguments: {} }, { tool_name: 'filesystem__read_text_file', arguments: {} }]) {
    const r = await execute(body);
    assert.equal(r.status, 503, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'server_starting');
    assert.equal(r.headers.get('retry-after'), '60');
  }
});
