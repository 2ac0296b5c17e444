// `vmlx serve` as a user runs it: starts, answers, warns about a non-loopback bind without a key,
// rejects bad arguments in one line, and exits 0 on SIGTERM/SIGINT while a stream is in flight.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTestModel } from '../helpers/test-models.js';
import { REPO_ROOT } from './harness.js';

const VMLX = join(REPO_ROOT, 'bin', 'vmlx.js');

function startServe(args: string[]): { child: ReturnType<typeof spawn>; url: Promise<string>; stderr: () => string } {
  const home = mkdtempSync(join(tmpdir(), 'vmlx-serve-home-'));
  const child = spawn(process.execPath, [VMLX, 'serve', ...args], { env: { ...process.env, VMLX_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      err += d;
      const m = /on (http:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`vmlx serve exited (${code}) before listening:\n${err}`)));
  });
  return { child, url, stderr: () => err };
}

function exitCode(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.on('exit', (code) => resolve(code));
  });
}

test('vmlx serve: bad arguments give one line and a non-zero exit', () => {
  const cases: Array<[string[], RegExp]> = [
    [['serve', '/no/such/model'], /no\/such\/model/],
    [['serve', '.', '--port', 'abc'], /--port/],
    [['serve', '.', '--api-key-file', '/no/such/keyfile'], /--api-key-file \/no\/such\/keyfile: cannot read it \(ENOENT\)/],
    [['serve', '.', '--api-key', 'k', '--api-key-file', '/etc/hostname'], /--api-key and --api-key-file/],
    [['serve', '.', '--allowed-origins', 'evil.example'], /--allowed-origins: 'evil\.example' is not an origin/],
    [['serve', '.', '--allowed-origins', 'http://a.example/path'], /--allowed-origins/],
    [['serve', '.', '--allowed-hosts', 'http://vmlx.lan'], /--allowed-hosts: 'http:\/\/vmlx\.lan' is not a host/],
    [['serve', '.', '--max-connections', '0'], /--max-connections/],
    [['serve', '.', '--max-num-seqs', '0'], /--max-num-seqs/],
    [['serve', '.', '--max-num-batched-tokens', '300'], /--max-num-batched-tokens/],
    [['serve', '.', '--no-continuous-batching', '--max-num-seqs', '4'], /--no-continuous-batching runs one request at a time; it contradicts --max-num-seqs 4/],
    [['serve', 'm', '--upstream', 'http://127.0.0.1:9/v1', '--max-num-seqs', '4'], /--max-num-seqs has no effect with --upstream/],
    [['serve', '.', '--kv-cache-memory', 'lots'], /--kv-cache-memory: 'lots' is not a size \(use bytes or a suffix: 512M, 2G\)/],
    [['serve', 'm', '--upstream', 'http://127.0.0.1:9/v1', '--kv-cache-memory', '1G'], /--kv-cache-memory has no effect with --upstream/],
    [['chat', '--endpoint', 'http://127.0.0.1:9/v1', '--model', 'm', '--kv-cache-memory', '1G', '-p', 'hi'], /chat: --kv-cache-memory applies to local weights, not --endpoint/],
  ];
  for (const [args, pattern] of cases) {
    const r = spawnSync(process.execPath, [VMLX, ...args], { encoding: 'utf8', env: { ...process.env, VMLX_HOME: mkdtempSync(join(tmpdir(), 'vmlx-h-')) } });
    assert.notEqual(r.status, 0);
    const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('vmlx serve: loading'));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

test('vmlx serve --api-key warns that the key shows in ps', () => {
  const r = spawnSync(process.execPath, [VMLX, 'serve', '/no/such/model', '--api-key', 'k-visible'], {
    encoding: 'utf8',
    env: { ...process.env, VMLX_HOME: mkdtempSync(join(tmpdir(), 'vmlx-h-')) },
  });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /warning: --api-key is visible to other users \(ps, \/proc\); prefer VMLX_API_KEY or --api-key-file/);
});

test('vmlx serve --help says where the API key can come from without showing in ps, and the browser options', () => {
  const r = spawnSync(process.execPath, [VMLX, 'serve', '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  const help = r.stdout.replace(/\s+/g, ' ');
  assert.match(help, /--api-key-file <file>/);
  assert.match(help, /VMLX_API_KEY/);
  assert.match(help, /visible to other users in ps/);
  assert.match(help, /--allowed-origins <list>/);
  assert.match(help, /--allowed-hosts <list>/);
  assert.match(help, /--max-connections <n>/);
});

test('vmlx serve: answers over HTTP, warns on a public bind without a key, exits 0 on SIGTERM mid-stream', async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4 });
  const s = startServe([dir, '--port', '0', '--host', '0.0.0.0', '--max-context', '1024']);
  const url = (await s.url).replace('0.0.0.0', '127.0.0.1');
  assert.match(s.stderr(), /warning: listening on 0\.0\.0\.0 without an API key/);
  const health = await fetch(`${url}/health`);
  assert.equal(health.status, 200);
  const r = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'hi' }], max_tokens: 500, stream: true }),
  });
  const reader = r.body!.getReader();
  await reader.read(); // the stream is running
  s.child.kill('SIGTERM');
  // The in-flight stream is finished properly (finish_reason, then [DONE]), never cut mid-token.
  let text = '';
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
  }
  assert.ok(text.endsWith('data: [DONE]\n\n'), text.slice(-200));
  assert.match(text, /"finish_reason":"(length|stop)"/);
  assert.equal(await exitCode(s.child), 0, s.stderr());
  assert.match(s.stderr(), /SIGTERM: shutting down/);
});

test('vmlx serve: SIGINT on an idle server exits 0; an API key from --api-key-file protects the routes and is not in ps', async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4 });
  const keyFile = join(mkdtempSync(join(tmpdir(), 'vmlx-key-')), 'key');
  writeFileSync(keyFile, 'k-from-file-123\n', { mode: 0o600 });
  const s = startServe([dir, '--port', '0', '--api-key-file', keyFile, '--max-context', '512']);
  const url = await s.url;
  assert.doesNotMatch(readFileSync(`/proc/${s.child.pid}/cmdline`, 'utf8'), /k-from-file-123/);
  assert.equal((await fetch(`${url}/v1/models`)).status, 401);
  assert.equal((await fetch(`${url}/v1/models`, { headers: { authorization: 'Bearer k-from-file-123' } })).status, 200);
  s.child.kill('SIGINT');
  assert.equal(await exitCode(s.child), 0, s.stderr());
});
