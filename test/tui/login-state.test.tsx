// The status line and the server list say which remote servers need `vmlx mcp login NAME`.
import './interactive-ink.js';
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import React from 'react';
import { cleanup, render } from 'ink-testing-library';
import { loginSummary, serversNeedingLogin } from '../../src/agent/mcp/login-state.js';
import type { ServerStatus } from '../../src/agent/mcp/types.js';
import { ServerList } from '../../src/tui/components/ServerList.js';
import { StatusLine } from '../../src/tui/components/StatusLine.js';
import { plain } from './helpers.js';

afterEach(() => cleanup());

const error = "initialize: HTTP 401: 'gh' needs a login: run `vmlx mcp login gh`";
const servers: ServerStatus[] = [
  { name: 'fs', state: 'connected', transport: 'stdio', toolCount: 3 },
  { name: 'gh', state: 'failed', transport: 'http', toolCount: 0, error, needsLogin: true },
  { name: 'bad', state: 'failed', transport: 'stdio', toolCount: 0, error: 'spawn ENOENT' },
];

test('the status line names the server that needs a login and the command, apart from real failures', () => {
  const text = plain(render(<StatusLine model="m" servers={servers} usage={null} busy={false} />).lastFrame());
  assert.match(text, /mcp 1 connected, 1 failed, gh needs a login \(vmlx mcp login gh\)/);
  const none = plain(render(<StatusLine model="m" servers={servers.slice(0, 1)} usage={null} busy={false} />).lastFrame());
  assert.doesNotMatch(none, /login/);
});

test('the server list shows a login line instead of the 401 error', () => {
  const text = plain(render(<ServerList servers={servers} />).lastFrame());
  assert.match(text, /\? gh needs a login: run vmlx mcp login gh/);
  assert.match(text, /✗ bad failed: spawn ENOENT/);
  assert.doesNotMatch(text, /HTTP 401/);
});

test('two servers needing a login are counted, each with its command', () => {
  const two = [...servers, { name: 'linear', state: 'failed' as const, transport: 'http' as const, toolCount: 0, needsLogin: true }];
  assert.deepEqual(serversNeedingLogin(two), ['gh', 'linear']);
  assert.equal(loginSummary(two), '2 need a login (vmlx mcp login gh, vmlx mcp login linear)');
});
