// Approval modes (default, auto, plan, yolo) and glob toolPolicies: who decides whether a call runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideCall, SessionApprovals, type ApprovalMode } from '../../src/agent/loop/approvals.js';
import { parseMcpConfig } from '../../src/agent/mcp/config.js';
import { matchToolPolicy, policyFor } from '../../src/agent/mcp/policy.js';
import { isReadOnlyTool } from '../../src/agent/mcp/tool-hints.js';
import { FakeExecutor, type FakeTool } from './fake-executor.js';

const ok = () => 'ok';
const tools: FakeTool[] = [
  { server: 'fs', name: 'read_file', policy: 'ask', handler: ok, annotations: { readOnlyHint: true } },
  { server: 'fs', name: 'write_file', policy: 'ask', handler: ok, annotations: { readOnlyHint: false, destructiveHint: true } },
  { server: 'fs', name: 'create_directory', policy: 'ask', handler: ok, annotations: { readOnlyHint: false, destructiveHint: false } },
  { server: 'fs', name: 'list_things', policy: 'ask', handler: ok }, // no annotations: a reading verb
  { server: 'fs', name: 'touch', policy: 'allow', handler: ok }, // no annotations, no reading verb
  { server: 'sh', name: 'run_command', policy: 'ask', handler: ok, highRisk: true },
  { server: 'fs', name: 'forbidden', policy: 'deny', handler: ok, annotations: { readOnlyHint: true } },
  { server: 'fs', name: 'sandboxed', policy: 'allow', handler: ok, annotations: { readOnlyHint: true } },
];
const executor = new FakeExecutor(tools, (_s, tool) => (tool === 'sandboxed' ? { allowed: false, rule: 'path', reason: 'outside the roots' } : { allowed: true, rule: 'allowed' }));

function decide(mode: ApprovalMode, tool: string, opts: { interactive?: boolean; autoApprove?: boolean } = {}): string {
  const server = tools.find((t) => t.name === tool)!.server;
  const d = decideCall({ executor, approvals: new SessionApprovals(), autoApprove: opts.autoApprove ?? false, mode, interactive: opts.interactive ?? true }, server, tool, {});
  return d.kind === 'ask' ? 'ask' : `${d.kind}:${d.rule}`;
}

test('each approval mode decides as documented; the sandbox and a deny policy hold in every mode', () => {
  const expected: Record<string, Record<ApprovalMode, string>> = {
    read_file: { default: 'ask', auto: 'allow:mode:auto', plan: 'ask', yolo: 'allow:mode:yolo' },
    write_file: { default: 'ask', auto: 'ask', plan: 'deny:mode:plan', yolo: 'allow:mode:yolo' },
    create_directory: { default: 'ask', auto: 'allow:mode:auto', plan: 'deny:mode:plan', yolo: 'allow:mode:yolo' },
    list_things: { default: 'ask', auto: 'allow:mode:auto', plan: 'ask', yolo: 'allow:mode:yolo' },
    touch: { default: 'allow:policy:allow', auto: 'allow:policy:allow', plan: 'deny:mode:plan', yolo: 'allow:policy:allow' },
    run_command: { default: 'ask', auto: 'ask', plan: 'deny:mode:plan', yolo: 'allow:mode:yolo' },
    forbidden: { default: 'deny:policy:deny', auto: 'deny:policy:deny', plan: 'deny:policy:deny', yolo: 'deny:policy:deny' },
    sandboxed: { default: 'deny:path', auto: 'deny:path', plan: 'deny:path', yolo: 'deny:path' },
  };
  for (const [tool, byMode] of Object.entries(expected)) {
    for (const [mode, want] of Object.entries(byMode)) assert.equal(decide(mode as ApprovalMode, tool), want, `${mode} ${tool}`);
  }
  assert.equal(decide('default', 'write_file', { interactive: false }), 'deny:policy:ask-noninteractive');
  assert.equal(decide('default', 'write_file', { autoApprove: true }), 'allow:flag:yes');
  assert.equal(decide('plan', 'write_file', { autoApprove: true }), 'deny:mode:plan', '--yes does not let plan mode write');
});

test('read-only: the readOnlyHint when given, else a reading verb; a high-risk name never', () => {
  assert.equal(isReadOnlyTool({ name: 'write_notes', annotations: { readOnlyHint: true }, highRisk: false }), true);
  assert.equal(isReadOnlyTool({ name: 'read_file', annotations: { readOnlyHint: false }, highRisk: false }), false);
  assert.equal(isReadOnlyTool({ name: 'getWeather', highRisk: false }), true);
  assert.equal(isReadOnlyTool({ name: 'readiness_reset', highRisk: false }), false);
  assert.equal(isReadOnlyTool({ name: 'list_exec', annotations: { readOnlyHint: true }, highRisk: true }), false);
});

test('toolPolicies keys are globs: the last match wins, a deny wins over any allow', () => {
  const policies = { '*': 'ask', 'read_*': 'allow', 'fs__read_secret*': 'deny', 'read_secret_ok': 'allow', 'write_?ile': 'deny' } as const;
  assert.equal(matchToolPolicy(policies, 'fs', 'read_file'), 'allow');
  assert.equal(matchToolPolicy(policies, 'fs', 'read_secret_ok'), 'deny', 'a deny anywhere among the matches wins');
  assert.equal(matchToolPolicy(policies, 'fs', 'move_file'), 'ask');
  assert.equal(matchToolPolicy(policies, 'fs', 'write_file'), 'deny');
  assert.equal(matchToolPolicy({ 'a.b': 'allow' }, 'fs', 'aXb'), undefined, 'a dot is literal');
  assert.equal(matchToolPolicy({}, 'fs', 'x'), undefined);

  const config = parseMcpConfig(JSON.stringify({ mcpServers: { fs: { command: 'npx', policy: 'deny', toolPolicies: { 'filesystem__read_*': 'allow', 'list_*': 'allow' } } } }), 'mcp.json');
  assert.equal(policyFor(config, 'fs', 'list_directory', { highRisk: false }), 'allow');
  assert.equal(policyFor(config, 'fs', 'write_file', { highRisk: false }), 'deny', 'no key matches: the server policy');
});
