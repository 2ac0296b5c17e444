// `vmlx serve --upstream` and `vmlx chat --endpoint` as users run them: against a small upstream written in the test
// (pre-parsed tool calls, raw tool-call text, errors, a dropped connection) and against a second `vmlx serve` process
// running a generated model, where the answers through the chain must equal the engine's own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { ensureTestModel } from '../helpers/test-models.js';
import { runVmlx, type CliResult } from '../helpers/vmlx-cli.js';
import { call, FS_SERVER, REPO, VMLX_BIN } from '../agent/fixtures.js';
import { startFakeUpstream, textChunks, toolCallChunks } from './fake-upstream.js';

function home(): string {
  return mkdtempSync(join(tmpdir(), 'vmlx-remote-home-'));
}

/** The real vmlx binary (a generous deadline: these runs load a model and start MCP servers). */
function vmlx(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runVmlx(args, { cwd: REPO, env: { VMLX_HOME: home(), ...env }, deadlineMs: 300_000 });
}

interface ServeProcess {
  url: string;
  stderr: () => string;
  stop(): Promise<void>;
}

async function startServe(args: string[], env: Record<string, string> = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [VMLX_BIN, 'serve', '--port', '0', ...args], { env: { ...process.env, VMLX_HOME: home(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d) => {
      err += d;
      const m = /on (http:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`vmlx serve exited (${code}) before listening:\n${err}`)));
  });
  return {
    url,
    stderr: () => err,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function mcpWorkspace(): { mcp: string; files: string; done(): void } {
  const root = mkdtempSync(join(tmpdir(), 'vmlx-remote-ws-'));
  const files = join(root, 'files');
  mkdirSync(files);
  writeFileSync(join(files, 'hello.txt'), 'hello\n');
  const mcp = join(root, 'mcp.json');
  writeFileSync(mcp, JSON.stringify({ mcpServers: { fs: { command: 'node', args: [FS_SERVER, files] } } }));
  return { mcp, files, done: () => rmSync(root, { recursive: true, force: true }) };
}

test('vmlx serve --upstream: pre-parsed calls reach OpenAI and Anthropic clients; upstream errors are 502; chat --endpoint runs MCP tools through it', async () => {
  const ws = mcpWorkspace();
  const up = await startFakeUpstream([
    { kind: 'stream', chunks: toolCallChunks('call_a', 'get_weather', { city: 'Paris' }) }, // chat.completions
    { kind: 'stream', chunks: toolCallChunks('call_b', 'get_weather', { city: 'Oslo' }) }, // anthropic
    { kind: 'status', status: 500, body: { error: { message: 'engine exploded' } } }, // error
    { kind: 'stream', chunks: toolCallChunks('call_c', 'fs__list_directory', { path: ws.files }) }, // chat --endpoint round 1
    { kind: 'stream', chunks: textChunks('There is hello.txt.') }, // round 2
  ]);
  const serve = await startServe(['up-model', '--upstream', up.url], { VMLX_UPSTREAM_API_KEY: 'upstream-secret' });
  try {
    assert.match(serve.stderr(), /upstream http:\/\/127\.0\.0\.1:\d+\/v1, model up-model/);
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const openai = new OpenAI({ baseURL: `${serve.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const r1 = await openai.chat.completions.create({ model: 'up-model', messages: [{ role: 'user', content: 'weather?' }], tools });
    assert.equal(r1.choices[0].finish_reason, 'tool_calls');
    assert.deepEqual(r1.choices[0].message.tool_calls, [{ id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);
    assert.equal(up.requests[0].headers.authorization, 'Bearer upstream-secret', 'the key comes from VMLX_UPSTREAM_API_KEY');
    assert.equal(up.requests[0].body.tools[0].function.name, 'get_weather');

    const anthropic = new Anthropic({ baseURL: serve.url, apiKey: 'x', maxRetries: 0 });
    const r2 = await anthropic.messages.create({
      model: 'up-model',
      max_tokens: 100,
      tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      messages: [{ role: 'user', content: 'weather in Oslo?' }],
    });
    assert.equal(r2.stop_reason, 'tool_use');
    assert.deepEqual(r2.content, [{ type: 'tool_use', id: 'call_b', name: 'get_weather', input: { city: 'Oslo' } }]);

    await assert.rejects(openai.chat.completions.create({ model: 'up-model', messages: [{ role: 'user', content: 'x' }] }), (err: any) => {
      assert.equal(err.status, 502);
      assert.match(err.message, /The upstream engine failed: .*answered 500: engine exploded/);
      return true;
    });

    const chat = await vmlx(['chat', '--endpoint', `${serve.url}/v1`, '--model', 'up-model', '--mcp-config', ws.mcp, '--print', 'what files?']);
    assert.equal(chat.code, 0, chat.stderr);
    assert.equal(chat.stdout, 'There is hello.txt.\n');
    assert.match(chat.stderr, /\[tool\] fs__list_directory ok/);
    const followUp = up.requests[4].body.messages;
    assert.equal(followUp.at(-1).role, 'tool');
    assert.match(followUp.at(-1).content, /hello\.txt/);
  } finally {
    await serve.stop();
    await up.close();
    ws.done();
  }
});

test('vmlx chat --endpoint: raw tool-call text parsed with --tool-call-parser; errors, a dropped connection and a down upstream are one line, exit 1', async () => {
  const ws = mcpWorkspace();
  const up = await startFakeUpstream([
    { kind: 'stream', chunks: textChunks(call('fs__read_text_file', { path: join(ws.files, 'hello.txt') })) },
    { kind: 'stream', chunks: textChunks('It says hello.') },
    { kind: 'status', status: 401, body: { error: { message: 'invalid api key' } } },
    { kind: 'drop', chunks: textChunks('half an ans').slice(0, 2) },
  ]);
  try {
    const ok = await vmlx(['chat', '--endpoint', up.url, '--model', 'up-model', '--tool-call-parser', 'hermes', '--mcp-config', ws.mcp, '--print', 'read it']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, 'It says hello.\n');
    assert.match(ok.stderr, /\[tool\] fs__read_text_file ok/);

    const denied = await vmlx(['chat', '--endpoint', up.url, '--model', 'up-model', '--print', 'x']);
    assert.equal(denied.code, 1);
    assert.equal(denied.stderr.trim().split('\n').at(-1), `vmlx: generation failed: ${up.url}/chat/completions answered 401: invalid api key`);

    const dropped = await vmlx(['chat', '--endpoint', up.url, '--model', 'up-model', '--print', 'x']);
    assert.equal(dropped.code, 1);
    assert.match(dropped.stderr, /vmlx: generation failed: .*closed the stream mid-answer/);
    assert.doesNotMatch(dropped.stderr, /\n\s+at /);
  } finally {
    await up.close();
    ws.done();
  }
  const down = await vmlx(['chat', '--endpoint', up.url, '--model', 'up-model', '--print', 'x']);
  assert.equal(down.code, 1);
  assert.match(down.stderr, /^vmlx: cannot reach http:\/\/127\.0\.0\.1:\d+\/v1\/models \(ECONNREFUSED\)\n$/);
  const noModel = await vmlx(['chat', '--endpoint', up.url, '--print', 'x']);
  assert.equal(noModel.code, 1);
  assert.match(noModel.stderr, /--endpoint needs --model <name>/);
  const badFlag = await vmlx(['serve', 'm', '--upstream', 'http://127.0.0.1:1/v1', '--threads', '2']);
  assert.equal(badFlag.code, 1);
  assert.match(badFlag.stderr, /^vmlx: --threads has no effect with --upstream/);
});

test('chat --endpoint and serve --upstream over a second vmlx serve process running a generated model give its own greedy answer', async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4 });
  const engine = await startServe([dir, '--max-context', '1024']);
  let proxy: ServeProcess | null = null;
  try {
    const request = { model: 'default', messages: [{ role: 'user' as const, content: 'Say something.' }], temperature: 0, max_tokens: 12 };
    const direct = await new OpenAI({ baseURL: `${engine.url}/v1`, apiKey: 'x' }).chat.completions.create(request);
    assert.ok((direct.choices[0].message.content ?? '').trim().length > 0, 'the engine produced text to compare');
    proxy = await startServe(['default', '--upstream', `${engine.url}/v1`]);
    const viaProxy = await new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'x' }).chat.completions.create(request);
    assert.equal(viaProxy.choices[0].message.content, direct.choices[0].message.content);
    assert.equal(viaProxy.usage?.completion_tokens, direct.usage?.completion_tokens, 'usage is the engine count');
    const chat = await vmlx(['chat', '--endpoint', `${engine.url}/v1`, '--model', 'default', '--temp', '0', '--max-tokens', '12', '--print', 'Say something.']);
    assert.equal(chat.code, 0, chat.stderr);
    assert.equal(chat.stdout.trim(), (direct.choices[0].message.content ?? '').trim());
  } finally {
    await proxy?.stop();
    await engine.stop();
  }
});
