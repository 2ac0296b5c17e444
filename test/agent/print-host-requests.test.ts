// `vmlx chat --print` with the real server-everything asking for input and for the model: nobody can answer
// a form, so it is declined at once with the reason; sampling follows the config's policy ('allow' is
// answered by the chat's model, 'ask' is refused because nobody can be asked). The run always finishes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../src/agent/audit/index.js';
import { runVmlx } from '../helpers/vmlx-cli.js';
import { EVERYTHING_SERVER } from '../mcp/helpers.js';
import { call } from './fixtures.js';

async function printTurn(server: Record<string, unknown>, rounds: string[]) {
  const root = mkdtempSync(join(tmpdir(), 'vmlx-print-host-'));
  writeFileSync(join(root, 'mcp.json'), JSON.stringify({ mcpServers: { ev: { command: 'node', args: [EVERYTHING_SERVER], ...server } } }));
  writeFileSync(join(root, 'script.json'), JSON.stringify({ rounds, recordTo: join(root, 'requests.jsonl') }));
  const result = await runVmlx(['chat', '--scripted-model', join(root, 'script.json'), '--mcp-config', join(root, 'mcp.json'), '--print', 'go'], {
    env: { VMLX_HOME: join(root, 'home') },
  });
  const audit = AuditLog.open(join(root, 'home', 'audit.db'));
  try {
    return { ...result, rows: audit.query({ limit: 20 }) };
  } finally {
    audit.close();
  }
}

test('--print declines an elicitation at once and says why', async () => {
  const r = await printTurn({}, [call('ev__trigger-elicitation-request', {}), 'The form was declined.']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /The form was declined\./);
  assert.match(r.stderr, /MCP server 'ev' asked for input .* declined: --print cannot ask for input/);
  const row = r.rows.find((x) => x.tool === 'elicitation/create');
  assert.equal(row?.rule, 'elicitation:decline');
});

test("--print answers sampling by the chat's model when the config allows it for the server", async () => {
  const r = await printTurn({ sampling: 'allow' }, [call('ev__trigger-sampling-request', { prompt: 'a colour', maxTokens: 20 }), 'Teal.', 'It said teal.']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /It said teal\./);
  const row = r.rows.find((x) => x.tool === 'sampling/createMessage');
  assert.equal(row?.rule, 'sampling:policy-allow');
  assert.equal(row?.resultPreview, 'Teal.');
});

test('--print refuses sampling the policy would ask about, naming the way to allow it', async () => {
  const r = await printTurn({}, [call('ev__trigger-sampling-request', { prompt: 'a colour' }), 'Refused.']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /asked to use the model; refused: sampling by 'ev' needs approval and nobody can be asked/);
  const row = r.rows.find((x) => x.tool === 'sampling/createMessage');
  assert.equal(row?.rule, 'sampling:ask-noninteractive');
});
