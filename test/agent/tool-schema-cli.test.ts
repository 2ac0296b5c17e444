// --tool-schema-share on the real CLI: the default defers the 200 schemas of the many-tools server (about 31k tokens) in a 64k
// context, 1 never defers, and a bad value is a one-line error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runVmlx } from '../helpers/vmlx-cli.js';

const MANY_TOOLS = fileURLToPath(new URL('../mcp/fixtures/many-tools-server.js', import.meta.url));

async function printTurn(extra: string[]): Promise<{ code: number | null; stderr: string; toolNames: string[] }> {
  const root = mkdtempSync(join(tmpdir(), 'vmlx-share-'));
  try {
    writeFileSync(join(root, 'mcp.json'), JSON.stringify({ mcpServers: { many: { command: 'node', args: [MANY_TOOLS] } } }));
    writeFileSync(join(root, 'script.json'), JSON.stringify({ contextLength: 65536, recordTo: 'requests.jsonl', rounds: ['fine'] }));
    const r = await runVmlx(['chat', '--scripted-model', join(root, 'script.json'), '--mcp-config', join(root, 'mcp.json'), '-p', 'hi', ...extra], {
      env: { VMLX_HOME: join(root, 'home') },
    });
    let toolNames: string[] = [];
    try {
      toolNames = (JSON.parse(readFileSync(join(root, 'requests.jsonl'), 'utf8').split('\n')[0]!) as { toolNames: string[] }).toolNames;
    } catch {
      // no request was made (the command failed first)
    }
    return { code: r.code, stderr: r.stderr, toolNames };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('chat --print: the default defers 200 schemas (about 31k tokens) in a 64k context; --tool-schema-share 1 shows all of them', async () => {
  const deferred = await printTurn([]);
  assert.equal(deferred.code, 0, deferred.stderr);
  assert.deepEqual(deferred.toolNames, ['search_tools', 'call_tool']);
  const all = await printTurn(['--tool-schema-share', '1']);
  assert.equal(all.code, 0, all.stderr);
  assert.equal(all.toolNames.length, 200);
});

test('chat --tool-schema-share with a bad value: one line naming the option, exit non-zero', async () => {
  const r = await printTurn(['--tool-schema-share', '1.5']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /--tool-schema-share must be a number above 0 and at most 1/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
