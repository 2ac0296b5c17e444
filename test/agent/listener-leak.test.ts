// Abort listeners must not pile up: many tool calls (in one round, or over many rounds) in one turn leave no
// listener behind, so Node never warns MaxListenersExceededWarning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryAuditLog } from '../../src/agent/audit/index.js';
import { runTurn, type Conversation } from '../../src/agent/loop/run-turn.js';
import { McpConfigSchema } from '../../src/agent/mcp/config.js';
import { McpManager } from '../../src/agent/mcp/manager.js';
import { ScriptedModel } from '../../src/agent/scripted-model.js';
import { FakeExecutor } from './fake-executor.js';
import { call, FS_SERVER } from './fixtures.js';

const CALLS = 14;

/** Runs `body` and returns the MaxListenersExceededWarning messages Node emitted meanwhile. */
async function listenerWarnings(body: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const onWarning = (w: Error) => {
    if (w.name === 'MaxListenersExceededWarning') seen.push(w.message);
  };
  process.on('warning', onWarning);
  try {
    await body();
    // Warnings are delivered on a later tick.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}

async function drain(conv: Conversation, opts: Parameters<typeof runTurn>[1]): Promise<string | undefined> {
  let reason: string | undefined;
  for await (const e of runTurn(conv, opts)) if (e.type === 'turn_finished') reason = e.reason;
  return reason;
}

test(`${CALLS} rounds of tool calls in one turn add no abort listener per round`, async () => {
  const rounds = [...Array.from({ length: CALLS }, (_, i) => call('fs__read', { path: `f${i}.txt` })), 'done'];
  const model = new ScriptedModel({ rounds });
  const executor = new FakeExecutor([{ server: 'fs', name: 'read', handler: (a) => `read ${String(a.path)}` }]);
  const outer = new AbortController();
  const warnings = await listenerWarnings(async () => {
    const reason = await drain({ messages: [{ role: 'user', content: 'go' }] }, { model, executor, autoApprove: true, maxRounds: CALLS + 1, signal: outer.signal });
    assert.equal(reason, 'answered');
  });
  assert.equal(executor.calls.length, CALLS);
  assert.deepEqual(warnings, []);
  assert.equal(getEventListeners(outer.signal, 'abort').length, 0, 'the caller signal is left as it was given');
});

test(`${CALLS} calls to a real MCP server with one signal leave no listener on it, in one round or one by one`, async () => {
  const root = mkdtempSync(join(tmpdir(), 'vmlx-leak-'));
  const dir = join(root, 'files');
  mkdirSync(dir);
  writeFileSync(join(dir, 'a.txt'), 'a\n');
  const config = McpConfigSchema.parse({ mcpServers: { fs: { command: 'node', args: [FS_SERVER, dir] } } });
  const manager = await McpManager.start({ config, audit: new MemoryAuditLog(), logDir: join(root, 'logs'), origin: 'chat' });
  try {
    assert.equal(manager.statuses()[0]?.state, 'connected');
    const signal = new AbortController().signal;
    const warnings = await listenerWarnings(async () => {
      for (let i = 0; i < CALLS; i++) {
        const out = await manager.callTool('fs', 'list_directory', { path: dir }, { origin: 'chat', signal });
        assert.equal(out.status, 'ok');
      }
      const parallel = await Promise.all(
        Array.from({ length: CALLS }, () => manager.callTool('fs', 'list_directory', { path: dir }, { origin: 'chat', signal })),
      );
      assert.ok(parallel.every((o) => o.status === 'ok'));
    });
    assert.deepEqual(warnings, []);
    assert.equal(getEventListeners(signal, 'abort').length, 0);

    // The whole loop: one round with CALLS calls against the real server.
    const model = new ScriptedModel({ rounds: [Array.from({ length: CALLS }, () => call('fs__list_directory', { path: dir })).join('\n'), 'listed'] });
    const loopWarnings = await listenerWarnings(async () => {
      const reason = await drain({ messages: [{ role: 'user', content: 'list' }] }, { model, executor: manager, autoApprove: true });
      assert.equal(reason, 'answered');
    });
    assert.deepEqual(loopWarnings, []);
    assert.equal(model.requests[1]?.messages.filter((m) => m.role === 'tool').length, CALLS);
  } finally {
    await manager.close();
    rmSync(root, { recursive: true, force: true });
  }
});
