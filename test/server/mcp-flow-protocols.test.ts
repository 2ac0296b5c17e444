// The seed's MCP flow (GET /v1/mcp/tools → the model calls a tool → POST /v1/mcp/execute → the result goes back →
// the final answer) through /v1/messages with @anthropic-ai/sdk and /v1/responses with the openai SDK, against
// server-filesystem; /v1/chat/completions runs the same flow in mcp-flow.test.ts.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startServer, scripted, startFilesystemMcp, type TestServer, type FilesystemMcp } from './harness.js';

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
