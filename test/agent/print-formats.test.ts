// --print output formats and exit codes, from the agent core's events (no process).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatSession } from '../../src/agent/loop/chat-session.js';
import { EXIT_FAILED, EXIT_OK, EXIT_ROUND_LIMIT, EXIT_TOOL_DENIED, runPrintTurn, type OutputFormat } from '../../src/agent/loop/print-turn.js';
import { ScriptedModel, type ModelScript } from '../../src/agent/scripted-model.js';
import { FakeExecutor } from './fake-executor.js';
import { call } from './fixtures.js';

function sink() {
  let text = '';
  return { write: (t: string) => (text += t), get text() { return text; } };
}

const executor = () =>
  new FakeExecutor([
    { server: 'fs', name: 'read', handler: () => 'file text' },
    { server: 'fs', name: 'write', policy: 'ask', handler: () => 'written' },
  ]);

async function run(rounds: ModelScript['rounds'], format: OutputFormat, maxRounds?: number) {
  const session = new ChatSession({ model: new ScriptedModel({ rounds }), executor: executor(), interactive: false, ...(maxRounds ? { maxRounds } : {}) });
  const stdout = sink();
  const stderr = sink();
  const code = await runPrintTurn(session, 'go', { stdout, stderr, format });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

test('json: one object with the answer, the tool calls and the usage; a denied call exits 2', async () => {
  const r = await run([`${call('fs__read', {})}${call('fs__write', { x: 1 })}`, 'Read it; could not write.'], 'json');
  assert.equal(r.code, EXIT_TOOL_DENIED);
  assert.equal(r.stderr, '');
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  const result = JSON.parse(lines[0]!);
  assert.equal(result.status, 'tool_denied');
  assert.equal(result.exitCode, 2);
  assert.equal(result.answer, 'Read it; could not write.');
  assert.deepEqual(result.toolCalls.map((c: { name: string; status: string }) => [c.name, c.status]), [['fs__read', 'ok'], ['fs__write', 'denied']]);
  assert.equal(result.toolCalls[0].result, 'file text');
  assert.deepEqual(result.toolCalls[1].arguments, { x: 1 });
  assert.equal(result.usage.rounds, 2);
  assert.ok(result.usage.completionTokens > 0 && result.usage.promptTokens > 0);
  assert.equal(result.sessionId, null, 'no store in this test');
});

test('stream-json: a session line, every agent event as a JSON line in order, then the result', async () => {
  const r = await run([call('fs__read', {}), 'Done.'], 'stream-json');
  assert.equal(r.code, EXIT_OK);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const types = events.map((e) => e.type);
  assert.equal(types[0], 'session');
  assert.equal(types.at(-1), 'result');
  assert.equal(types.at(-2), 'turn_finished');
  for (const t of ['round_started', 'text_delta', 'tool_call_started', 'tool_result', 'usage']) assert.ok(types.includes(t), t);
  assert.ok(types.indexOf('tool_call_started') < types.indexOf('tool_result'));
  assert.equal(events.filter((e) => e.type === 'text_delta').map((e) => e.text).join(''), 'Done.');
});

test('exit codes: the round limit is 3, a failed generation 1, in every format', async () => {
  for (const format of ['text', 'json', 'stream-json'] as const) {
    const limited = await run([call('fs__read', {}), call('fs__read', {})], format, 2);
    assert.equal(limited.code, EXIT_ROUND_LIMIT, format);
    const failed = await run([{ text: 'par', error: 'boom' }], format);
    assert.equal(failed.code, EXIT_FAILED, format);
    if (format !== 'text') assert.equal(JSON.parse(failed.stdout.trim().split('\n').at(-1)!).error, 'generation failed: boom');
  }
});
