// Pure pieces of the MCP client: tool names, restart backoff with a fake clock, result flattening and
// error classification, the stderr log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { assignQualifiedNames, sanitizeNamePart, splitQualifiedName, MAX_TOOL_NAME_LENGTH } from '../../src/agent/mcp/tool-names.js';
import { RestartTracker, restartDelay, DEFAULT_RESTART_POLICY } from '../../src/agent/mcp/restart.js';
import { contentToText, errorOutcome, resultOutcome, deniedOutcome } from '../../src/agent/mcp/outcome.js';
import { ServerStderrLog } from '../../src/agent/mcp/stderr-log.js';
import { ServerUnavailableError } from '../../src/agent/mcp/client.js';
import { tempDir } from './helpers.js';

test('tool names: sanitised to [a-zA-Z0-9_-] and joined with __', () => {
  assert.equal(sanitizeNamePart('read.file/v2 ü'), 'read_file_v2__');
  assert.deepEqual(assignQualifiedNames([{ server: 'fs', name: 'read_file' }, { server: 'my.srv', name: 'get-env' }]), [
    'fs__read_file',
    'my_srv__get-env',
  ]);
});

test('tool names: collisions after sanitising get numbered suffixes, first one keeps the plain name', () => {
  const names = assignQualifiedNames([
    { server: 'a', name: 'x.y' },
    { server: 'a', name: 'x/y' },
    { server: 'a', name: 'x y' },
  ]);
  assert.deepEqual(names, ['a__x_y', 'a__x_y_2', 'a__x_y_3']);
});

test('tool names: long names are cut to 64 characters and stay unique', () => {
  const long = 't'.repeat(100);
  const names = assignQualifiedNames([
    { server: 'srv', name: long },
    { server: 'srv', name: `${long}-other` },
  ]);
  assert.equal(names[0]!.length, MAX_TOOL_NAME_LENGTH);
  assert.equal(names[1]!.length, MAX_TOOL_NAME_LENGTH);
  assert.ok(names[1]!.endsWith('_2'));
  assert.notEqual(names[0], names[1]);
  assert.ok(names.every((n) => /^[a-zA-Z0-9_-]+$/.test(n)));
});

test('tool names: split at the first separator', () => {
  assert.deepEqual(splitQualifiedName('fs__read__file'), { server: 'fs', name: 'read__file' });
  assert.equal(splitQualifiedName('plain'), undefined);
  assert.equal(splitQualifiedName('__x'), undefined);
});

test('restart backoff: 0.5 s, 1 s, 2 s, ... capped, then gives up', () => {
  const policy = { ...DEFAULT_RESTART_POLICY, maxDelayMs: 3_000, maxAttempts: 4 };
  assert.deepEqual([1, 2, 3, 4, 5].map((a) => restartDelay(policy, a)), [500, 1000, 2000, 3000, 3000]);
  let now = 0;
  const tracker = new RestartTracker(policy, () => now);
  const delays = [];
  for (let i = 0; i < 4; i++) delays.push(tracker.next()?.delayMs);
  assert.deepEqual(delays, [500, 1000, 2000, 3000]);
  assert.equal(tracker.next(), undefined, 'attempts are used up');
});

test('restart backoff: a server that stayed up long enough starts a fresh series (fake clock)', () => {
  let now = 1_000;
  const tracker = new RestartTracker({ ...DEFAULT_RESTART_POLICY, stableAfterMs: 10_000 }, () => now);
  assert.equal(tracker.next()?.attempt, 1);
  tracker.markConnected();
  now += 2_000; // crashed again quickly: the series continues
  assert.equal(tracker.next()?.attempt, 2);
  tracker.markConnected();
  now += 10_000; // stable for 10 s: the next crash is attempt 1 again
  assert.deepEqual(tracker.next(), { attempt: 1, delayMs: 500 });
});

test('outcome: content flattened to text, images and links as notes, structured content as a fallback', () => {
  const text = contentToText([
    { type: 'text', text: 'hello' },
    { type: 'image', mimeType: 'image/png', data: 'AAAA' },
    { type: 'resource', resource: { uri: 'demo://x', text: 'inline' } },
    { type: 'resource_link', uri: 'demo://y', name: 'y' },
  ]);
  assert.equal(text, 'hello\n[image: image/png, 3 bytes]\ninline\n[resource link: demo://y (y)]');
  assert.equal(contentToText([], { a: 1 }), '{"a":1}');
});

test('outcome: isError results are tool errors; ok results carry their text', () => {
  const bad = resultOutcome('s', 't', { content: [{ type: 'text', text: 'nope' }], isError: true }, 5);
  assert.equal(bad.status, 'tool_error');
  assert.equal(bad.isError, true);
  assert.equal(bad.error, 'nope');
  const ok = resultOutcome('s', 't', { content: [{ type: 'text', text: 'fine' }] }, 5);
  assert.deepEqual([ok.status, ok.isError, ok.text], ['ok', false, 'fine']);
});

test('outcome: abort is told apart from timeout by the signal, closed connections and unavailable servers are errors', () => {
  const ac = new AbortController();
  ac.abort();
  const timeoutErr = new McpError(ErrorCode.RequestTimeout, 'Request timed out');
  assert.equal(errorOutcome('s', 't', timeoutErr, 1, { signal: ac.signal, timeoutMs: 10 }).status, 'aborted');
  const timedOut = errorOutcome('s', 't', timeoutErr, 1, { timeoutMs: 10 });
  assert.equal(timedOut.status, 'timeout');
  assert.match(timedOut.error!, /timed out after 10 ms/);
  const closed = errorOutcome('s', 't', new McpError(ErrorCode.ConnectionClosed, 'Connection closed'), 1, { timeoutMs: 10 });
  assert.equal(closed.status, 'error');
  assert.match(closed.error!, /closed the connection/);
  const down = errorOutcome('s', 't', new ServerUnavailableError('s', 'failed', 'boom'), 1, { timeoutMs: 10 });
  assert.match(down.error!, /not connected \(failed: boom\)/);
  const denied = deniedOutcome('s', 't', 'blocked_tool', 'tool t is blocked');
  assert.deepEqual([denied.status, denied.rule, denied.isError], ['denied', 'blocked_tool', true]);
});

test('stderr log: appends to the per-server file across restarts and keeps the last lines', async () => {
  const dir = tempDir();
  const log = new ServerStderrLog(dir, 'my server');
  const first = new PassThrough();
  log.attach(first);
  log.note('started pid 1');
  first.write('line one\nline ');
  first.write('two\n');
  first.end();
  const second = new PassThrough();
  log.attach(second);
  second.write('after restart\n');
  assert.deepEqual(log.tail(2), ['line two', 'after restart']);
  await log.close();
  const text = readFileSync(log.path, 'utf8');
  assert.ok(log.path.endsWith('mcp-my_server.log'));
  assert.match(text, /started pid 1/);
  assert.match(text, /line one\nline two\nafter restart\n/);
});
