// A call the token budget cuts off is never completed: the non-streaming answer leaves it out of tool_calls (its
// raw text stays in the content, with a warning) and says "length"; a stream keeps the deltas it already sent
// and ends with "length". Real openai SDK against the real server and a scripted model that honours max_tokens.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startServer, scripted, type TestServer } from './harness.js';

const weatherTool = {
  type: 'function' as const,
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};
const OSLO = '<tool_call>{"name": "get_weather", "arguments": {"city": "Oslo"}}</tool_call>';
const BERLIN = '<tool_call>{"name": "get_weather", "arguments": {"city": "Berlin"}}</tool_call>';
// The scripted model's tokens are 4 characters: pad so the budget ends exactly after "Ber".
const body = `${OSLO}\n${BERLIN}`;
const cutAt = body.indexOf('Berlin') + 3;
const pad = ' '.repeat((4 - (cutAt % 4)) % 4);
const OUTPUT = pad + body;
const MAX_TOKENS = (pad.length + cutAt) / 4;
const CUT_RAW = '<tool_call>{"name": "get_weather", "arguments": {"city": "Ber';

let srv: TestServer;
before(async () => {
  srv = await startServer(scripted([OUTPUT, OUTPUT], { contextLength: 4096 }));
});
after(async () => srv.close());

test('non-streaming: the cut-off call is not in tool_calls, its raw text is in the content, finish_reason is "length"', async () => {
  const res = await fetch(`${srv.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'test-model', messages: [{ role: 'user', content: 'Weather?' }], tools: [weatherTool], max_tokens: MAX_TOKENS }),
  });
  assert.equal(res.status, 200);
  const r = (await res.json()) as {
    choices: Array<{ finish_reason: string; message: { content: string | null; tool_calls?: Array<{ function: { name: string; arguments: string } }> } }>;
    warnings?: string[];
  };
  const choice = r.choices[0];
  assert.equal(choice.finish_reason, 'length');
  assert.deepEqual(
    (choice.message.tool_calls ?? []).map((c) => [c.function.name, JSON.parse(c.function.arguments)]),
    [['get_weather', { city: 'Oslo' }]],
  );
  assert.equal(choice.message.content, CUT_RAW);
  assert.equal(r.warnings?.length, 1);
  assert.match(r.warnings?.[0] ?? '', /ended inside the call to "get_weather"/);
});

test('streaming: the deltas already sent stay, nothing closes the arguments, the stream ends with "length"', async () => {
  const client = new OpenAI({ baseURL: srv.baseURL, apiKey: 'unused' });
  const stream = await client.chat.completions.create({
    model: 'test-model',
    messages: [{ role: 'user', content: 'Weather?' }],
    tools: [weatherTool],
    max_tokens: MAX_TOKENS,
    stream: true,
  });
  const calls: Array<{ name: string; args: string }> = [];
  let finish: string | null = null;
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    if (!choice) continue;
    for (const d of choice.delta.tool_calls ?? []) {
      calls[d.index] ??= { name: '', args: '' };
      if (d.function?.name) calls[d.index].name = d.function.name;
      calls[d.index].args += d.function?.arguments ?? '';
    }
    if (choice.finish_reason) finish = choice.finish_reason;
  }
  assert.equal(finish, 'length');
  assert.deepEqual(calls, [
    { name: 'get_weather', args: '{"city": "Oslo"}' },
    { name: 'get_weather', args: '{"city": "Ber' },
  ]);
});
