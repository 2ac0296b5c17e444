// Tool calling through the real HTTP server with real clients: the official openai SDK and the Vercel AI SDK.
// A scripted model produces the calls (the random test models cannot).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { generateText, streamText, jsonSchema, tool } from 'ai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { startServer, scripted, type TestServer } from './harness.js';

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city'] },
  },
};
const CALL = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris \\"Lumière\\" 東京", "days": 3}}\n</tool_call>';
const TWO_CALLS = `Let me check.${CALL}<tool_call>{"name": "get_weather", "arguments": {"city": "Oslo"}}</tool_call>`;

let srv: TestServer;
let model: ReturnType<typeof scripted>;

before(async () => {
  model = scripted(
    [
      CALL, // 1: openai non-streaming
      { text: TWO_CALLS, chunkSize: 3 }, // 2: openai streaming, two calls
      'It is sunny in Paris.', // 3: follow-up with the tool result
      CALL, // 4: AI SDK generateText
      { text: CALL, chunkSize: 2 }, // 5: AI SDK streamText
      'Plain answer, no tools.', // 6: tool_choice none
      { text: TWO_CALLS, chunkSize: 5 }, // 7: parallel_tool_calls false, streamed
    ],
    { contextLength: 4096 },
  );
  srv = await startServer(model);
});
after(async () => srv.close());

test('openai SDK: non-streaming tool call comes back as tool_calls with JSON arguments', async () => {
  const client = new OpenAI({ baseURL: srv.baseURL, apiKey: 'unused' });
  const r = await client.chat.completions.create({
    model: 'test-model',
    messages: [{ role: 'user', content: 'Weather in Paris?' }],
    tools: [weatherTool],
  });
  const choice = r.choices[0];
  assert.equal(choice.finish_reason, 'tool_calls');
  assert.equal(choice.message.content, null);
  const calls = choice.message.tool_calls ?? [];
  assert.equal(calls.length, 1);
  assert.equal(calls[0].type, 'function');
  const fn = (calls[0] as { function: { name: string; arguments: string } }).function;
  assert.equal(fn.name, 'get_weather');
  assert.deepEqual(JSON.parse(fn.arguments), { city: 'Paris "Lumière" 東京', days: 3 });
  assert.ok(r.usage && r.usage.prompt_tokens > 0 && r.usage.completion_tokens > 0);
  // The tools reached the chat template.
  assert.match(model.requests[0].prompt, /get_weather/);
});

test('openai SDK: streamed tool-call deltas assemble into the same calls, then a follow-up uses the result', async () => {
  const client = new OpenAI({ baseURL: srv.baseURL, apiKey: 'unused' });
  const stream = client.chat.completions.stream({
    model: 'test-model',
    messages: [{ role: 'user', content: 'Weather in Paris and Oslo?' }],
    tools: [weatherTool],
    stream_options: { include_usage: true },
  });
  let deltaChunks = 0;
  stream.on('chunk', (c) => {
    if (c.choices[0]?.delta?.tool_calls?.length) deltaChunks++;
  });
  const final = await stream.finalChatCompletion();
  const msg = final.choices[0].message;
  assert.equal(final.choices[0].finish_reason, 'tool_calls');
  assert.equal(msg.content, 'Let me check.');
  const calls = (msg.tool_calls ?? []) as Array<{ id: string; function: { name: string; arguments: string } }>;
  assert.equal(calls.length, 2);
  assert.deepEqual(JSON.parse(calls[0].function.arguments), { city: 'Paris "Lumière" 東京', days: 3 });
  assert.deepEqual(JSON.parse(calls[1].function.arguments), { city: 'Oslo' });
  assert.notEqual(calls[0].id, calls[1].id);
  assert.ok(deltaChunks >= 3, `arguments should stream in several chunks, got ${deltaChunks}`);

  const follow = await client.chat.completions.create({
    model: 'test-model',
    messages: [
      { role: 'user', content: 'Weather in Paris and Oslo?' },
      { role: 'assistant', content: msg.content, tool_calls: msg.tool_calls },
      { role: 'tool', tool_call_id: calls[0].id, content: '{"temp": 21}' },
      { role: 'tool', tool_call_id: calls[1].id, content: [{ type: 'text', text: '{"temp": 9}' }] },
    ],
    tools: [weatherTool],
  });
  assert.equal(follow.choices[0].message.content, 'It is sunny in Paris.');
  assert.equal(follow.choices[0].finish_reason, 'stop');
  const prompt = model.requests[2].prompt;
  assert.match(prompt, /<tool_response>\n\{"temp": 21\}/);
  assert.match(prompt, /\{"temp": 9\}/);
  assert.match(prompt, /"name": "get_weather"/);
});

const aiProvider = () => createOpenAICompatible({ name: 'vmlx', baseURL: srv.baseURL, apiKey: 'unused' });
const aiTools = {
  get_weather: tool({
    description: 'Weather for a city',
    inputSchema: jsonSchema<{ city: string; days?: number }>({
      type: 'object',
      properties: { city: { type: 'string' }, days: { type: 'integer' } },
      required: ['city'],
    }),
  }),
};

test('Vercel AI SDK: generateText gets the tool call', async () => {
  const r = await generateText({ model: aiProvider()('test-model'), tools: aiTools, prompt: 'Weather in Paris?' });
  assert.equal(r.toolCalls.length, 1);
  assert.equal(r.toolCalls[0].toolName, 'get_weather');
  assert.deepEqual(r.toolCalls[0].input, { city: 'Paris "Lumière" 東京', days: 3 });
  assert.equal(r.finishReason, 'tool-calls');
});

test('Vercel AI SDK: streamText assembles the streamed tool call', async () => {
  const r = streamText({ model: aiProvider()('test-model'), tools: aiTools, prompt: 'Weather in Paris?' });
  const calls = await r.toolCalls;
  assert.equal(calls.length, 1);
  assert.equal(calls[0].toolName, 'get_weather');
  assert.deepEqual(calls[0].input, { city: 'Paris "Lumière" 東京', days: 3 });
  assert.equal(await r.finishReason, 'tool-calls');
});

test("tool_choice 'none' renders no tools and returns plain content", async () => {
  const client = new OpenAI({ baseURL: srv.baseURL, apiKey: 'unused' });
  const r = await client.chat.completions.create({
    model: 'default',
    messages: [{ role: 'user', content: 'Hi' }],
    tools: [weatherTool],
    tool_choice: 'none',
  });
  assert.equal(r.choices[0].message.content, 'Plain answer, no tools.');
  assert.equal(r.choices[0].message.tool_calls, undefined);
  assert.doesNotMatch(model.requests[5].prompt, /get_weather/);
});

test('parallel_tool_calls: false keeps only the first call, streamed and assembled by the SDK', async () => {
  const client = new OpenAI({ baseURL: srv.baseURL, apiKey: 'unused' });
  const final = await client.chat.completions
    .stream({ model: 'test-model', messages: [{ role: 'user', content: 'Two cities' }], tools: [weatherTool], parallel_tool_calls: false })
    .finalChatCompletion();
  const calls = final.choices[0].message.tool_calls ?? [];
  assert.equal(calls.length, 1);
  assert.deepEqual(JSON.parse((calls[0] as any).function.arguments), { city: 'Paris "Lumière" 東京', days: 3 });
});
