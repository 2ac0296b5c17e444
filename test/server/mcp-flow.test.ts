// The documented client flow against server-filesystem, the MCP endpoints' shapes and statuses, and
// mcp_auto_execute; every executed call is checked in the audit log (origin api/serve).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startServer, scripted, startFilesystemMcp, type TestServer, type FilesystemMcp } from './harness.js';

let srv: TestServer;
let fs: FilesystemMcp;
let model: ReturnType<typeof scripted>;

before(async () => {
  fs = await startFilesystemMcp({ toolPolicies: { write_file: 'ask', create_directory: 'deny' } });
  model = scripted(
    [
      // documented flow: the model calls list_directory, then answers from the result
      `<tool_call>{"name": "filesystem__list_directory", "arguments": {"path": "${'ROOT'}"}}</tool_call>`,
      'The directory contains notes.txt and todo.md.',
      // mcp_auto_execute (non-streaming): read a file, then answer
      `<tool_call>{"name": "filesystem__read_text_file", "arguments": {"path": "ROOT/notes.txt"}}</tool_call>`,
      'The note says hello.',
      // mcp_auto_execute (streaming): a traversal attempt is refused by the sandbox, then an answer
      `<tool_call>{"name": "filesystem__read_text_file", "arguments": {"path": "ROOT/../../etc/passwd"}}</tool_call>`,
      'I cannot read that file.',
    ].map((r) => r.replaceAll('ROOT', fs.root)),
    { contextLength: 65536 },
  );
  srv = await startServer(model, {}, fs.manager);
});
after(async () => {
  await srv.close();
  await fs.cleanup();
});

async function getJson(path: string): Promise<{ status: number; body: any }> {
  const r = await fetch(`${srv.url}${path}`);
  return { status: r.status, body: await r.json() };
}
async function postJson(path: string, body: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${srv.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

test('GET /v1/mcp/status and /v1/mcp/servers report the connected server', async () => {
  const status = await getJson('/v1/mcp/status');
  assert.equal(status.status, 200);
  assert.equal(status.body.enabled, true);
  const s = status.body.servers.find((x: any) => x.name === 'filesystem');
  assert.equal(s.state, 'connected');
  assert.ok(s.tool_count > 5);
  assert.equal(s.error, null);
  const servers = await getJson('/v1/mcp/servers');
  assert.equal(servers.body.servers[0].transport, 'stdio');
});

test('documented flow: tools → chat → tool call → /v1/mcp/execute → follow-up → final answer', async () => {
  const { body: toolsBody } = await getJson('/v1/mcp/tools');
  const tools = toolsBody.tools;
  const names = tools.map((t: any) => t.function.name);
  assert.ok(names.includes('filesystem__list_directory'), names.join(','));
  assert.equal(tools[0].type, 'function');
  // The README's troubleshooting line (`jq '.tools[].name'`) reads the top-level name; the server is beside it.
  const entry = tools.find((t: any) => t.function.name === "filesystem__list_directory");
  assert.equal(entry.name, "filesystem__list_directory");
  assert.equal(entry.server, "filesystem");

  const client = new OpenAI({ baseURL: srv.baseURL, apiKey: 'unused' });
  const messages: any[] = [{ role: 'user', content: `List files in ${fs.root}` }];
  const r1 = await client.chat.completions.create({ model: 'default', messages, tools, max_tokens: 1024 });
  const message = r1.choices[0].message;
  const call = (message.tool_calls ?? [])[0] as { id: string; function: { name: string; arguments: string } };
  assert.equal(call.function.name, 'filesystem__list_directory');

  // As in the seed: server + the tool name the model used.
  const exec = await postJson('/v1/mcp/execute', {
    server: 'filesystem',
    tool: call.function.name,
    arguments: JSON.parse(call.function.arguments),
  });
  assert.equal(exec.status, 200);
  assert.equal(exec.body.server, 'filesystem');
  assert.equal(exec.body.tool, 'list_directory');
  assert.equal(exec.body.is_error, false);
  const listing = exec.body.result.map((c: any) => c.text).join('\n');
  assert.match(listing, /notes\.txt/);
  assert.match(listing, /todo\.md/);

  messages.push(message, { role: 'tool', tool_call_id: call.id, content: JSON.stringify(exec.body.result) });
  const r2 = await client.chat.completions.create({ model: 'default', messages });
  assert.equal(r2.choices[0].message.content, 'The directory contains notes.txt and todo.md.');
  assert.match(model.requests[1].prompt, /notes\.txt/, 'the tool result reached the model');

  const rows = fs.audit.query({ toolFilter: 'list_directory' });
  assert.equal(rows.length, 1);
  assert.equal(rows[0].origin, 'api');
  assert.equal(rows[0].success, true);
});

test('/v1/mcp/execute: tool_name form, tool errors are 200 is_error, unknown is 404, sandbox denial is 403', async () => {
  const ok = await postJson('/v1/mcp/execute', { tool_name: 'filesystem__read_text_file', arguments: { path: `${fs.root}/todo.md` } });
  assert.equal(ok.status, 200);
  assert.match(ok.body.result[0].text, /write tests/);

  const toolError = await postJson('/v1/mcp/execute', { server: 'filesystem', tool: 'read_text_file', arguments: { path: `${fs.root}/missing.txt` } });
  assert.equal(toolError.status, 200);
  assert.equal(toolError.body.is_error, true);
  assert.ok(toolError.body.error);

  const unknownServer = await postJson('/v1/mcp/execute', { server: 'nope', tool: 'x', arguments: {} });
  assert.equal(unknownServer.status, 404);
  assert.equal(unknownServer.body.error.code, 'server_not_found');
  const unknownTool = await postJson('/v1/mcp/execute', { server: 'filesystem', tool: 'format_disk', arguments: {} });
  assert.equal(unknownTool.status, 404);
  assert.equal(unknownTool.body.error.code, 'tool_not_found');

  const denied = await postJson('/v1/mcp/execute', { server: 'filesystem', tool: 'read_text_file', arguments: { path: '/etc/passwd' } });
  assert.equal(denied.status, 403);
  assert.equal(denied.body.error.type, 'permission_error');
  assert.match(denied.body.error.message, /sandbox/);
  const deniedRows = fs.audit.query({ errorsOnly: true }).filter((r) => r.decision !== 'allowed');
  assert.ok(deniedRows.some((r) => JSON.stringify(r.arguments).includes('/etc/passwd')));

  const bad = await postJson('/v1/mcp/execute', { server: 'filesystem' });
  assert.equal(bad.status, 400);
});

test('mcp_auto_execute runs the loop server-side and lists the executed calls', async () => {
  const r = await postJson('/v1/chat/completions', {
    model: 'default',
    messages: [{ role: 'user', content: 'What does notes.txt say?' }],
    mcp_auto_execute: true,
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const msg = r.body.choices[0].message;
  assert.equal(msg.content, 'The note says hello.');
  assert.equal(msg.mcp_tool_calls.length, 1);
  assert.equal(msg.mcp_tool_calls[0].tool, 'read_text_file');
  assert.equal(msg.mcp_tool_calls[0].status, 'ok');
  assert.match(msg.mcp_tool_calls[0].result, /hello from the filesystem server/);
  const rows = fs.audit.query({ toolFilter: 'read_text_file' }).filter((x) => x.origin === 'serve');
  assert.equal(rows.length, 1);
});

test('mcp_auto_execute streaming shows the refused call as it happens and the final answer', async () => {
  const r = await fetch(`${srv.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'read passwd' }], mcp_auto_execute: true, stream: true }),
  });
  assert.equal(r.status, 200);
  const text = await r.text();
  const events = text.split('\n\n').filter(Boolean).map((e) => e.replace(/^data: /, ''));
  assert.equal(events.at(-1), '[DONE]');
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
  const callUpdates = chunks.map((c) => c.choices[0]?.delta?.mcp_tool_call).filter(Boolean);
  assert.ok(callUpdates.length >= 2);
  const last = callUpdates.at(-1);
  assert.equal(last.is_error, true);
  assert.equal(last.status, 'denied');
  const content = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
  assert.equal(content, 'I cannot read that file.');
  // The model was told about the refusal.
  assert.match(model.requests.at(-1)!.prompt, /denied|refused/i);
});

test('/v1/mcp/execute: policy "ask" and "deny" are 403 over the API (nobody can confirm), and audited', async () => {
  const ask = await postJson('/v1/mcp/execute', { server: 'filesystem', tool: 'write_file', arguments: { path: `${fs.root}/x.txt`, content: 'x' } });
  assert.equal(ask.status, 403);
  assert.equal(ask.body.error.code, 'policy_deny');
  assert.match(ask.body.error.message, /confirmation/);
  const deny = await postJson('/v1/mcp/execute', { server: 'filesystem', tool: 'create_directory', arguments: { path: `${fs.root}/d` } });
  assert.equal(deny.status, 403);
  const { existsSync } = await import('node:fs');
  assert.equal(existsSync(`${fs.root}/x.txt`), false);
  assert.equal(existsSync(`${fs.root}/d`), false);
  const rows = fs.audit.query({ toolFilter: 'write_file' });
  assert.equal(rows.length, 1);
  assert.equal(rows[0].success, false);
  assert.equal(rows[0].rule, 'policy_deny');
});
