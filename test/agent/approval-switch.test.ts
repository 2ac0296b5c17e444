// /approval-mode typed while a turn runs: the switch applies to that turn's next tool calls, not only to the next turn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatSession } from '../../src/agent/loop/chat-session.js';
import type { AgentEvent } from '../../src/agent/loop/events.js';
import { ScriptedModel } from '../../src/agent/scripted-model.js';
import { FakeExecutor } from './fake-executor.js';
import { call } from './fixtures.js';

test('a switch to yolo during a turn lets that turn\'s later calls run without asking; back to default asks again', async () => {
  const ex = new FakeExecutor([{ server: 'fs', name: 'write', policy: 'ask', handler: () => 'written' }]);
  const m = new ScriptedModel({
    rounds: [call('fs__write', { path: 'a' }), call('fs__write', { path: 'b' }), call('fs__write', { path: 'c' }), 'done'],
  });
  const session = new ChatSession({ model: m, executor: ex });
  const asked: string[] = [];
  let finished = 0;
  for await (const e of session.send('write three files') as AsyncIterable<AgentEvent>) {
    if (e.type === 'confirmation_request') {
      asked.push(String((e.request.arguments as { path: string }).path));
      e.respond('once');
    }
    if (e.type === 'tool_result') {
      finished++;
      // As the REPL does on /approval-mode: the session's mode changes while the turn is still running.
      session.approvalMode = finished === 1 ? 'yolo' : 'default';
    }
  }
  assert.deepEqual(asked, ['a', 'c'], 'a asked in default mode, b ran in yolo, c asked again after the switch back');
  assert.deepEqual(ex.calls.map((c) => (c.args as { path: string }).path), ['a', 'b', 'c']);
});
