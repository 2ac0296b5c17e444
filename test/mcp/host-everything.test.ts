// Roots, elicitation and sampling through the real server-everything over stdio: the client declares the
// capabilities (so the server registers its trigger-* tools), the host's handlers answer, and every
// elicitation and sampling request is an audit row.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { McpManager } from '../../src/agent/mcp/manager.js';
import { parseMcpConfig } from '../../src/agent/mcp/config.js';
import { MemoryAuditLog } from '../../src/agent/audit/index.js';
import { RootsRegistry } from '../../src/agent/mcp/roots.js';
import { modelSampler } from '../../src/agent/mcp/sampling.js';
import type { ElicitationAnswer, ElicitationRequest } from '../../src/agent/mcp/elicitation.js';
import { ScriptedModel } from '../../src/agent/scripted-model.js';
import { EVERYTHING_SERVER, FILESYSTEM_SERVER, tempDir } from './helpers.js';

const work = tempDir();
const extraRoot = join(work, 'extra');
mkdirSync(extraRoot);
const audit = new MemoryAuditLog();
const warnings: string[] = [];
const model = new ScriptedModel({ rounds: ['Paris is the capital of France.', 'second answer'] });
let elicitations: ElicitationRequest[] = [];
let nextAnswer: ElicitationAnswer = { action: 'decline' };
let approvals = 0;
let approve = true;
let manager: McpManager;
const roots = new RootsRegistry([work]);

before(async () => {
  const config = parseMcpConfig(
    JSON.stringify({
      mcpServers: {
        ask: { command: 'node', args: [EVERYTHING_SERVER] },
        trusted: { command: 'node', args: [EVERYTHING_SERVER], sampling: 'allow' },
        denied: { command: 'node', args: [EVERYTHING_SERVER], sampling: 'deny' },
        // No directories on the command line: server-filesystem works in the roots it is given.
        files: { command: 'node', args: [FILESYSTEM_SERVER], roots: [extraRoot] },
        noroots: { command: 'node', args: [EVERYTHING_SERVER], roots: false },
      },
    }),
    'test-mcp.json',
  );
  manager = await McpManager.start({
    config,
    audit,
    logDir: join(work, 'logs'),
    sessionId: 'host-1',
    connectTimeoutMs: 20_000,
    onWarning: (m) => warnings.push(m),
    host: {
      roots,
      elicitation: async (req) => {
        elicitations.push(req);
        return nextAnswer;
      },
      sampler: modelSampler(model, { modelName: 'scripted-test', maxTokensLimit: 64 }),
      samplingApprover: async () => {
        approvals++;
        return approve ? { approved: true } : { approved: false, reason: 'not now' };
      },
    },
  });
});

after(async () => {
  await manager?.close();
});

/** The newest audit row of a host request (the tool call that triggered it is a row of its own). */
const lastRow = (method: string) => audit.query({ limit: 1000 }).filter((r) => r.tool === method).at(-1)!;
/** Calls a tool until its text satisfies `ok` (servers fetch roots asynchronously after a notification). */
async function callUntil(server: string, tool: string, ok: (text: string) => boolean, what: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const out = await call(server, tool);
    if (ok(out.text)) return out.text;
    if (Date.now() > deadline) assert.fail(`${what}; last answer: ${out.text}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const call = (server: string, tool: string, args: Record<string, unknown> = {}) => manager.callTool(server, tool, args, { origin: 'cli' });

test('declaring the capabilities makes the server offer its elicitation, sampling and roots tools', () => {
  const names = manager.listTools().filter((t) => t.server === 'ask').map((t) => t.name);
  for (const n of ['trigger-elicitation-request', 'trigger-sampling-request', 'get-roots-list']) assert.ok(names.includes(n), `${n} in ${names.join(',')}`);
});

test('roots: server-filesystem works in the shared root plus its config roots; roots: false declares none', async () => {
  // server-filesystem asks for the roots after initialization, so the first answers may still be empty.
  await callUntil('files', 'list_allowed_directories', (t) => t.includes(work) && t.includes(extraRoot), 'the server never used the roots');
  const names = manager.listTools().filter((t) => t.server === 'noroots').map((t) => t.name);
  assert.ok(!names.includes('get-roots-list'), 'no roots capability, no roots tool');
  assert.ok(names.includes('trigger-sampling-request'));
});

test('roots: the server lists the shared root, and sees a new one after list_changed', async () => {
  const before = await call('ask', 'get-roots-list');
  assert.equal(before.status, 'ok');
  assert.match(before.text, new RegExp(pathToFileURL(work).href.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  assert.doesNotMatch(before.text, /extra/);
  roots.add(extraRoot);
  await callUntil('ask', 'get-roots-list', (t) => t.includes(pathToFileURL(extraRoot).href), 'the server never saw the added root');
});

test('elicitation: an accepted form reaches the server, and the audit row redacts secrets', async () => {
  elicitations = [];
  nextAnswer = { action: 'accept', content: { name: 'Ada Lovelace', check: true, integer: 7, password: 'hunter2' } };
  const out = await call('ask', 'trigger-elicitation-request');
  assert.equal(out.status, 'ok', out.error);
  assert.match(out.text, /Name: Ada Lovelace/);
  assert.match(out.text, /Favorite Integer: 7/);
  const req = elicitations[0]!;
  assert.equal(req.mode, 'form');
  assert.ok(req.mode === 'form' && req.fields.some((f) => f.name === 'untitledSingleSelectEnum' && f.kind === 'enum'));
  const row = lastRow('elicitation/create');
  assert.equal(row.server, 'ask');
  assert.equal(row.decision, 'allowed');
  assert.equal(row.rule, 'elicitation:accept');
  assert.doesNotMatch(JSON.stringify(row.arguments), /hunter2/);
});

test('elicitation: a declined form tells the server, with the reason in the audit row', async () => {
  nextAnswer = { action: 'decline', reason: 'not today' };
  const out = await call('ask', 'trigger-elicitation-request');
  assert.match(out.text, /declined/);
  const row = lastRow('elicitation/create');
  assert.equal(row.decision, 'denied');
  assert.match(row.error ?? '', /decline: not today/);
});

test('elicitation: an accepted answer that breaks the schema is not sent (cancelled instead)', async () => {
  nextAnswer = { action: 'accept', content: { name: 'Ada', integer: 1000 } };
  const out = await call('ask', 'trigger-elicitation-request');
  assert.match(out.text, /cancelled/);
  assert.match(lastRow('elicitation/create').error ?? '', /invalid answer: Integer: at most 100/);
});

test('sampling with policy ask: approved, the loaded model answers with maxTokens capped', async () => {
  approvals = 0;
  approve = true;
  const out = await call('ask', 'trigger-sampling-request', { prompt: 'capital of France?', maxTokens: 500 });
  assert.equal(out.status, 'ok', out.error);
  assert.match(out.text, /Paris is the capital of France\./);
  assert.match(out.text, /"model": "scripted-test"/);
  assert.equal(approvals, 1);
  const req = model.requests.at(-1)!;
  assert.equal(req.messages[0]?.role, 'system');
  assert.match(req.messages[1]?.content as string, /capital of France\?/);
  const row = lastRow('sampling/createMessage');
  assert.equal(row.rule, 'sampling:user-allow');
  assert.equal(row.success, true);
  assert.match(row.resultPreview ?? '', /Paris/);
});

test('sampling refused by the user: the server gets an error, the model is not used', async () => {
  approve = false;
  const used = model.requests.length;
  const out = await call('ask', 'trigger-sampling-request', { prompt: 'again?' });
  assert.equal(out.isError, true);
  assert.match(out.text, /sampling request refused: not now/);
  assert.equal(model.requests.length, used);
  assert.equal(lastRow('sampling/createMessage').rule, 'sampling:user-deny');
});

test('sampling policy per server: allow skips the question, deny refuses it', async () => {
  approvals = 0;
  const ok = await call('trusted', 'trigger-sampling-request', { prompt: 'hi' });
  assert.match(ok.text, /second answer/);
  assert.equal(approvals, 0);
  const no = await call('denied', 'trigger-sampling-request', { prompt: 'hi' });
  assert.match(no.text, /the config denies sampling for 'denied'/);
});
