// Deferred tool schemas against a real MCP server with 200 tools: the model sees search_tools/call_tool only,
// search returns schemas, and call_tool runs through the same policy, sandbox and audit path as a direct call.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuditLog } from '../../src/agent/audit/index.js';
import { planToolExposure, searchTools } from '../../src/agent/loop/deferred-tools.js';
import type { AgentEvent } from '../../src/agent/loop/events.js';
import { runTurn, type Conversation } from '../../src/agent/loop/run-turn.js';
import { McpConfigSchema } from '../../src/agent/mcp/config.js';
import { McpManager } from '../../src/agent/mcp/manager.js';
import { ScriptedModel } from '../../src/agent/scripted-model.js';
import { startServer } from '../server/harness.js';
import { call } from './fixtures.js';

const MANY_TOOLS = fileURLToPath(new URL('../mcp/fixtures/many-tools-server.js', import.meta.url));
let root: string;
let audit: AuditLog;
let manager: McpManager;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'vmlx-deferred-'));
  audit = AuditLog.open(join(root, 'audit.db'));
  const config = McpConfigSchema.parse({ mcpServers: { many: { command: 'node', args: [MANY_TOOLS], toolPolicies: { invoice_delete: 'deny' } } } });
  manager = await McpManager.start({ config, audit, logDir: join(root, 'logs'), sessionId: 's', origin: 'chat' });
  assert.equal(manager.statuses()[0]!.state, 'connected', manager.statuses()[0]!.error);
  assert.equal(manager.listTools().length, 200);
});
after(async () => {
  await manager.close();
  audit.close();
  rmSync(root, { recursive: true, force: true });
});

async function turn(model: ScriptedModel, prompt: string): Promise<AgentEvent[]> {
  const conv: Conversation = { messages: [{ role: 'user', content: prompt }] };
  const events: AgentEvent[] = [];
  for await (const e of runTurn(conv, { model, executor: manager, sessionId: 's', autoApprove: true })) events.push(e);
  return events;
}

const toolMessages = (model: ScriptedModel, request: number) =>
  model.requests[request]!.messages.filter((m) => m.role === 'tool').map((m) => String(m.content));

test('200 tools in an 8k context are deferred; a few tools in the same context are not', () => {
  const small = new ScriptedModel({ rounds: ['unused'], contextLength: 8192 });
  const all = manager.listTools();
  const deferred = planToolExposure(all, small);
  assert.equal(deferred.mode, 'deferred');
  assert.deepEqual(deferred.definitions.map((d) => d.function.name), ['search_tools', 'call_tool']);
  assert.ok(deferred.schemaTokens > 8192 * 0.25);
  assert.equal(planToolExposure(all.slice(0, 3), small).mode, 'direct');
  assert.equal(planToolExposure(all, small, 1).mode, 'direct', 'a share of 1 never defers');
  const huge = new ScriptedModel({ rounds: ['unused'], contextLength: 1 << 22 });
  assert.equal(planToolExposure(all, huge).mode, 'direct');
});

test('search ranks the tool whose name matches the query words first', () => {
  const found = searchTools(manager.listTools(), 'create an invoice', 3);
  assert.equal(found[0]!.qualifiedName, 'many__invoice_create');
  assert.equal(found.length, 3);
  assert.equal(searchTools(manager.listTools(), 'many__flight_count')[0]!.name, 'flight_count');
  assert.deepEqual(searchTools(manager.listTools(), 'zebra'), []);
});

test('the loop: search_tools returns schemas, call_tool runs the tool and is audited like a direct call', async () => {
  const model = new ScriptedModel({
    contextLength: 8192,
    rounds: [
      call('search_tools', { query: 'create invoice', limit: 2 }),
      call('call_tool', { name: 'many__invoice_create', arguments: { owner: 'ada' } }),
      'Created.',
    ],
  });
  const before = audit.query({ limit: 1000 }).length;
  const events = await turn(model, 'make an invoice for ada');
  assert.deepEqual(model.requests[0]!.toolNames, ['search_tools', 'call_tool']);
  assert.doesNotMatch(model.requests[0]!.prompt, /many__weather_get/);
  const [search] = toolMessages(model, 1);
  assert.match(search!, /"name": "many__invoice_create"/);
  assert.match(search!, /"owner"/, 'the schema comes with the match');
  const [, ran] = toolMessages(model, 2);
  assert.match(ran!, /^\[tool output of many__invoice_create\]\ninvoice_create ran with \{"owner":"ada"\}/);
  const started = events.filter((e) => e.type === 'tool_call_started').map((e) => (e as { name: string }).name);
  assert.deepEqual(started, ['search_tools', 'many__invoice_create']);
  const rows = audit.query({ limit: 1000 }).slice(0, audit.query({ limit: 1000 }).length - before);
  assert.equal(rows.length, 1, 'search_tools runs no server and writes no row; the call writes one');
  assert.equal(rows[0]!.tool, 'invoice_create');
  assert.equal(rows[0]!.decision, 'allowed');
  assert.deepEqual(events.at(-1), { type: 'turn_finished', reason: 'answered', rounds: 3, answer: 'Created.' });
});

test('call_tool obeys the policy (deny) and names search_tools for an unknown tool', async () => {
  const model = new ScriptedModel({
    contextLength: 8192,
    rounds: [
      `${call('call_tool', { name: 'many__invoice_delete', arguments: { id: '7' } })}\n${call('call_tool', { name: 'many__invoice_shred', arguments: {} })}`,
      'Could not.',
    ],
  });
  const events = await turn(model, 'delete invoice 7');
  const [denied, unknown] = toolMessages(model, 1);
  assert.match(denied!, /^\[tool call denied: many__invoice_delete was not run\]/);
  assert.match(unknown!, /no tool named 'many__invoice_shred' exists; find the right name with search_tools/);
  const errors = events.filter((e) => e.type === 'tool_error').map((e) => (e as { status: string }).status);
  assert.deepEqual(errors, ['denied', 'unknown_tool']);
  const row = audit.query({ toolFilter: 'invoice_delete' })[0]!;
  assert.equal(row.decision, 'denied');
});

test('through the server: mcp_auto_execute defers the 200 schemas and runs the call the model found', async () => {
  const model = new ScriptedModel({
    contextLength: 8192,
    rounds: [
      call('search_tools', { query: 'weather get' }),
      call('call_tool', { name: 'many__weather_get', arguments: { id: 'paris' } }),
      'Sunny in Paris.',
    ],
  });
  const srv = await startServer(model, {}, manager);
  try {
    const r = await fetch(`${srv.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'weather in paris?' }], mcp_auto_execute: true }),
    });
    const body = (await r.json()) as any;
    assert.equal(r.status, 200, JSON.stringify(body));
    assert.deepEqual(model.requests[0]!.toolNames, ['search_tools', 'call_tool']);
    const msg = body.choices[0].message;
    assert.equal(msg.content, 'Sunny in Paris.');
    const calls = msg.mcp_tool_calls.map((c: any) => [c.server, c.tool, c.status]);
    assert.deepEqual(calls, [['vmlx', 'search_tools', 'ok'], ['many', 'weather_get', 'ok']]);
    assert.match(msg.mcp_tool_calls[1].result, /weather_get ran with \{"id":"paris"\}/);
  } finally {
    await srv.close();
  }
});
