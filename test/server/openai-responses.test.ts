// /v1/responses through the real openai SDK against vmlx serve on loopback with a scripted model: function tools,
// a function_call_output round trip, streaming in the documented event order, previous_response_id, reasoning
// items and a failure after the stream opened.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startServer, scripted, type TestServer } from './harness.js';
import { assertResponsesOrder, parseSse } from './protocol-order.js';

const weather = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: false,
};

let srv: TestServer;
let model: ReturnType<typeof scripted>;
let client: OpenAI;

before(async () => {
  model = scripted(
    [
      '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>', // 0 create
      'It is sunny in Paris.', // 1 after function_call_output (full history)
      'Checking.<tool_call>{"name": "get_weather", "arguments": {"city": "Oslo", "units": "metric"}}</tool_call>', // 2 stream
      'Oslo is at 3C.', // 3 previous_response_id follow-up
      '<think>Cold place.</think>Bring a coat.', // 4 reasoning stream
      { text: 'Partial ans', error: 'the decoder crashed' }, // 5 failure mid-stream
    ],
    { contextLength: 8192 },
  );
  srv = await startServer(model, { reasoningParser: 'think' });
  client = new OpenAI({ baseURL: srv.baseURL, apiKey: 'unused', maxRetries: 0 });
});
after(async () => srv.close());

test('responses.create with a function tool returns a function_call; the function_call_output round trip answers', async () => {
  const first = await client.responses.create({
    model: 'test-model',
    instructions: 'You are terse.',
    input: 'Weather in Paris?',
    tools: [weather],
  });
  assert.equal(first.status, 'completed');
  const call = first.output.find((o) => o.type === 'function_call');
  assert.ok(call && call.type === 'function_call');
  assert.equal(call.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris' });
  assert.match(call.call_id, /./);
  assert.ok(first.usage!.input_tokens > 0 && first.usage!.output_tokens > 0);
  assert.equal(first.usage!.input_tokens_details.cached_tokens, 0);
  assert.match(model.requests[0].prompt, /You are terse\./);

  // Codex re-sends the whole history each turn.
  const second = await client.responses.create({
    model: 'test-model',
    instructions: 'You are terse.',
    input: [
      { role: 'user', content: 'Weather in Paris?' },
      { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
      { type: 'function_call_output', call_id: call.call_id, output: 'sunny, 24C' },
    ],
    tools: [weather],
  });
  assert.equal(second.output_text, 'It is sunny in Paris.');
  assert.equal(second.output[0].type, 'message');
  const prompt = model.requests[1].prompt;
  assert.match(prompt, /<tool_call>\n\{"name": "get_weather", "arguments": \{"city": "Paris"\}\}/);
  assert.match(prompt, /<tool_response>\nsunny, 24C\n<\/tool_response>/);
});

test('responses.stream: text item then a function_call item with argument deltas, in the documented order', async () => {
  const stream = client.responses.stream({ model: 'test-model', input: 'Weather in Oslo?', tools: [weather] });
  const events: any[] = [];
  for await (const ev of stream) events.push(ev);
  assertResponsesOrder(events);
  const final = await stream.finalResponse();
  assert.equal(final.status, 'completed');
  assert.deepEqual(final.output.map((o) => o.type), ['message', 'function_call']);
  assert.equal(final.output_text, 'Checking.');
  const call = final.output[1] as OpenAI.Responses.ResponseFunctionToolCall;
  assert.deepEqual(JSON.parse(call.arguments), { city: 'Oslo', units: 'metric' });
  const deltas = events.filter((e) => e.type === 'response.function_call_arguments.delta');
  assert.ok(deltas.length > 1, 'arguments stream in fragments');
  assert.equal(deltas.map((e) => e.delta).join(''), call.arguments);
  const done = events.find((e) => e.type === 'response.function_call_arguments.done');
  assert.equal(done.arguments, call.arguments);
  assert.equal(done.name, 'get_weather');

  // previous_response_id: only the new item is sent; the stored conversation supplies the rest.
  const follow = await client.responses.create({
    model: 'test-model',
    previous_response_id: final.id,
    input: [{ type: 'function_call_output', call_id: call.call_id, output: '3C' }],
    tools: [weather],
  });
  assert.equal(follow.output_text, 'Oslo is at 3C.');
  assert.equal(follow.previous_response_id, final.id);
  const prompt = model.requests[3].prompt;
  assert.match(prompt, /Weather in Oslo\?/);
  assert.match(prompt, /Checking\.<tool_call>/);
  assert.match(prompt, /<tool_response>\n3C\n<\/tool_response>/);
});

test('an unknown previous_response_id is a 404 naming the field; a function_call_output without its call is a 400', async () => {
  await assert.rejects(client.responses.create({ model: 'test-model', previous_response_id: 'resp_nope', input: 'x' }), (err: any) => {
    assert.equal(err.status, 404);
    assert.equal(err.param, 'previous_response_id');
    return true;
  });
  await assert.rejects(
    client.responses.create({ model: 'test-model', input: [{ type: 'function_call_output', call_id: 'call_x', output: 'y' }] }),
    (err: any) => err.status === 400 && /call_x/.test(err.message),
  );
});

test('reasoning streams as a reasoning item before the message; usage counts reasoning tokens', async () => {
  const stream = client.responses.stream({ model: 'test-model', input: 'What to wear in Oslo?', reasoning: { effort: 'medium' } });
  const events: any[] = [];
  for await (const ev of stream) events.push(ev);
  assertResponsesOrder(events);
  const final = await stream.finalResponse();
  assert.deepEqual(final.output.map((o) => o.type), ['reasoning', 'message']);
  const reasoning = final.output[0] as OpenAI.Responses.ResponseReasoningItem;
  assert.equal(reasoning.content?.[0].text, 'Cold place.');
  assert.equal(final.output_text, 'Bring a coat.');
  assert.ok(final.usage!.output_tokens_details.reasoning_tokens > 0);
  assert.ok(events.some((e) => e.type === 'response.reasoning_text.delta'));
});

test('a generation that fails after the stream opened ends with error and response.failed', async () => {
  const r = await fetch(`${srv.baseURL}/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'test-model', input: 'hi', stream: true }),
  });
  assert.equal(r.status, 200);
  const events = parseSse(await r.text());
  for (const e of events) assert.equal(e.event, e.data.type);
  const types = events.map((e) => e.data.type);
  assert.deepEqual(types.slice(0, 2), ['response.created', 'response.in_progress']);
  assert.deepEqual(types.slice(-2), ['error', 'response.failed']);
  assert.match(events.at(-2)!.data.message, /the decoder crashed/);
  assert.equal(events.at(-1)!.data.response.status, 'failed');
  events.forEach((e, i) => assert.equal(e.data.sequence_number, i));
});

test('structured output (text.format json_schema) is refused by name rather than ignored', async () => {
  await assert.rejects(
    client.responses.create({
      model: 'test-model',
      input: 'x',
      text: { format: { type: 'json_schema', name: 'out', schema: { type: 'object' } } },
    }),
    (err: any) => err.status === 400 && /text\.format\.type/.test(err.message),
  );
});
