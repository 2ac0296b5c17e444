// The prompts for MCP server requests as Ink draws them: a long message and URL wrap instead of being cut, a
// form answers decline (ctrl-d) and cancel (esc), a sampling approval answers once, always or deny.
import './interactive-ink.js';
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import React from 'react';
import { cleanup, render } from 'ink-testing-library';
import { formFields, type ElicitationAnswer } from '../../src/agent/mcp/elicitation.js';
import { HostRequestPrompt } from '../../src/tui/components/HostRequestPrompt.js';
import type { HostRequest, SamplingVerdict } from '../../src/tui/state/host-requests.js';
import { flush, keys, waitForFrame } from './helpers.js';

afterEach(() => cleanup());

const fields = formFields({ type: 'object', properties: { name: { type: 'string', title: 'Name' } }, required: ['name'] });

function formRequest(answers: ElicitationAnswer[], message: string): HostRequest {
  return { id: 1, kind: 'elicitation', request: { mode: 'form', server: 'ev', message, fields }, respond: (a) => answers.push(a) };
}

test('a long message wraps in the form; ctrl-d declines, esc cancels, each answered once', async () => {
  const answers: ElicitationAnswer[] = [];
  const message = `Please tell us ${'a great deal about yourself '.repeat(4)}END`;
  const r = render(<HostRequestPrompt request={formRequest(answers, message)} onNotice={() => {}} width={60} />);
  const frame = await waitForFrame(r, (t) => t.includes('END'), 'the whole message');
  assert.match(frame, /asks for input/);
  await flush();
  r.stdin.write('\u0004');
  await flush();
  r.stdin.write(keys.escape);
  await flush();
  assert.deepEqual(answers, [{ action: 'decline', reason: 'the user declined' }]);
  cleanup();
  const again: ElicitationAnswer[] = [];
  const r2 = render(<HostRequestPrompt request={formRequest(again, 'm')} onNotice={() => {}} width={60} />);
  await waitForFrame(r2, (t) => t.includes('asks for input'), 'the form');
  await flush();
  r2.stdin.write(keys.escape);
  await flush(10);
  assert.deepEqual(again, [{ action: 'cancel', reason: 'the user cancelled' }]);
});

test('a URL prompt shows the whole URL; Enter declines without opening anything', async () => {
  const answers: ElicitationAnswer[] = [];
  const url = `https://example.com/${'segment/'.repeat(12)}end`;
  const request: HostRequest = { id: 2, kind: 'elicitation', request: { mode: 'url', server: 'ev', message: 'Open it', url, elicitationId: 'e1' }, respond: (a) => answers.push(a) };
  const r = render(<HostRequestPrompt request={request} onNotice={() => {}} width={50} />);
  const frame = await waitForFrame(r, (t) => t.includes('asks you to open a URL'), 'the URL prompt');
  assert.equal(frame.replace(/[│\s]/g, '').includes(url), true, frame);
  await flush();
  r.stdin.write(keys.enter);
  await flush(10);
  assert.deepEqual(answers, [{ action: 'decline', reason: 'the user declined to open the URL' }]);
});

test('a sampling approval: a answers always, the summary names size, system prompt and tools', async () => {
  const verdicts: Array<[SamplingVerdict, boolean | undefined]> = [];
  const request: HostRequest = {
    id: 3,
    kind: 'sampling',
    request: {
      server: 'ev',
      params: {
        messages: [{ role: 'user', content: { type: 'text', text: 'summarise the issue' } }],
        maxTokens: 300,
        systemPrompt: 'You are terse.',
        tools: [{ name: 'search', inputSchema: { type: 'object' } }],
        modelPreferences: { hints: [{ name: 'claude-sonnet' }] },
      },
    },
    tokenLimit: 128,
    respond: (v, always) => verdicts.push([v, always]),
  };
  const r = render(<HostRequestPrompt request={request} onNotice={() => {}} width={100} />);
  const frame = await waitForFrame(r, (t) => t.includes('wants to use the model'), 'the approval');
  assert.match(frame, /1 message, up to 300 tokens \(vmlx caps it at 128\)/);
  assert.match(frame, /system: You are terse\./);
  assert.match(frame, /user: summarise the issue/);
  assert.match(frame, /tools offered: search/);
  assert.match(frame, /model hints: claude-sonnet \(answered by the loaded model\)/);
  await flush();
  r.stdin.write('a');
  await flush(10);
  assert.deepEqual(verdicts, [[{ approved: true }, true]]);
});
