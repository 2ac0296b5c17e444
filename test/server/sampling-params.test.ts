// Request fields reach the engine as generation parameters: what a client sets is what the model is asked for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import type { GenerateParams } from '../../src/engine/types.js';
import { startServer, scripted } from './harness.js';

test('ignore_eos (as vLLM and llama-server take it) asks the engine to generate past end-of-sequence tokens', async () => {
  const model = scripted(['one', 'two']);
  const seen: (GenerateParams | undefined)[] = [];
  const generate = model.generate.bind(model);
  model.generate = (prompt, params, signal) => {
    seen.push(params);
    return generate(prompt, params, signal);
  };
  const srv = await startServer(model);
  try {
    const client = new OpenAI({ baseURL: srv.baseURL, apiKey: 'none' });
    const ask = (extra: object) => client.chat.completions.create({ model: 'test-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, ...extra } as never);
    await ask({ ignore_eos: true });
    await ask({});
    assert.equal(seen.length, 2);
    assert.equal(seen[0]?.ignoreEos, true);
    assert.equal(seen[0]?.maxTokens, 5);
    assert.equal(seen[1]?.ignoreEos, undefined);
  } finally {
    await srv.close();
  }
});
