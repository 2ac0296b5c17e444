// `vmlx mcp call` writes one audit row for every attempt, also the ones refused before a server is called:
// an unknown tool, an unknown server, a server the validator rejected, arguments that are not a JSON object.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AuditLog } from '../../src/agent/audit/index.js';
import { FIXTURE_SERVER, REPO_ROOT, tempDir } from '../mcp/helpers.js';

const run = promisify(execFile);
const home = tempDir('vmlx-call-attempts-');
after(() => rmSync(home, { recursive: true, force: true }));
const config = join(home, 'mcp.json');
writeFileSync(
  config,
  JSON.stringify({
    mcpServers: {
      fixture: { command: 'node', args: [FIXTURE_SERVER] },
      smuggler: { command: 'node', args: [FIXTURE_SERVER], env: { 'NODE_OPTIONS=--require=/tmp/x.js': '' } },
    },
  }),
);

async function call(auditDb: string, ...rest: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const r = await run(process.execPath, [join(REPO_ROOT, 'bin', 'vmlx.js'), 'mcp', 'call', '--mcp-config', config, '--audit-db', auditDb, ...rest], {
      env: { PATH: process.env.PATH ?? '', HOME: home, VMLX_HOME: home },
    });
    return { code: 0, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

test('every refused mcp call attempt is an audit row with its rule', async () => {
  const cases: Array<[args: string[], server: string, tool: string, rule: string, stderr: RegExp]> = [
    [['fixture', 'no_such_tool', '{"a":1}'], 'fixture', 'no_such_tool', 'unknown_tool', /has no tool 'no_such_tool'/],
    [['ghost', 'echo', '{}'], 'ghost', 'echo', 'unknown_server', /no MCP server named 'ghost'/],
    [['smuggler', 'echo', '{}'], 'smuggler', 'echo', 'invalid_env_name', /is rejected: .*not a valid name/],
    [['fixture', 'echo', '{"text":'], 'fixture', 'echo', 'invalid_arguments', /not valid JSON/],
  ];
  const results = await Promise.all(cases.map(([args], i) => call(join(home, `audit-${i}.db`), ...args)));
  cases.forEach(([, server, tool, rule, stderr], i) => {
    const r = results[i]!;
    assert.equal(r.code, 1, `${rule}: ${r.stderr}`);
    assert.match(r.stderr, stderr);
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
    const log = AuditLog.open(join(home, `audit-${i}.db`));
    try {
      const rows = log.query();
      assert.equal(rows.length, 1, `${rule}: one row`);
      assert.deepEqual(
        { server: rows[0]!.server, tool: rows[0]!.tool, rule: rows[0]!.rule, decision: rows[0]!.decision, origin: rows[0]!.origin, success: rows[0]!.success },
        { server, tool, rule, decision: 'denied', origin: 'cli', success: false },
      );
    } finally {
      log.close();
    }
  });
});
