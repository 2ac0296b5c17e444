// Sampling requests answered by a remote backend: the request's messages and tools go upstream as a chat
// request, maxTokens is capped by the host's limit, and the upstream's pre-parsed tool call comes back as the
// result's tool_use block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RemoteModel } from '../../src/engine/remote/index.js';
import { modelSampler } from '../../src/agent/mcp/sampling.js';
import { startFakeUpstream, textChunks, toolCallChunks } from './fake-upstream.js';

test('a sampling request with tools is answered by the remote backend, within the host maxTokens limit', async () => {
  const up = await startFakeUpstream([
    { kind: 'stream', chunks: toolCallChunks('call_7', 'get_weather', { city: 'Oslo' }) },
    { kind: 'stream', chunks: textChunks('It is cold.') },
  ]);
  try {
    const model = await RemoteModel.connect({ endpoint: up.url, model: 'up-model' });
    const sample = modelSampler(model, { modelName: 'up-model', maxTokensLimit: 64 });
    const tools = [{ name: 'get_weather', description: 'weather of a city', inputSchema: { type: 'object' as const, properties: { city: { type: 'string' } } } }];
    const first = await sample(
      { messages: [{ role: 'user', content: { type: 'text', text: 'weather in Oslo?' } }], maxTokens: 5000, systemPrompt: 'be brief', tools },
      new AbortController().signal,
    );
    assert.equal(first.stopReason, 'toolUse');
    assert.deepEqual(first.content, [{ type: 'tool_use', id: 'call_7', name: 'get_weather', input: { city: 'Oslo' } }]);
    const sent = up.requests[0]!.body;
    assert.equal(sent.max_tokens, 64, 'capped by the host');
    assert.deepEqual(sent.messages.map((m: { role: string }) => m.role), ['system', 'user']);
    assert.equal(sent.tools[0].function.name, 'get_weather');

    const second = await sample(
      {
        messages: [
          { role: 'user', content: { type: 'text', text: 'weather in Oslo?' } },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'call_7', name: 'get_weather', input: { city: 'Oslo' } }] },
          { role: 'user', content: [{ type: 'tool_result', toolUseId: 'call_7', content: [{ type: 'text', text: '-5C' }] }] },
        ],
        maxTokens: 20,
        tools,
      },
      new AbortController().signal,
    );
    assert.deepEqual(second.content, [{ type: 'text', text: 'It is cold.' }]);
    assert.equal(second.stopReason, 'endTurn');
    const roles = up.requests[1]!.body.messages.map((m: { role: string }) => m.role);
    assert.deepEqual(roles, ['user', 'assistant', 'tool']);
    assert.equal(up.requests[1]!.body.max_tokens, 20);
  } finally {
    await up.close();
  }
});
