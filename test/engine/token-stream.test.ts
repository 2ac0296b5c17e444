// streamJob against a scripted NativeJob (the addon's contract): EOS, stop strings, cancellation, early exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PAUSE_AT_QUEUED_TOKENS, streamJob } from '../../src/engine/token-stream.js';
import { ModelTokenizer } from '../../src/engine/tokenizer.js';
import type { NativeGenerationStats, NativeJob, NativeTokenEvent } from '../../src/engine/native-types.js';
import type { GenerationEvent } from '../../src/engine/types.js';
import { fixtureDir } from './helpers/fixtures.js';

const tok = ModelTokenizer.fromDir(fixtureDir('qwen3'));
const IM_END = 151645;

/** Emits one token per macrotask, like the addon delivering tokens from its thread, and honours cancel(). */
class ScriptedJob implements NativeJob {
  cancelled = false;
  readonly done: Promise<NativeGenerationStats>;
  constructor(tokens: number[], onTokens: (e: NativeTokenEvent[]) => void, eos: Set<number>, withLogprobs = false) {
    this.done = new Promise((resolve) => {
      let i = 0;
      const step = () => {
        const stats = (finishReason: NativeGenerationStats['finishReason']): NativeGenerationStats => ({
          promptTokens: 5, reusedTokens: 2, generatedTokens: i, prefillMs: 30, decodeMs: 100, finishReason,
        });
        if (this.cancelled) return resolve(stats('cancelled'));
        if (i >= tokens.length) return resolve(stats('length'));
        const token = tokens[i++]!;
        const ev: NativeTokenEvent = { token };
        if (withLogprobs) Object.assign(ev, { logprob: -0.5, topTokens: Int32Array.from([token, 0]), topLogprobs: Float32Array.from([-0.5, -2]) });
        onTokens([ev]);
        if (eos.has(token)) return resolve(stats('eos'));
        setImmediate(step);
      };
      setImmediate(step);
    });
  }
  cancel(): void {
    this.cancelled = true;
  }
}

async function run(tokens: number[], opts: { stop?: string[]; signal?: AbortSignal; logprobs?: boolean; breakAfter?: number } = {}) {
  let job!: ScriptedJob;
  const eos = new Set([IM_END]);
  const events: GenerationEvent[] = [];
  for await (const ev of streamJob((on) => (job = new ScriptedJob(tokens, on, eos, opts.logprobs)), {
    tokenizer: tok, eosTokenIds: eos, stop: opts.stop ?? [], promptTokens: 5, signal: opts.signal,
  })) {
    events.push(ev);
    if (opts.breakAfter !== undefined && events.length >= opts.breakAfter) break;
  }
  return { events, job, done: events.find((e) => e.type === 'done') as Extract<GenerationEvent, { type: 'done' }> | undefined };
}

const textOf = (events: GenerationEvent[]) => events.map((e) => (e.type === 'text' ? e.text : '')).join('');

test('EOS ends the stream as finishReason stop; the EOS token adds no text; usage from the addon stats', async () => {
  const ids = [...tok.encode('Hello 👍🏽 world', { addSpecialTokens: false }), IM_END, 42];
  const { events, done } = await run(ids);
  assert.equal(textOf(events), 'Hello 👍🏽 world');
  assert.equal(done?.text, 'Hello 👍🏽 world');
  assert.equal(done?.finishReason, 'stop');
  const streamed = events.flatMap((e) => (e.type === 'text' ? e.tokens : []));
  assert.deepEqual(streamed, ids.slice(0, -2));
  assert.deepEqual(done?.usage, {
    promptTokens: 5, reusedPromptTokens: 2, completionTokens: ids.length - 1, prefillMs: 30, decodeMs: 100,
    prefillTokensPerSecond: 100, decodeTokensPerSecond: (ids.length - 2) * 10,
  });
});

test('a stop string truncates the text, cancels the job and reports stop', async () => {
  const ids = tok.encode('The answer is 42. Observation: more text follows here', { addSpecialTokens: false });
  const { done, job, events } = await run(ids, { stop: ['Observation:'] });
  assert.equal(done?.text, 'The answer is 42. ');
  assert.equal(textOf(events), 'The answer is 42. ');
  assert.equal(done?.finishReason, 'stop');
  assert.equal(job.cancelled, true);
});

test('running out of tokens reports length; held-back stop prefixes are released at the end', async () => {
  const ids = tok.encode('ends with Obs', { addSpecialTokens: false });
  const { done } = await run(ids, { stop: ['Observation:'] });
  assert.equal(done?.text, 'ends with Obs');
  assert.equal(done?.finishReason, 'length');
});

test('AbortSignal cancels the job: finishReason cancelled', async () => {
  const controller = new AbortController();
  const ids = tok.encode('one two three four five six seven eight nine ten', { addSpecialTokens: false });
  let job!: ScriptedJob;
  const events: GenerationEvent[] = [];
  for await (const ev of streamJob((on) => (job = new ScriptedJob(ids, on, new Set())), { tokenizer: tok, eosTokenIds: new Set(), stop: [], promptTokens: 5, signal: controller.signal })) {
    events.push(ev);
    if (events.length === 2) controller.abort();
  }
  const done = events.at(-1);
  assert.equal(done?.type, 'done');
  assert.equal(done.type === 'done' && done.finishReason, 'cancelled');
  assert.equal(job.cancelled, true);
  assert.ok(events.length < ids.length);
});

test('a consumer that breaks early cancels the job and waits for it', async () => {
  const ids = tok.encode('alpha beta gamma delta epsilon', { addSpecialTokens: false });
  const { job, done } = await run(ids, { breakAfter: 1 });
  assert.equal(done, undefined);
  assert.equal(job.cancelled, true);
  assert.equal((await job.done).finishReason, 'cancelled');
});

test('logprobs are attached per token with decoded text', async () => {
  const ids = tok.encode('Hi there', { addSpecialTokens: false });
  const { events } = await run(ids, { logprobs: true });
  const lps = events.flatMap((e) => (e.type === 'text' ? (e.logprobs ?? []) : []));
  assert.equal(lps.length, ids.length);
  assert.deepEqual(lps[1], { token: ids[1], text: tok.decode([ids[1]!]), logprob: -0.5, top: [
    { token: ids[1], text: tok.decode([ids[1]!]), logprob: -0.5 }, { token: 0, text: '!', logprob: -2 },
  ] });
});

/** Delivers tokens while not paused, like the addon's worker; records pause/resume calls. */
class PausableJob implements NativeJob {
  paused = false;
  pauses = 0;
  resumes = 0;
  delivered = 0;
  readonly done: Promise<NativeGenerationStats>;
  private kick: (() => void) | null = null;
  private cancelled = false;
  readonly pausedOnce: Promise<void>;
  private onPaused!: () => void;
  constructor(tokens: number[], onTokens: (e: NativeTokenEvent[]) => void) {
    this.pausedOnce = new Promise((r) => (this.onPaused = r));
    this.done = new Promise((resolve) => {
      const step = () => {
        if (this.cancelled || this.delivered >= tokens.length) {
          return resolve({ promptTokens: 5, reusedTokens: 0, generatedTokens: this.delivered, prefillMs: 1, decodeMs: 1, finishReason: this.cancelled ? 'cancelled' : 'length' });
        }
        if (this.paused) {
          this.kick = step;
          return;
        }
        onTokens([{ token: tokens[this.delivered++]! }]);
        setImmediate(step);
      };
      setImmediate(step);
    });
  }
  pause(): void {
    this.paused = true;
    this.pauses++;
    this.onPaused();
  }
  resume(): void {
    this.paused = false;
    this.resumes++;
    const k = this.kick;
    this.kick = null;
    if (k) setImmediate(k);
  }
  cancel(): void {
    this.cancelled = true;
    this.resume();
  }
}

test('a consumer that stops reading pauses the job at the high mark; reading again resumes it below the low mark', async () => {
  const ids = Array.from({ length: 300 }, (_, i) => tok.encode(` w${i % 50}`, { addSpecialTokens: false })[0]!);
  let job!: PausableJob;
  const eos = new Set([IM_END]);
  const stream = streamJob((on) => (job = new PausableJob(ids, on)), { tokenizer: tok, eosTokenIds: eos, stop: [], promptTokens: 5 });
  const first = await stream.next(); // then the consumer stops pulling: tokens queue up until the job is paused
  assert.equal(first.done, false);
  await job.pausedOnce;
  assert.equal(job.pauses, 1);
  assert.ok(job.delivered >= PAUSE_AT_QUEUED_TOKENS && job.delivered <= PAUSE_AT_QUEUED_TOKENS + 2, `delivered ${job.delivered} before the pause`);
  let text = first.value.type === 'text' ? first.value.text : '';
  for (let r = await stream.next(); !r.done; r = await stream.next()) if (r.value.type === 'text') text += r.value.text;
  assert.ok(job.resumes >= 1, 'reading again resumed the job');
  assert.equal(job.delivered, ids.length, 'every token arrived');
  assert.equal(text, tok.decode(ids));
});
