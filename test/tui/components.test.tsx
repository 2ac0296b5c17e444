// Component tests: message list, tool cards, confirmation prompt, status line.
import './interactive-ink.js';
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import React from 'react';
import { cleanup, render } from 'ink-testing-library';
import { ConfirmPrompt } from '../../src/tui/components/ConfirmPrompt.js';
import { MessageList } from '../../src/tui/components/MessageList.js';
import { StatusLine } from '../../src/tui/components/StatusLine.js';
import { ToolCard } from '../../src/tui/components/ToolCard.js';
import { ProgressBar } from '../../src/tui/components/ProgressBar.js';
import type { ConfirmAnswer } from '../../src/agent/loop/events.js';
import type { TranscriptItem } from '../../src/tui/state/transcript.js';
import { flush, keys, plain } from './helpers.js';

afterEach(() => cleanup());

type ToolItem = Extract<TranscriptItem, { kind: 'tool' }>;
const card = (over: Partial<ToolItem>): ToolItem => ({
  kind: 'tool',
  id: 't1',
  callId: 'c1',
  name: 'fs__list_directory',
  server: 'fs',
  tool: 'list_directory',
  args: { path: '/tmp/work' },
  rawArgs: '{"path":"/tmp/work"}',
  status: 'running',
  startedAt: 0,
  ...over,
});

test('message list: user text, streamed answer, collapsed and expanded reasoning, notices', () => {
  const reasoning = ['step one', 'step two', 'step three', 'step four'].join('\n');
  const items: TranscriptItem[] = [
    { kind: 'user', id: 'i1', text: 'List files in /tmp' },
    { kind: 'assistant', id: 'i2', text: 'There are 3 files.', reasoning },
    { kind: 'notice', id: 'i3', level: 'error', text: 'the model failed' },
    { kind: 'notice', id: 'i4', level: 'warn', text: 'cancelled (generation)' },
  ];
  const collapsed = plain(render(<MessageList items={items} expanded={false} />).lastFrame());
  assert.match(collapsed, /› List files in \/tmp/);
  assert.match(collapsed, /There are 3 files\./);
  assert.match(collapsed, /thinking \(2 earlier lines hidden, ctrl-o to expand\)/);
  assert.doesNotMatch(collapsed, /step one/);
  assert.match(collapsed, /step four/);
  assert.match(collapsed, /error: the model failed/);
  assert.match(collapsed, /cancelled \(generation\)/);
  const expanded = plain(render(<MessageList items={items} expanded />).lastFrame());
  assert.match(expanded, /step one[\s\S]*step four/);
  assert.doesNotMatch(expanded, /hidden/);
});

test('tool card while running: server, tool, arguments and a spinner', () => {
  const text = plain(render(<ToolCard item={card({})} expanded={false} />).lastFrame());
  assert.match(text, /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] fs · list_directory running/);
  assert.match(text, /\{"path":"\/tmp\/work"\}/);
});

test('tool card when done: duration and a preview that expands', () => {
  const result = ['[FILE] a', '[FILE] b', '[FILE] c', '[FILE] d', '[FILE] e', '[FILE] f'].join('\n');
  const done = card({ status: 'done', durationMs: 1534, result });
  const collapsed = plain(render(<ToolCard item={done} expanded={false} />).lastFrame());
  assert.match(collapsed, /✓ fs · list_directory done in 1\.5s/);
  assert.match(collapsed, /│ \[FILE\] a[\s\S]*│ \[FILE\] d/);
  assert.doesNotMatch(collapsed, /\[FILE\] e/);
  assert.match(collapsed, /… 2 more lines \(ctrl-o to expand\)/);
  const expanded = plain(render(<ToolCard item={done} expanded />).lastFrame());
  assert.match(expanded, /│ \[FILE\] f/);
  assert.match(expanded, /"path": "\/tmp\/work"/, 'arguments pretty-printed when expanded');
});

test('tool cards for denied, failed and aborted calls look different from each other and from done', () => {
  const denied = plain(
    render(<ToolCard item={card({ status: 'denied', durationMs: 0, result: 'the policy denies fs/write_file (policy:deny)', rule: 'policy:deny' })} expanded={false} />).lastFrame(),
  );
  assert.match(denied, /⊘ fs · list_directory denied in 0ms \(policy:deny\)/);
  assert.match(denied, /│ the policy denies fs\/write_file/);
  const failed = plain(render(<ToolCard item={card({ status: 'failed', durationMs: 20, result: 'server crashed' })} expanded={false} />).lastFrame());
  assert.match(failed, /✗ fs · list_directory failed in 20ms/);
  assert.match(failed, /│ server crashed/);
  const aborted = plain(render(<ToolCard item={card({ status: 'aborted', durationMs: 3, result: 'cancelled by the user' })} expanded={false} />).lastFrame());
  assert.match(aborted, /■ fs · list_directory aborted/);
  const awaiting = plain(render(<ToolCard item={card({ status: 'awaiting' })} expanded={false} />).lastFrame());
  assert.match(awaiting, /\? fs · list_directory waiting for your answer/);
});

test('confirmation prompt shows server, tool and full arguments; y, a, n, Enter and Esc answer it', async () => {
  const request = {
    callId: 'c1',
    round: 1,
    name: 'fs__write_file',
    server: 'fs',
    tool: 'write_file',
    arguments: { path: '/tmp/work/out.txt', content: 'line one\nline two' },
    reason: 'the policy asks before running fs/write_file',
  };
  const cases: Array<[string, ConfirmAnswer | null]> = [
    ['y', 'once'],
    ['Y', 'once'],
    ['a', 'always'],
    ['n', 'deny'],
    [keys.enter, 'deny'],
    [keys.escape, 'deny'],
    ['x', null],
  ];
  for (const [key, expected] of cases) {
    const answers: ConfirmAnswer[] = [];
    const r = render(<ConfirmPrompt request={request} onAnswer={(a) => answers.push(a)} />);
    const text = plain(r.lastFrame());
    assert.match(text, /Allow this tool call\?/);
    assert.match(text, /server fs/);
    assert.match(text, /tool {3}write_file/);
    assert.match(text, /"path": "\/tmp\/work\/out\.txt"/);
    assert.match(text, /"content": "line one\\nline two"/);
    assert.match(text, /\[y\] once {2}\[a\] always for this tool this session {2}\[N\] deny \(Enter\)/);
    await flush();
    r.stdin.write(key);
    await flush();
    assert.deepEqual(answers, expected ? [expected] : [], `key ${JSON.stringify(key)}`);
    r.unmount();
  }
});

test('status line: model, MCP servers connected and failed, context used, decode speed', () => {
  const servers = [
    { name: 'fs', state: 'connected' as const, transport: 'stdio' as const, toolCount: 14 },
    { name: 'mem', state: 'connected' as const, transport: 'stdio' as const, toolCount: 9 },
    { name: 'bad', state: 'failed' as const, transport: 'stdio' as const, toolCount: 0, error: 'spawn ENOENT' },
  ];
  const text = plain(
    render(<StatusLine model="qwen3-tiny" servers={servers} usage={{ contextTokens: 1234, maxContext: 8192, decodeTokensPerSecond: 42.42 }} busy={false} />).lastFrame(),
  );
  assert.match(text, /qwen3-tiny │ mcp 2 connected, 1 failed │ ctx 1234\/8192 \(15%\) │ 42\.4 tok\/s/);
  const full = plain(render(<StatusLine model="m" servers={[]} usage={{ contextTokens: 7000, maxContext: 8192, decodeTokensPerSecond: 1 }} busy={false} />).lastFrame());
  assert.match(full, /ctx 7000\/8192 \(85%, \/compact frees it\)/);
  const idle = plain(render(<StatusLine model="m" servers={[]} usage={null} busy />).lastFrame());
  assert.match(idle, /m │ mcp 0 connected │ ctx - │ - tok\/s │ esc to cancel/);
});

test('progress bar fills with the fraction', () => {
  const text = plain(render(<ProgressBar label="loading" fraction={0.5} width={10} />).lastFrame());
  assert.equal(text, 'loading █████░░░░░ 50%');
});
