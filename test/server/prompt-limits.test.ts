// Big prompts are refused cheaply: over context × MAX_CHARS_PER_TOKEN characters before the template renders
// them; otherwise counted slice by slice, stopping once past the context and letting the event loop run
// between slices (once a 7.9 MB prompt was rendered and tokenized whole, blocking the server for seconds).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { ScriptedModel } from '../../src/agent/scripted-model.js';
import type { ChatMessage, ChatPromptOptions } from '../../src/engine/types.js';
import { MAX_CHARS_PER_TOKEN } from '../../src/server/prompt-limits.js';
import { startServer, type TestServer } from './harness.js';

/** Records what the server asked of the model. */
class CountingModel extends ScriptedModel {
  renders = 0;
  encodedChars: number[] = [];
  countedChars: number[] = [];
  /** Value of `clock()` at each countTokens call. */
  countedAt: number[] = [];
  clock: () => number = () => 0;

  override renderChat(messages: ChatMessage[], opts?: ChatPromptOptions): string {
    this.renders++;
    return super.renderChat(messages, opts);
  }
  override encode(text: string): number[] {
    this.encodedChars.push(text.length);
    return super.encode(text);
  }
  override countTokens(text: string): number {
    this.countedChars.push(text.length);
    this.countedAt.push(this.clock());
    return super.countTokens(text);
  }
  resetCounts(): void {
    this.renders = 0;
    this.encodedChars = [];
    this.countedChars = [];
    this.countedAt = [];
  }
}

const CONTEXT = 8192;
let model: CountingModel;
let srv: TestServer;

before(async () => {
  model = new CountingModel({ rounds: ['ok'], contextLength: CONTEXT });
  srv = await startServer(model, { maxBodyBytes: 16 * 1024 * 1024 });
});
after(() => srv.close());

async function post(path: string, body: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${srv.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

test('a prompt longer than the context could hold in characters is refused before rendering or tokenizing', async () => {
  model.resetCounts();
  const huge = 'x'.repeat(CONTEXT * MAX_CHARS_PER_TOKEN + 1);
  const chat = await post('/v1/chat/completions', { model: 'default', messages: [{ role: 'user', content: huge }] });
  assert.equal(chat.status, 400);
  assert.equal(chat.body.error.code, 'context_length_exceeded');
  assert.equal(chat.body.error.param, 'messages');
  assert.match(chat.body.error.message, /characters/);
  const legacy = await post('/v1/completions', { model: 'default', prompt: huge });
  assert.equal(legacy.status, 400);
  assert.equal(legacy.body.error.param, 'prompt');
  assert.equal(model.renders, 0, 'the template never rendered it');
  assert.deepEqual(model.encodedChars, [], 'nothing was tokenized');
  assert.deepEqual(model.countedChars, []);
});

test('a long prompt within the character bound is counted in slices that stop once past the context, yielding between them', async () => {
  model.resetCounts();
  let ticks = 0;
  let ticking = true;
  const tick = () => {
    ticks++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  model.clock = () => ticks;
  const text = 'word '.repeat(100_000); // 500,000 characters: under 8192 × 64, far over 8192 tokens
  try {
    const r = await post('/v1/chat/completions', { model: 'default', messages: [{ role: 'user', content: text }] });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'context_length_exceeded');
    assert.match(r.body.error.message, /more than \d+ tokens/);
  } finally {
    ticking = false;
  }
  const counted = model.countedChars.reduce((a, b) => a + b, 0);
  assert.ok(model.countedChars.length >= 2, `${model.countedChars.length} slices`);
  assert.ok(counted < text.length / 4, `counted ${counted} of ${text.length} characters before refusing`);
  assert.ok(!model.encodedChars.some((n) => n >= text.length), 'the whole prompt was never encoded');
  for (let i = 1; i < model.countedAt.length; i++) {
    assert.ok(model.countedAt[i]! > model.countedAt[i - 1]!, 'the event loop ran between two slices');
  }
});

test('a long prompt that fits is answered as before', async () => {
  model.resetCounts();
  const text = 'word '.repeat(15_000); // 75,000 characters ≈ 18,750 scripted tokens: too many for 8192
  const tooMany = await post('/v1/chat/completions', { model: 'default', messages: [{ role: 'user', content: text }] });
  assert.equal(tooMany.status, 400);
  const fits = 'word '.repeat(5_000); // 25,000 characters ≈ 6,250 tokens
  const ok = await post('/v1/chat/completions', { model: 'default', messages: [{ role: 'user', content: fits }], max_tokens: 16 });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.choices[0].message.content, 'ok');
});
