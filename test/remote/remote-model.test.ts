// RemoteModel against a small upstream written in the test: the agent loop runs real MCP tools over pre-parsed
// tool calls and over raw tool-call text; error statuses, malformed chunks, dropped connections and a silent
// upstream become typed errors; cancelling aborts the upstream request.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { RemoteModel, UpstreamError } from '../../src/engine/remote/index.js';
import { runTurn } from '../../src/agent/loop/run-turn.js';
import type { AgentEvent } from '../../src/agent/loop/events.js';
import type { GenerationEvent } from '../../src/engine/types.js';
import { startFilesystemMcp, type FilesystemMcp } from '../server/harness.js';
import { startFakeUpstream, textChunks, toolCallChunks, type UpstreamReply } from './fake-upstream.js';

let fs: FilesystemMcp;
before(async () => {
  fs = await startFilesystemMcp();
});
after(async () => fs.cleanup());

async function collect(gen: AsyncIterable<GenerationEvent>): Promise<GenerationEvent[]> {
  const out: GenerationEvent[] = [];
  for await (const e of gen) out.push(e);
  return out;
}

async function turn(model: RemoteModel, prompt: string, toolParser = 'auto'): Promise<AgentEvent[]> {
  const events: AgentEvent[] = [];
  for await (const e of runTurn({ messages: [{ role: 'user', content: prompt }] }, { model, executor: fs.manager, interactive: false, toolParser })) events.push(e);
  return events;
}

test('connect reads the context length from /models, warns about an unlisted model, and sends the key as Bearer', async () => {
  const up = await startFakeUpstream([{ kind: 'stream', chunks: textChunks('hi') }], { contextLength: 12345 });
  try {
    const model = await RemoteModel.connect({ endpoint: up.url, model: 'up-model', apiKey: 'sekret' });
    assert.equal(model.info.contextLength, 12345);
    assert.deepEqual(model.warnings, []);
    const events = await collect(model.generate(model.renderChat([{ role: 'user', content: 'x' }], { enableThinking: false }), { maxTokens: 9, temperature: 0, stop: ['END'] }));
    const done = events.at(-1)!;
    assert.ok(done.type === 'done');
    assert.equal(done.text, 'hi');
    assert.equal(done.usage.promptTokens, 42, 'usage is the upstream count');
    assert.equal(done.usage.reusedPromptTokens, 40);
    const sent = up.requests[0];
    assert.equal(sent.path, '/v1/chat/completions');
    assert.equal(sent.headers.authorization, 'Bearer sekret');
    assert.deepEqual(sent.body.messages, [{ role: 'user', content: 'x' }]);
    assert.equal(sent.body.max_tokens, 9);
    assert.equal(sent.body.temperature, 0);
    assert.deepEqual(sent.body.stop, ['END']);
    assert.deepEqual(sent.body.chat_template_kwargs, { enable_thinking: false });
    assert.equal(sent.body.stream, true);

    const other = await RemoteModel.connect({ endpoint: up.url.replace(/\/v1$/, ''), model: 'nope', contextLength: 777 });
    assert.equal(other.info.contextLength, 777);
    assert.match(other.warnings[0], /does not list the model 'nope' \(it lists up-model\)/);
  } finally {
    await up.close();
  }
});

test('an upstream that is down is a one-line unreachable error; a bad URL is refused', async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  await assert.rejects(RemoteModel.connect({ endpoint: `http://127.0.0.1:${port}/v1`, model: 'm' }), (err: unknown) => {
    assert.ok(err instanceof UpstreamError);
    assert.equal(err.failure, 'unreachable');
    assert.match(err.message, /cannot reach http:\/\/127\.0\.0\.1:\d+\/v1\/models \(ECONNREFUSED\)/);
    return true;
  });
  await assert.rejects(RemoteModel.connect({ endpoint: 'ftp://x', model: 'm' }), /not an http\(s\) URL/);
});

test('the agent loop runs an MCP tool from a pre-parsed upstream tool call, then answers', async () => {
  const up = await startFakeUpstream([
    { kind: 'stream', chunks: toolCallChunks('call_up_1', 'filesystem__list_directory', { path: fs.root }) },
    { kind: 'stream', chunks: textChunks('Two files: notes.txt and todo.md.') },
  // A context where the filesystem server's schemas fit under the deferral share, so they are sent as they are.
  ], { contextLength: 65536 });
  try {
    const model = await RemoteModel.connect({ endpoint: up.url, model: 'up-model' });
    const events = await turn(model, 'what is there?');
    const started = events.find((e) => e.type === 'tool_call_started');
    assert.ok(started && started.type === 'tool_call_started');
    assert.equal(started.callId, 'call_up_1', 'the upstream id is kept');
    assert.deepEqual(started.arguments, { path: fs.root });
    assert.ok(events.some((e) => e.type === 'tool_result'));
    const finished = events.at(-1)!;
    assert.deepEqual(finished, { type: 'turn_finished', reason: 'answered', rounds: 2, answer: 'Two files: notes.txt and todo.md.' });
    assert.ok(up.requests[0].body.tools.some((t: any) => t.function.name === 'filesystem__list_directory'), 'MCP tools are sent');
    const second = up.requests[1].body.messages;
    assert.deepEqual(second[1].tool_calls, [{ id: 'call_up_1', type: 'function', function: { name: 'filesystem__list_directory', arguments: JSON.stringify({ path: fs.root }) } }]);
    assert.equal(second[2].role, 'tool');
    assert.equal(second[2].tool_call_id, 'call_up_1');
    assert.match(second[2].content, /notes\.txt/);
    const rows = fs.audit.query({ toolFilter: 'list_directory' });
    assert.ok(rows.length >= 1, 'the call is in the audit log');
  } finally {
    await up.close();
  }
});

test('raw tool-call text from an upstream that does not parse goes through vmlx parsers (--tool-call-parser hermes)', async () => {
  const raw = `<tool_call>{"name": "filesystem__read_text_file", "arguments": {"path": "${fs.root}/notes.txt"}}</tool_call>`;
  const up = await startFakeUpstream([
    { kind: 'stream', chunks: textChunks(raw, 'stop', 7) },
    { kind: 'stream', chunks: [{ choices: [{ index: 0, delta: { reasoning_content: 'It greets.' } }] }, ...textChunks('It says hello.')] },
  ]);
  try {
    const model = await RemoteModel.connect({ endpoint: up.url, model: 'up-model' });
    const events = await turn(model, 'read notes', 'hermes');
    const result = events.find((e) => e.type === 'tool_result');
    assert.ok(result && result.type === 'tool_result');
    assert.match(result.outcome.text, /hello from the filesystem server/);
    assert.equal(events.filter((e) => e.type === 'text_delta' && e.round === 1).length, 0, 'the markup is not shown as text');
    assert.deepEqual(
      events.filter((e) => e.type === 'reasoning_delta').map((e) => (e as { text: string }).text),
      ['It greets.'],
      'reasoning the upstream separated stays reasoning',
    );
    assert.equal((events.at(-1) as { answer: string }).answer, 'It says hello.');
  } finally {
    await up.close();
  }
});

test('upstream failures are typed: error status, malformed chunk, dropped connection, unfinished stream, silence', async () => {
  const cases: Array<[UpstreamReply, string, RegExp]> = [
    [{ kind: 'status', status: 500, body: { error: { message: 'CUDA out of memory' } } }, 'status', /answered 500: CUDA out of memory/],
    [{ kind: 'status', status: 400, body: { object: 'error', message: 'auto tool choice requires --enable-auto-tool-choice' } }, 'status', /answered 400: auto tool choice requires/],
    [{ kind: 'raw', text: 'data: {not json\n\n' }, 'malformed', /not JSON: \{not json/],
    [{ kind: 'raw', text: 'data: {"choices": "nope"}\n\n' }, 'malformed', /malformed chunk \(choices:/],
    [{ kind: 'drop', chunks: textChunks('partial answer').slice(0, 2) }, 'dropped', /closed the stream mid-answer/],
    [{ kind: 'stream', chunks: textChunks('cut').slice(0, 1), done: false }, 'dropped', /ended the stream before the answer was finished/],
    [{ kind: 'hang' }, 'timeout', /did not answer within 0 s/],
  ];
  const up = await startFakeUpstream(cases.map((c) => c[0]));
  try {
    const model = await RemoteModel.connect({ endpoint: up.url, model: 'up-model', connectTimeoutMs: 200 });
    for (const [, failure, pattern] of cases) {
      await assert.rejects(collect(model.generate(model.renderChat([{ role: 'user', content: 'x' }]))), (err: unknown) => {
        assert.ok(err instanceof UpstreamError, String(err));
        assert.equal(err.failure, failure, err.message);
        assert.match(err.message, pattern);
        assert.doesNotMatch(err.message, /\n/);
        return true;
      });
    }
    // Through the loop the failure ends the turn with the upstream's message.
    const failing = await startFakeUpstream([{ kind: 'status', status: 503, body: { error: { message: 'overloaded' } } }]);
    try {
      const events = await turn(await RemoteModel.connect({ endpoint: failing.url, model: 'up-model' }), 'x');
      const last = events.at(-1)!;
      assert.equal(last.type, 'turn_failed');
      assert.match((last as { error: string }).error, /generation failed: .*answered 503: overloaded/);
    } finally {
      await failing.close();
    }
  } finally {
    await up.close();
  }
});

test('cancelling a generation aborts the upstream request', async () => {
  const up = await startFakeUpstream([{ kind: 'hang' }, { kind: 'stream', chunks: textChunks('partial', 'stop').slice(0, 1), done: false }]);
  try {
    const model = await RemoteModel.connect({ endpoint: up.url, model: 'up-model' });
    const controller = new AbortController();
    const pending = collect(model.generate(model.renderChat([{ role: 'user', content: 'x' }]), {}, controller.signal)).catch((e: Error) => e);
    while (up.requests.length < 1) await new Promise((r) => setImmediate(r));
    controller.abort();
    const outcome = await pending;
    assert.ok(outcome instanceof Error && outcome.name === 'AbortError', String(outcome));
    await up.closed(0); // resolves only once the upstream saw the request go away
  } finally {
    await up.close();
  }
});
