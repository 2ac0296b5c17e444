// The agent loop against a real MCP server (server-filesystem on a temporary directory) with the scripted model:
// every path checks what the model was sent back and the audit rows written to a real SQLite audit log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, type AuditRow } from '../../src/agent/audit/index.js';
import type { AgentEvent } from '../../src/agent/loop/events.js';
import { runTurn, type Conversation, type TurnOptions } from '../../src/agent/loop/run-turn.js';
import { McpManager } from '../../src/agent/mcp/manager.js';
import { McpConfigSchema } from '../../src/agent/mcp/config.js';
import { ScriptedModel } from '../../src/agent/scripted-model.js';
import { call, FS_SERVER } from './fixtures.js';

interface Fixture {
  dir: string;
  manager: McpManager;
  audit: AuditLog;
  rows: () => AuditRow[];
  done: () => Promise<void>;
}

async function startFilesystem(toolPolicies: Record<string, 'allow' | 'ask' | 'deny'> = {}): Promise<Fixture> {
  const root = mkdtempSync(join(tmpdir(), 'vmlx-agent-'));
  const dir = join(root, 'files');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir);
  writeFileSync(join(dir, 'hello.txt'), 'hello world\n');
  writeFileSync(join(dir, 'notes.md'), '# notes\n');
  const config = McpConfigSchema.parse({ mcpServers: { fs: { command: 'node', args: [FS_SERVER, dir], toolPolicies } } });
  const audit = AuditLog.open(join(root, 'audit.db'));
  const manager = await McpManager.start({ config, audit, logDir: join(root, 'logs'), sessionId: 'test-session', origin: 'chat' });
  const status = manager.statuses()[0];
  assert.equal(status.state, 'connected', `server-filesystem did not connect: ${status.error ?? ''}`);
  return {
    dir,
    manager,
    audit,
    rows: () => audit.query({ limit: 100 }),
    done: async () => {
      await manager.close();
      audit.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

async function turn(fx: Fixture, model: ScriptedModel, prompt: string, extra: Partial<TurnOptions> = {}, onEvent?: (e: AgentEvent) => void) {
  const conv: Conversation = { messages: [{ role: 'user', content: prompt }] };
  const events: AgentEvent[] = [];
  for await (const e of runTurn(conv, { model, executor: fx.manager, sessionId: 'test-session', ...extra })) {
    events.push(e);
    onEvent?.(e);
    if (e.type === 'confirmation_request') e.respond('once');
  }
  return { conv, events };
}

/** The tool messages the model received in its second request. */
function toolMessagesSent(model: ScriptedModel): string[] {
  return model.requests[1].messages.filter((m) => m.role === 'tool').map((m) => String(m.content));
}

test('list: the directory listing goes back to the model and the call is audited', async () => {
  const fx = await startFilesystem();
  try {
    const model = new ScriptedModel({ rounds: [call('fs__list_directory', { path: fx.dir }), 'There are two files.'] });
    const { events } = await turn(fx, model, 'What files are there?');
    assert.ok(model.requests[0].toolNames.includes('fs__list_directory'));
    assert.match(model.requests[0].prompt, /"name": ?"fs__read_text_file"/);
    const [sent] = toolMessagesSent(model);
    assert.match(sent, /^\[tool output of fs__list_directory\]\n/);
    assert.match(sent, /\[FILE\] hello\.txt/);
    assert.match(sent, /\[FILE\] notes\.md/);
    assert.deepEqual(events.at(-1), { type: 'turn_finished', reason: 'answered', rounds: 2, answer: 'There are two files.' });
    const rows = fx.rows();
    assert.equal(rows.length, 1);
    assert.equal(rows[0].server, 'fs');
    assert.equal(rows[0].tool, 'list_directory');
    assert.equal(rows[0].decision, 'allowed');
    assert.equal(rows[0].success, true);
    assert.equal(rows[0].origin, 'chat');
    assert.equal(rows[0].session, 'test-session');
    assert.deepEqual(rows[0].arguments, { path: fx.dir });
  } finally {
    await fx.done();
  }
});

test('read: the file content goes back to the model; an approved write runs', async () => {
  const fx = await startFilesystem({ write_file: 'ask' });
  try {
    const target = join(fx.dir, 'out.txt');
    const model = new ScriptedModel({
      rounds: [
        call('fs__read_text_file', { path: join(fx.dir, 'hello.txt') }) + call('fs__write_file', { path: target, content: 'copied' }),
        'Read it and wrote a copy.',
      ],
    });
    const asked: string[] = [];
    await turn(fx, model, 'read and copy', {}, (e) => {
      if (e.type === 'confirmation_request') asked.push(e.request.tool);
    });
    assert.deepEqual(asked, ['write_file']);
    const [read, write] = toolMessagesSent(model);
    assert.equal(read, '[tool output of fs__read_text_file]\nhello world\n');
    assert.match(write, /^\[tool output of fs__write_file\]\nSuccessfully wrote to /);
    assert.ok(existsSync(target));
    const rows = fx.rows();
    assert.deepEqual(
      rows.map((r) => [r.tool, r.decision, r.success]),
      [
        ['read_text_file', 'allowed', true],
        ['write_file', 'allowed', true],
      ],
    );
  } finally {
    await fx.done();
  }
});

test('write denied by policy: nothing is written, the model is told, the denial is audited', async () => {
  const fx = await startFilesystem({ write_file: 'deny' });
  try {
    const target = join(fx.dir, 'evil.txt');
    const model = new ScriptedModel({ rounds: [call('fs__write_file', { path: target, content: 'x' }), 'I was not allowed to write.'] });
    const { events } = await turn(fx, model, 'write a file', { autoApprove: true });
    const err = events.find((e) => e.type === 'tool_error');
    assert.ok(err && err.type === 'tool_error' && err.status === 'denied');
    assert.equal(existsSync(target), false);
    const [sent] = toolMessagesSent(model);
    assert.match(sent, /^\[tool call denied: fs__write_file was not run\] the policy denies fs\/write_file/);
    const rows = fx.rows();
    assert.equal(rows.length, 1);
    assert.deepEqual([rows[0].tool, rows[0].decision, rows[0].rule, rows[0].success], ['write_file', 'denied', 'policy:deny', false]);
  } finally {
    await fx.done();
  }
});

test('path traversal is blocked by the sandbox before the server sees it', async () => {
  const fx = await startFilesystem();
  try {
    const model = new ScriptedModel({
      rounds: [call('fs__read_text_file', { path: `${fx.dir}/../../../../etc/passwd` }), 'That path is not allowed.'],
    });
    const { events } = await turn(fx, model, 'read /etc/passwd');
    const err = events.find((e) => e.type === 'tool_error');
    assert.ok(err && err.type === 'tool_error' && err.status === 'denied');
    const [sent] = toolMessagesSent(model);
    assert.match(sent, /^\[tool call denied: fs__read_text_file was not run\]/);
    assert.doesNotMatch(sent, /root:/);
    const rows = fx.rows();
    assert.equal(rows.length, 1);
    assert.equal(rows[0].decision, 'denied');
    assert.match(rows[0].rule, /traversal/);
    assert.equal(rows[0].success, false);
  } finally {
    await fx.done();
  }
});

test('a server crash mid-call becomes a tool error the model sees; nothing is left running', async () => {
  const fx = await startFilesystem();
  const pids: number[] = [];
  try {
    const pid = fx.manager.pidOf('fs');
    assert.ok(pid, 'the server has a pid');
    pids.push(pid);
    // Freeze the server so the call is certainly in flight, then kill it.
    process.kill(pid, 'SIGSTOP');
    const model = new ScriptedModel({ rounds: [call('fs__list_directory', { path: fx.dir }), 'The server crashed.'] });
    const { events } = await turn(fx, model, 'list', {}, (e) => {
      if (e.type === 'tool_call_started') setImmediate(() => process.kill(pid, 'SIGKILL'));
    });
    const err = events.find((e) => e.type === 'tool_error');
    assert.ok(err && err.type === 'tool_error', `expected a tool error, got ${JSON.stringify(events.map((e) => e.type))}`);
    assert.equal(err.status, 'error');
    const [sent] = toolMessagesSent(model);
    assert.match(sent, /^\[tool error from fs__list_directory\]/);
    assert.deepEqual(events.at(-1), { type: 'turn_finished', reason: 'answered', rounds: 2, answer: 'The server crashed.' });
    const rows = fx.rows();
    assert.equal(rows.length, 1);
    assert.deepEqual([rows[0].tool, rows[0].decision, rows[0].success], ['list_directory', 'allowed', false]);
    assert.ok(rows[0].error && rows[0].error.length > 0);
    const restarted = fx.manager.pidOf('fs');
    if (restarted) pids.push(restarted);
  } finally {
    await fx.done();
  }
  for (const pid of pids) {
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    assert.equal(alive, false, `server process ${pid} still running after close`);
  }
});
