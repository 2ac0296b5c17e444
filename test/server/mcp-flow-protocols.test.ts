// The seed's MCP flow (GET /v1/mcp/tools → the model calls a tool → POST /v1/mcp/execute → the result goes back →
// the final answer) through /v1/messages with @anthropic-ai/sdk and /v1/responses with the openai SDK, against
// server-filesystem; /v1/chat/completions runs the same flow in mcp-flow.test.ts.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startServer, scripted, startFilesystemMcp, type TestServer, type FilesystemMcp } from './harness.js';
import { assertAnthropicOrder, assertResponsesOrder } from './protocol-order.js';

let srv: TestServer;
let fs: FilesystemMcp;
let model: ReturnType<typeof scripted>;

before(async () => {
  fs = await startFilesystemMcp();
  model = scripted(
    [
      `<tool_call>{"name": "filesystem__list_directory", "arguments": {"path": "ROOT"}}</tool_call>`,
      'The directory contains notes.txt and todo.md.',
      `<tool_call>{"name": "filesystem__read_text_file", "arguments": {"path": "ROOT/notes.txt"}}</tool_call>`,
      'The note says hello.',
      // mcp_auto_execute over /v1/messages (not streamed), then streamed with a sandbox refusal
      `Reading.<tool_call>{"name": "filesystem__read_text_file", "arguments": {"path": "ROOT/todo.md"}}</tool_call>`,
      'The todo is to write tests.',
      `<tool_call>{"name": "filesystem__read_text_file", "arguments": {"path": "/etc/passwd"}}</tool_call>`,
      'I may not read that.',
      // mcp_auto_execute over /v1/responses (streamed)
      `<tool_call>{"name": "filesystem__list_directory", "arguments": {"path": "ROOT"}}</tool_call>`,
      'Two files.',
    ].map((r) => r.replaceAll('ROOT', fs.root)),
    { contextLength: 65536 },
  );
  srv = await startServer(model, {}, fs.manager);
});
after(async () => {
  await srv.close();
  await fs.cleanup();
});

async function mcpTools(): Promise<Array<{ function: { name: string; description?: string; parameters: Record<string, unknown> } }>> {
  const r = await fetch(`${srv.url}/v1/mcp/tools`);
  return ((await r.json()) as any).tools;
}

async function execute(name: string, args: unknown): Promise<{ text: string; isError: boolean }> {
  const r = await fetch(`${srv.url}/v1/mcp/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tool_name: name, arguments: args }),
  });
  assert.equal(r.status, 200);
  const body = (await r.json()) as any;
  return { text: body.result.map((c: any) => c.text).join('\n'), isError: body.is_error };
}

test('Anthropic messages: MCP tools → tool_use → /v1/mcp/execute → tool_result → answer', async () => {
  const tools: Anthropic.Tool[] = (await mcpTools()).map((t) => ({
    name: t.function.name,
    ...(t.function.description ? { description: t.function.description } : {}),
    input_schema: t.function.parameters as Anthropic.Tool.InputSchema,
  }));
  const client = new Anthropic({ baseURL: srv.url, apiKey: 'unused', maxRetries: 0 });
  const messages: Anthropic.MessageParam[] = [{ role: 'user', content: `List files in ${fs.root}` }];
  const first = await client.messages.create({ model: 'test-model', max_tokens: 1024, tools, messages });
  const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
  assert.ok(use);
  assert.equal(use.name, 'filesystem__list_directory');
  const result = await execute(use.name, use.input);
  assert.match(result.text, /notes\.txt/);
  messages.push({ role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: result.text, is_error: result.isError }] });
  const second = await client.messages.create({ model: 'test-model', max_tokens: 1024, tools, messages });
  assert.deepEqual(second.content.map((b) => (b.type === 'text' ? b.text : b.type)), ['The directory contains notes.txt and todo.md.']);
  assert.match(model.requests[1].prompt, /todo\.md/, 'the tool result reached the model');
  const rows = fs.audit.query({ toolFilter: 'list_directory' });
  assert.equal(rows.length, 1);
  assert.equal(rows[0].success, true);
});

test('OpenAI responses: MCP tools → function_call → /v1/mcp/execute → function_call_output → answer', async () => {
  const tools: OpenAI.Responses.FunctionTool[] = (await mcpTools()).map((t) => ({
    type: 'function',
    name: t.function.name,
    description: t.function.description ?? null,
    parameters: t.function.parameters,
    strict: false,
  }));
  const client = new OpenAI({ baseURL: srv.baseURL, apiKey: 'unused', maxRetries: 0 });
  const first = await client.responses.create({ model: 'test-model', input: 'What does notes.txt say?', tools });
  const call = first.output.find((o): o is OpenAI.Responses.ResponseFunctionToolCall => o.type === 'function_call');
  assert.ok(call);
  assert.equal(call.name, 'filesystem__read_text_file');
  const result = await execute(call.name, JSON.parse(call.arguments));
  assert.match(result.text, /hello from the filesystem server/);
  const second = await client.responses.create({
    model: 'test-model',
    previous_response_id: first.id,
    input: [{ type: 'function_call_output', call_id: call.call_id, output: result.text }],
    tools,
  });
  assert.equal(second.output_text, 'The note says hello.');
  assert.match(model.requests[3].prompt, /hello from the filesystem server/);
});

test('mcp_auto_execute on /v1/messages: executed calls as mcp_tool_use + mcp_tool_result blocks, streamed in order', async () => {
  const post = (body: object) =>
    fetch(`${srv.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const r = await post({ model: 'test-model', max_tokens: 512, mcp_auto_execute: true, messages: [{ role: 'user', content: 'What is in todo.md?' }] });
  assert.equal(r.status, 200);
  const body = (await r.json()) as any;
  assert.deepEqual(body.content.map((b: any) => b.type), ['text', 'mcp_tool_use', 'mcp_tool_result', 'text']);
  assert.equal(body.content[0].text, 'Reading.');
  assert.equal(body.content[1].name, 'read_text_file');
  assert.equal(body.content[1].server_name, 'filesystem');
  assert.equal(body.content[2].tool_use_id, body.content[1].id);
  assert.equal(body.content[2].is_error, false);
  assert.match(body.content[2].content[0].text, /write tests/);
  assert.equal(body.content[3].text, 'The todo is to write tests.');
  assert.equal(body.stop_reason, 'end_turn');

  const client = new Anthropic({ baseURL: srv.url, apiKey: 'unused', maxRetries: 0 });
  const stream = client.messages.stream({ model: 'test-model', max_tokens: 512, messages: [{ role: 'user', content: 'read passwd' }], mcp_auto_execute: true } as any);
  const events: any[] = [];
  for await (const ev of stream) events.push(ev);
  assertAnthropicOrder(events);
  const starts = events.filter((e) => e.type === 'content_block_start').map((e) => e.content_block);
  assert.deepEqual(starts.map((b: any) => b.type), ['mcp_tool_use', 'mcp_tool_result', 'text']);
  assert.equal(starts[1].is_error, true, 'the sandbox refused the call');
  assert.equal((await stream.finalMessage()).content.at(-1)!.type, 'text');
  const refused = fs.audit.query({ errorsOnly: true }).filter((row) => JSON.stringify(row.arguments).includes('/etc/passwd'));
  assert.ok(refused.length >= 1, 'the refusal is audited');
});

test('mcp_auto_execute on /v1/responses: each executed call is an mcp_call item, then the answer', async () => {
  const client = new OpenAI({ baseURL: srv.baseURL, apiKey: 'unused', maxRetries: 0 });
  const stream = client.responses.stream({ model: 'test-model', input: 'What is there?', mcp_auto_execute: true } as any);
  const events: any[] = [];
  for await (const ev of stream) events.push(ev);
  assertResponsesOrder(events);
  const final = await stream.finalResponse();
  assert.deepEqual(final.output.map((o) => o.type), ['mcp_call', 'message']);
  const mcp = final.output[0] as any;
  assert.equal(mcp.server_label, 'filesystem');
  assert.equal(mcp.name, 'list_directory');
  assert.equal(mcp.status, 'completed');
  assert.match(mcp.output, /notes\.txt/);
  assert.equal(final.output_text, 'Two files.');
  assert.equal(model.remaining, 0);
});
