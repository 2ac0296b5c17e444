// /v1/messages and /v1/messages/count_tokens through the real @anthropic-ai/sdk against vmlx serve on loopback with a
// scripted model: tools, a tool_result round trip, streaming in the documented event order, thinking, errors.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { startServer, scripted, type TestServer } from './harness.js';
import { assertAnthropicOrder, parseSse } from './protocol-order.js';

const KEY = 'test-key-123';
const weather: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

let srv: TestServer;
let model: ReturnType<typeof scripted>;
let client: Anthropic;

before(async () => {
  model = scripted(
    [
      '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>', // 0 create
      'It is sunny in Paris.', // 1 after tool_result
      'Let me check.<tool_call>{"name": "get_weather", "arguments": {"city": "Oslo", "units": "metric"}}</tool_call>', // 2 stream
      '<think>Oslo is cold.</think>Bring a coat.', // 3 thinking
      'Plain answer.', // 4 raw stream
      'Any answer.', // 5 tool_choice any
      { text: 'Partial', error: 'the decoder crashed' }, // 6 failure mid-stream
    ],
    { contextLength: 8192 },
  );
  srv = await startServer(model, { apiKey: KEY, reasoningParser: 'think' });
  client = new Anthropic({ baseURL: srv.url, apiKey: KEY, maxRetries: 0 });
});
after(async () => srv.close());

test('messages.create with tools returns a tool_use block; the tool_result round trip reaches the model', async () => {
  const first = await client.messages.create({
    model: 'test-model',
    max_tokens: 200,
    system: [{ type: 'text', text: 'You are terse.' }],
    tools: [weather],
    messages: [{ role: 'user', content: 'Weather in Paris?' }],
  });
  assert.equal(first.stop_reason, 'tool_use');
  assert.equal(first.role, 'assistant');
  const use = first.content.find((b) => b.type === 'tool_use');
  assert.ok(use && use.type === 'tool_use');
  assert.equal(use.name, 'get_weather');
  assert.deepEqual(use.input, { city: 'Paris' });
  assert.ok(first.usage.input_tokens > 0 && first.usage.output_tokens > 0);
  assert.match(model.requests[0].prompt, /You are terse\./);
  assert.deepEqual(model.requests[0].toolNames, ['get_weather']);

  const second = await client.messages.create({
    model: 'test-model',
    max_tokens: 200,
    tools: [weather],
    messages: [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: first.content },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: use.id, content: [{ type: 'text', text: 'sunny, 24C' }] },
          { type: 'tool_result', tool_use_id: 'toolu_missing', content: 'boom', is_error: true },
          { type: 'text', text: 'Summarise.' },
        ],
      },
    ],
  });
  assert.equal(second.stop_reason, 'end_turn');
  assert.deepEqual(second.content, [{ type: 'text', text: 'It is sunny in Paris.' }]);
  const prompt = model.requests[1].prompt;
  assert.match(prompt, /<tool_response>\nsunny, 24C\n<\/tool_response>/);
  assert.match(prompt, /Error: boom/, 'is_error reaches the model');
  assert.match(prompt, /<\|im_start\|>assistant\n<tool_call>\n\{"name": "get_weather", "arguments": \{"city": "Paris"\}\}/, 'the tool_use is in the history');
});

test('messages.stream: text then a tool_use whose input streams as input_json_delta, in the documented order', async () => {
  const stream = client.messages.stream({
    model: 'test-model',
    max_tokens: 200,
    tools: [weather],
    messages: [{ role: 'user', content: 'Weather in Oslo?' }],
  });
  const events: any[] = [];
  for await (const ev of stream) events.push(ev);
  assertAnthropicOrder(events);
  const final = await stream.finalMessage();
  assert.equal(final.stop_reason, 'tool_use');
  assert.equal(final.content[0].type, 'text');
  assert.equal((final.content[0] as Anthropic.TextBlock).text, 'Let me check.');
  const use = final.content[1] as Anthropic.ToolUseBlock;
  assert.equal(use.type, 'tool_use');
  assert.deepEqual(use.input, { city: 'Oslo', units: 'metric' });
  const fragments = events.filter((e) => e.type === 'content_block_delta' && e.delta.type === 'input_json_delta');
  assert.ok(fragments.length > 1, 'the input arrives in several fragments as the parser produces them');
  assert.deepEqual(JSON.parse(fragments.map((e) => e.delta.partial_json).join('')), { city: 'Oslo', units: 'metric' });
  const start = events.find((e) => e.type === 'message_start');
  assert.ok(start.message.usage.input_tokens > 0);
  assert.ok(events.find((e) => e.type === 'message_delta').usage.output_tokens > 0);
});

test('thinking: a thinking block with thinking_delta events, then the text', async () => {
  const stream = client.messages.stream({
    model: 'test-model',
    max_tokens: 200,
    thinking: { type: 'enabled', budget_tokens: 1024 },
    messages: [{ role: 'user', content: 'What should I wear in Oslo?' }],
  });
  const events: any[] = [];
  for await (const ev of stream) events.push(ev);
  assertAnthropicOrder(events);
  assert.ok(events.some((e) => e.type === 'content_block_delta' && e.delta.type === 'thinking_delta'));
  const final = await stream.finalMessage();
  assert.equal(final.content[0].type, 'thinking');
  assert.equal((final.content[0] as Anthropic.ThinkingBlock).thinking, 'Oslo is cold.');
  assert.equal(final.content[1].type, 'text');
  assert.equal((final.content[1] as Anthropic.TextBlock).text, 'Bring a coat.');
});

test('raw stream: ping after message_start, named events, no [DONE]', async () => {
  const r = await fetch(`${srv.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY },
    body: JSON.stringify({ model: 'test-model', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
  });
  assert.equal(r.status, 200);
  const events = parseSse(await r.text());
  assert.deepEqual(events.slice(0, 2).map((e) => e.event), ['message_start', 'ping']);
  for (const e of events) assert.equal(e.event, e.data.type, 'the event name matches its data type');
  assertAnthropicOrder(events.map((e) => e.data));
  const text = events.filter((e) => e.data.type === 'content_block_delta').map((e) => e.data.delta.text).join('');
  assert.equal(text, 'Plain answer.');
  assert.equal(events.at(-2)!.data.delta.stop_reason, 'end_turn');
});

test("tool_choice any and tool are asked for in the prompt (no constrained decoding yet); a named tool narrows the tools", async () => {
  const r = await client.messages.create({
    model: 'test-model',
    max_tokens: 50,
    tools: [weather, { name: 'get_time', input_schema: { type: 'object' as const } }],
    tool_choice: { type: 'any' },
    messages: [{ role: 'user', content: 'hi' }],
  });
  assert.equal(r.content[0].type, 'text');
  assert.match(model.requests.at(-1)!.prompt, /You must answer by calling one or more of the provided tools/);
  const count = await client.messages.countTokens({
    model: 'test-model',
    tools: [weather, { name: 'get_time', input_schema: { type: 'object' as const } }],
    tool_choice: { type: 'tool', name: 'get_time' },
    messages: [{ role: 'user', content: 'hi' }],
  });
  const both = await client.messages.countTokens({
    model: 'test-model',
    tools: [weather, { name: 'get_time', input_schema: { type: 'object' as const } }],
    messages: [{ role: 'user', content: 'hi' }],
  });
  assert.ok(count.input_tokens < both.input_tokens, `${count.input_tokens} < ${both.input_tokens}`);
  await assert.rejects(
    client.messages.create({ model: 'test-model', max_tokens: 5, tools: [weather], tool_choice: { type: 'tool', name: 'ghost' }, messages: [{ role: 'user', content: 'x' }] }),
    (err: any) => err.status === 400 && /ghost/.test(err.error.error.message),
  );
});

test('count_tokens equals the input_tokens a request reports, and grows with tools', async () => {
  const plain = await client.messages.countTokens({ model: 'test-model', messages: [{ role: 'user', content: 'Weather in Paris?' }] });
  const withTools = await client.messages.countTokens({ model: 'test-model', tools: [weather], messages: [{ role: 'user', content: 'Weather in Paris?' }] });
  assert.ok(plain.input_tokens > 0);
  assert.ok(withTools.input_tokens > plain.input_tokens + 10, 'the tool definitions are counted');
  const system = await client.messages.countTokens({ model: 'test-model', system: 'You are terse.', tools: [weather], messages: [{ role: 'user', content: 'Weather in Paris?' }] });
  const created = await fetch(`${srv.url}/v1/messages/count_tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    body: JSON.stringify({ model: 'test-model', system: 'You are terse.', tools: [weather], messages: [{ role: 'user', content: 'Weather in Paris?' }] }),
  });
  assert.equal(((await created.json()) as any).input_tokens, system.input_tokens, 'Bearer works as well as x-api-key');
});

test('a wrong key is a 401 in Anthropic error shape; bad requests name the field', async () => {
  const wrong = new Anthropic({ baseURL: srv.url, apiKey: 'nope', maxRetries: 0 });
  await assert.rejects(wrong.messages.create({ model: 'test-model', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }), (err: any) => {
    assert.equal(err.constructor, Anthropic.AuthenticationError);
    assert.equal(err.error.type, 'error');
    assert.equal(err.error.error.type, 'authentication_error');
    return true;
  });
  const r = await fetch(`${srv.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY },
    body: JSON.stringify({ model: 'test-model', messages: [{ role: 'user', content: 'x' }] }),
  });
  assert.equal(r.status, 400);
  const body = (await r.json()) as any;
  assert.deepEqual(Object.keys(body).sort(), ['error', 'type']);
  assert.equal(body.error.type, 'invalid_request_error');
  assert.match(body.error.message, /max_tokens/);
  await assert.rejects(client.messages.create({ model: 'claude-nope', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }), (err: any) => {
    assert.equal(err.constructor, Anthropic.NotFoundError);
    assert.equal(err.error.error.type, 'not_found_error');
    return true;
  });
});

test('a generation that fails after the stream opened ends with an Anthropic error event', async () => {
  const stream = client.messages.stream({ model: 'test-model', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
  const seen: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const ev of stream) seen.push(ev.type);
    })(),
    (err: any) => {
      assert.equal(err.error.type, 'error');
      assert.equal(err.error.error.type, 'api_error');
      assert.match(err.error.error.message, /the decoder crashed/);
      return true;
    },
  );
  assert.equal(seen[0], 'message_start');
  assert.ok(!seen.includes('message_stop'));
});
