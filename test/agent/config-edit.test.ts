// Saving an "always" answer into the MCP config: one toolPolicies entry, the rest of the file kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveToolPolicy } from '../../src/agent/mcp/config-edit.js';
import { parseMcpConfig } from '../../src/agent/mcp/config.js';
import { policyFor } from '../../src/agent/mcp/policy.js';

test('saveToolPolicy adds the entry last (so it wins over earlier patterns) and keeps the rest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmlx-config-edit-'));
  try {
    const file = join(dir, 'mcp.json');
    writeFileSync(file, JSON.stringify({ mcpServers: { fs: { command: 'npx', args: ['${HOME}'], toolPolicies: { write_file: 'ask', '*': 'ask' } }, other: { url: 'http://x' } } }), { mode: 0o600 });
    saveToolPolicy(file, 'fs', 'write_file', 'allow');
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    assert.deepEqual(Object.entries(saved.mcpServers.fs.toolPolicies), [['*', 'ask'], ['write_file', 'allow']]);
    assert.deepEqual(saved.mcpServers.fs.args, ['${HOME}'], 'variables are not expanded into the file');
    assert.deepEqual(saved.mcpServers.other, { url: 'http://x' });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(policyFor(parseMcpConfig(readFileSync(file, 'utf8'), file), 'fs', 'write_file', { highRisk: false }), 'allow');
    assert.throws(() => saveToolPolicy(file, 'nosuch', 't', 'allow'), /mcp\.json: cannot save the tool policy: mcpServers\.nosuch is not in the file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
