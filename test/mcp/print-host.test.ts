// `vmlx chat --print` with the real server-everything: an elicitation is declined at once with the reason (the
// run never hangs), sampling is answered by the chat's own (scripted) model when the config allows it and
// refused with the reason when nobody can approve it; --root adds a root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AuditLog } from '../../src/agent/audit/index.js';
import { EVERYTHING_SERVER, tempDir } from './helpers.js';
import { runVmlx } from '../helpers/vmlx-cli.js';

const callMarkup = (name: string, args: Record<string, unknown>) => `<tool_call>\n${JSON.stringify({ name, arguments: args })}\n</tool_call>`;

function workspace(sampling?: 'allow' | 'ask') {
  const root = tempDir('vmlx-print-host-');
  const mcp = join(root, 'mcp.json');
  writeFileSync(mcp, JSON.stringify({ mcpServers: { ev: { command: 'node', args: [EVERYTHING_SERVER], ...(sampling ? { sampling } : {}) } } }));
  const script = (rounds: unknown[]) => {
    const p = join(root, 'script.json');
    writeFileSync(p, JSON.stringify({ rounds, recordTo: 'requests.jsonl' }));
    return p;
  };
  const requests = () => readFileSync(join(root, 'requests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { messages: Array<{ role: string; content: string }> });
  return { root, mcp, script, requests, audit: join(root, 'audit.db'), env: { VMLX_HOME: join(root, 'home') } };
}

test('--print: an elicitation is declined at once with the reason; the turn finishes; the audit has the row', async () => {
  const ws = workspace();
  const script = ws.script([callMarkup('ev__trigger-elicitation-request', {}), 'Done.']);
  const r = await runVmlx(['chat', '--scripted-model', script, '--mcp-config', ws.mcp, '--audit-db', ws.audit, '-y', '--print', 'go'], { env: ws.env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Done.\n');
  assert.match(r.stderr, /MCP server 'ev' asked for input \("Please provide inputs for the following fields:"\); declined: --print cannot ask for input/);
  const toolResult = ws.requests()[1]!.messages.find((m) => m.role === 'tool')!;
  assert.match(toolResult.content, /declined/);
  const log = AuditLog.open(ws.audit);
  try {
    const row = log.query({ limit: 100 }).find((x) => x.tool === 'elicitation/create')!;
    assert.equal(row.decision, 'denied');
    assert.equal(row.origin, 'chat');
    assert.match(row.error ?? '', /decline: --print cannot ask/);
  } finally {
    log.close();
  }
});

test('--print: sampling allowed by the config is answered by the chat model itself', async () => {
  const ws = workspace('allow');
  const script = ws.script([callMarkup('ev__trigger-sampling-request', { prompt: 'name a colour', maxTokens: 20 }), 'Blue, from my own model.', 'The server got: blue.']);
  const r = await runVmlx(['chat', '--scripted-model', script, '--mcp-config', ws.mcp, '-y', '--print', 'go'], { env: ws.env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'The server got: blue.\n');
  const [, sampling, last] = ws.requests();
  assert.match(sampling!.messages.at(-1)!.content, /name a colour/);
  assert.equal(sampling!.messages[0]!.role, 'system', "the server's system prompt");
  assert.match(last!.messages.find((m) => m.role === 'tool')!.content, /Blue, from my own model\./);
});

test('--print: sampling that needs approval is refused with the reason; --yes approves it; --root adds a root', async () => {
  const ws = workspace('ask');
  // Tools run without asking (policy allow), but sampling still needs its own approval.
  writeFileSync(ws.mcp, JSON.stringify({ mcpServers: { ev: { command: 'node', args: [EVERYTHING_SERVER], policy: 'allow' } } }));
  const r = await runVmlx(['chat', '--scripted-model', ws.script([callMarkup('ev__trigger-sampling-request', { prompt: 'hi' }), 'Refused, as expected.']), '--mcp-config', ws.mcp, '--print', 'go'], { env: ws.env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Refused, as expected.\n');
  assert.match(r.stderr, /MCP server 'ev' asked to use the model; refused: sampling by 'ev' needs approval and nobody can be asked/);
  assert.match(ws.requests()[1]!.messages.find((m) => m.role === 'tool')!.content, /sampling request refused/);

  const ws2 = workspace('ask');
  const extra = join(ws2.root, 'extra');
  mkdirSync(extra);
  const script = ws2.script([
    `${callMarkup('ev__trigger-sampling-request', { prompt: 'hi' })}${callMarkup('ev__get-roots-list', {})}`,
    'Sampled with --yes.',
    'All done.',
  ]);
  const r2 = await runVmlx(['chat', '--scripted-model', script, '--mcp-config', ws2.mcp, '--root', extra, '-y', '--print', 'go'], { env: ws2.env });
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(r2.stdout, 'All done.\n');
  const results = ws2.requests().at(-1)!.messages.filter((m) => m.role === 'tool').map((m) => m.content).join('\n');
  assert.match(results, /Sampled with --yes\./);
  assert.ok(results.includes(pathToFileURL(extra).href), results);
});

test('--root that is not a directory: a one-line error naming it, exit non-zero', async () => {
  const ws = workspace();
  const r = await runVmlx(['chat', '--scripted-model', ws.script(['x']), '--mcp-config', ws.mcp, '--root', join(ws.root, 'nope'), '--print', 'go'], { env: ws.env });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /--root: root '.*nope' is not a directory/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
