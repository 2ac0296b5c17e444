// /sessions, /resume and /approval-mode in the REPL (over a real session store in memory), and the transcript's
// view of auto-compaction.
import './interactive-ink.js';
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import React from 'react';
import { cleanup, render } from 'ink-testing-library';
import { ChatSession } from '../../src/agent/loop/chat-session.js';
import { ScriptedModel } from '../../src/agent/scripted-model.js';
import { sessionBrowser } from '../../src/agent/sessions/browser.js';
import { StoreRecorder } from '../../src/agent/sessions/recorder.js';
import { SessionStore } from '../../src/agent/sessions/store.js';
import type { ReplBackend } from '../../src/tui/backend.js';
import { Repl } from '../../src/tui/Repl.js';
import { initialTranscript, transcriptReducer } from '../../src/tui/state/transcript.js';
import { FakeExecutor } from '../agent/fake-executor.js';
import { flush, keys, waitForFrame } from './helpers.js';

afterEach(() => cleanup());

async function typeLine(r: ReturnType<typeof render>, text: string): Promise<void> {
  await flush();
  r.stdin.write(text);
  await flush();
  r.stdin.write(keys.enter);
  await flush();
}

test('/sessions lists, /resume ID shows and continues a stored conversation, /approval-mode switches the mode', async () => {
  const store = SessionStore.open(':memory:');
  store.save('0123abcd-old', { model: 'tiny', cwd: '/w' }, [
    { role: 'user', content: 'what is the code word?' },
    { role: 'assistant', content: 'It is ALPHA.' },
  ], 0);
  const model = new ScriptedModel({ rounds: ['Still ALPHA.'], contextLength: 4096 });
  const executor = new FakeExecutor([]);
  const recorder = new StoreRecorder(store, { model: 'tiny', cwd: '/w' });
  const session = new ChatSession({ model, executor, recorder });
  const backend: ReplBackend = {
    session,
    modelName: 'tiny',
    modelInfo: model.info,
    statuses: () => [],
    tools: () => [],
    onChange: () => () => undefined,
    recentAudit: () => [],
    notices: [],
    onNotice: () => () => undefined,
    sessions: sessionBrowser(store),
  };
  const r = render(<Repl backend={backend} onExit={() => undefined} />);
  try {
    await typeLine(r, '/sessions');
    await waitForFrame(r, (f) => /recent sessions[\s\S]*0123abcd .* 2 msgs {2}tiny {2}what is the code word\?/.test(f), 'the session list');
    await typeLine(r, '/resume 9999');
    await waitForFrame(r, (f) => f.includes("/resume: no session '9999'"), 'the unknown-id error');
    await typeLine(r, '/resume 0123');
    const resumed = await waitForFrame(r, (f) => f.includes('resumed session 0123abcd (2 messages): what is the code word?'), 'the resumed notice');
    assert.match(resumed, /› what is the code word\?[\s\S]*It is ALPHA\./);
    await typeLine(r, 'still?');
    await waitForFrame(r, (f) => f.includes('Still ALPHA.'), 'the answer after resuming');
    assert.deepEqual(model.requests[0]!.messages.map((m) => m.content), ['what is the code word?', 'It is ALPHA.', 'still?']);
    assert.equal(store.messages('0123abcd-old').length, 4, 'the resumed session is extended in the store');

    await typeLine(r, '/approval-mode plan');
    await waitForFrame(r, (f) => f.includes('approval mode: plan'), 'the switch to plan');
    assert.equal(session.approvalMode, 'plan');
    await typeLine(r, '/approval-mode sideways');
    await waitForFrame(r, (f) => f.includes("/approval-mode: 'sideways' is not one of default, auto, plan, yolo"), 'the bad-mode error');
    assert.equal(session.approvalMode, 'plan');
    await typeLine(r, '/approval-mode');
    await waitForFrame(r, (f) => f.includes('approval mode: plan (one of default, auto, plan, yolo)'), 'the current mode');
  } finally {
    r.unmount();
    store.close();
  }
});

test('auto-compaction events become notices in the transcript, and the context use drops', () => {
  let state = transcriptReducer(initialTranscript, { type: 'user_submitted', text: 'q' });
  state = transcriptReducer(state, {
    type: 'agent',
    now: 0,
    event: { type: 'usage', round: 1, usage: { promptTokens: 900, reusedPromptTokens: 0, completionTokens: 10, prefillMs: 1, decodeMs: 1, prefillTokensPerSecond: 1, decodeTokensPerSecond: 1 }, finishReason: 'stop', contextTokens: 910, maxContext: 1000 },
  });
  state = transcriptReducer(state, { type: 'agent', now: 0, event: { type: 'compaction_started', contextTokens: 950, maxContext: 1000, thresholdPercent: 85 } });
  state = transcriptReducer(state, { type: 'agent', now: 0, event: { type: 'compaction_finished', replaced: 6, tokensBefore: 900, tokensAfter: 200 } });
  state = transcriptReducer(state, { type: 'agent', now: 0, event: { type: 'compaction_failed', error: 'compaction cancelled', cancelled: true } });
  const notices = state.items.filter((i) => i.kind === 'notice').map((i) => (i.kind === 'notice' ? i.text : ''));
  assert.deepEqual(notices, [
    'auto-compacting: the context would reach 950 of 1000 tokens (threshold 85%); the model is summarising the earlier turns…',
    'compacted: 6 messages replaced by a summary (900 → 200 tokens of conversation)',
    'auto-compaction did not happen: compaction cancelled; the conversation is unchanged',
  ]);
  assert.equal(state.usage?.contextTokens, 200);
});
