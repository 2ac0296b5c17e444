// Big prompts of a real model are tokenized on a worker thread with the model's own tokenizer.json: the
// same ids as the main thread, a stop once past the limit, and the main thread never encodes them whole.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { ensureTestModel } from '../helpers/test-models.js';
import { loadModel, type LoadedModel } from '../../src/engine/model.js';
import { TokenizerThread } from '../../src/server/tokenizer-thread.js';
import { DIRECT_ENCODE_CHARS } from '../../src/server/prompt-limits.js';
import { startServer, scripted, type TestServer } from './harness.js';

let model: LoadedModel;
let srv: TestServer;
/** Lengths of the texts the main thread tokenized (encode or countTokens). */
const mainThreadEncodes: number[] = [];

// Varied text (numbers, punctuation, newlines), so merges across slice boundaries would show.
const sample = (chars: number) => {
  let s = '';
  for (let i = 0; s.length < chars; i++) s += `Line ${i}: the quick brown fox (#${i * 7}) jumps; über naïve café.\n`;
  return s.slice(0, chars);
};

before(async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4 });
  model = await loadModel(dir, { maxContext: 4096 });
  const encode = model.encode.bind(model);
  const countTokens = model.countTokens.bind(model);
  model.encode = (text, opts) => {
    mainThreadEncodes.push(text.length);
    return encode(text, opts);
  };
  model.countTokens = (text) => {
    mainThreadEncodes.push(text.length);
    return countTokens(text);
  };
  srv = await startServer(model, { maxTokensDefault: 4 });
});
after(async () => srv.close()); // shutdown disposes the model and stops the thread

test('the thread gives the same ids as the model, and stops counting once past the limit', async () => {
  const thread = new TokenizerThread(model.info.dir);
  try {
    const text = sample(100_000);
    const r = await thread.encodeWithin(text, false, 1_000_000);
    assert.ok('ids' in r);
    assert.deepEqual(r.ids, model.tokenizer.encode(text, { addSpecialTokens: false }));
    const cut = await thread.encodeWithin(text, false, 500);
    assert.ok('tokens' in cut);
    assert.ok(cut.tokens >= 500 && cut.chars < text.length / 4, JSON.stringify(cut));
  } finally {
    await thread.close();
  }
  assert.equal(TokenizerThread.forModel(scripted(['x'])), null, 'a scripted model has no tokenizer.json');
});

test('over HTTP, a big prompt past the context is refused without the main thread tokenizing it', async () => {
  mainThreadEncodes.length = 0;
  const text = sample(200_000); // under 4096 × 64 characters, far over 4096 tokens
  const r = await fetch(`${srv.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: text }] }),
  });
  const body = (await r.json()) as any;
  assert.equal(r.status, 400, JSON.stringify(body));
  assert.equal(body.error.code, 'context_length_exceeded');
  assert.match(body.error.message, /more than \d+ tokens/);
  assert.ok(!mainThreadEncodes.some((n) => n > 4096), `main-thread tokenizations: ${mainThreadEncodes.join(', ')}`);
  assert.ok(text.length > DIRECT_ENCODE_CHARS);
  assert.equal((await fetch(`${srv.url}/health`)).status, 200);
});
