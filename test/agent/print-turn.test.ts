// Non-interactive turns (--print): what goes to stdout and stderr, and the exit code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatSession } from '../../src/agent/loop/chat-session.js';
import { runPrintTurn } from '../../src/agent/loop/print-turn.js';
import { ScriptedModel, type ModelScript } from '../../src/agent/scripted-model.js';
import { FakeExecutor } from './fake-executor.js';

function sink() {
  let text = '';
  return { write: (t: string) => (text += t), get text() { return text; } };
}

function session(rounds: ModelScript['rounds'], maxTokens?: number) {
  const model = new ScriptedModel({ rounds });
  return new ChatSession({ model, executor: new FakeExecutor([]), interactive: false, ...(maxTokens ? { generation: { maxTokens } } : {}) });
}

test('--print: a reply cut by --max-tokens says so on stderr', async () => {
  const stdout = sink();
  const stderr = sink();
  const code = await runPrintTurn(session(['a fairly long answer that goes on and on and on'], 3), 'go', { stdout, stderr });
  assert.equal(code, 0);
  assert.match(stderr.text, /\[reply cut off: it reached the limit of 3 generated tokens \(--max-tokens\)\]/);
  assert.equal(stdout.text, 'a fairly lon\n', 'three 4-character tokens');
});
