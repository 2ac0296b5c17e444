// The scheduler over a real native batch of a tiny model, with every step's plan recorded: chunked prefill
// interleaved with decoding within the token budget, cancellation that frees the slot within one step, preemption
// (recompute) under an artificial limit on the running sequences' tokens, pause/resume, and the prompt share of a
// step paced by step times.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAddon } from '../../src/engine/addon.js';
import type { NativeBatch, NativeBatchEntry, NativeBatchResult, NativeModel, NativeSamplingParams, NativeTokenEvent } from '../../src/engine/native-types.js';
import { Scheduler, type SchedulerOptions } from '../../src/engine/scheduler/scheduler.js';
import { CacheMemoryError } from '../../src/engine/errors.js';
import { writeTinyModel } from '../native/tiny-model.js';

const dir = mkdtempSync(join(tmpdir(), 'vmlx-sched-'));
let model: NativeModel;
before(async () => {
  const m = writeTinyModel(
    { arch: 'qwen3', hidden: 64, inter: 96, layers: 2, heads: 4, kvHeads: 2, headDim: 16, vocab: 64, tied: true, floatDtype: 'F32', quant: { bits: 4, groupSize: 32 }, seed: 7 },
    join(dir, 'm.safetensors'),
  );
  model = await loadAddon().loadModel({ ...m.spec, threads: 1 });
});
after(() => {
  model.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function params(p: Partial<NativeSamplingParams> = {}): NativeSamplingParams {
  return { maxTokens: 8, temperature: 0, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, presencePenalty: 0, frequencyPenalty: 0,
    penaltyWindow: 0, seed: 0, eosTokenIds: new Int32Array(0), topLogprobs: 0, logprobs: false, ...p };
}

/**
 * A scheduler whose native batch records each step's plan. Its clock makes every step cost the same 10 ms, so a
 * prompt token adds nothing and the pacer leaves prompts the whole budget beside decoders (the pacing's own test
 * below gives steps a cost per token).
 */
function recorded(opts: SchedulerOptions): { scheduler: Scheduler; plans: NativeBatchEntry[][]; batch: NativeBatch } {
  const batch = model.createBatch(256, opts.maxNumSeqs);
  const plans: NativeBatchEntry[][] = [];
  let now = 0;
  const recording: NativeBatch = { ...batch, step: (plan) => (plans.push(plan), (now += 10), batch.step(plan)) };
  return { scheduler: new Scheduler(recording, { clock: () => now, ...opts }), plans, batch };
}

function prompt(n: number, salt: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => (i * 13 + salt * 7 + 1) % 64);
}

/** Starts a generation; `after(k)` resolves once k tokens arrived. */
function start(s: Scheduler, p: Int32Array, sp: NativeSamplingParams) {
  const tokens: number[] = [];
  const waiters: Array<[number, () => void]> = [];
  const job = s.generate(p, sp, (events: NativeTokenEvent[]) => {
    tokens.push(...events.map((e) => e.token));
    for (const [k, resolve] of waiters) if (tokens.length >= k) resolve();
  });
  const afterTokens = (k: number) => new Promise<void>((resolve) => (tokens.length >= k ? resolve() : waiters.push([k, resolve])));
  return { job, tokens, afterTokens };
}

/** The id the plans gave the sequence started with this prompt. */
function idOf(plans: NativeBatchEntry[][], p: Int32Array): number {
  for (const plan of plans) for (const e of plan) if (e.start && e.start.prompt.length === p.length && e.start.prompt.every((t, i) => t === p[i])) return e.id;
  throw new Error('no plan started that prompt');
}

/**
 * The model's paged pool (made by the first batch that asks, shared by the later ones): 2 layers x 6 blocks of 16
 * positions (2048 bytes each for 2 KV heads of 16).
 */
const POOL_BYTES = 2048 * 2 * 6;

async function alone(p: Int32Array, sp: NativeSamplingParams): Promise<number[]> {
  const { scheduler, batch } = recorded({ maxNumSeqs: 1, maxNumBatchedTokens: 256 });
  const r = start(scheduler, p, sp);
  await r.job.done;
  batch.dispose();
  return r.tokens;
}

test('a long prompt is prefilled in chunks within the step budget while a running sequence decodes a token every step', async () => {
  const { scheduler, plans, batch } = recorded({ maxNumSeqs: 2, maxNumBatchedTokens: 8 });
  const pa = prompt(4, 1);
  const pb = prompt(100, 2);
  const a = start(scheduler, pa, params({ maxTokens: 40 }));
  await a.afterTokens(2);
  const b = start(scheduler, pb, params({ maxTokens: 3 }));
  const [sa, sb] = await Promise.all([a.job.done, b.job.done]);
  assert.equal(sa.finishReason, 'length');
  assert.equal(sb.generatedTokens, 3);
  const ida = idOf(plans, pa);
  const idb = idOf(plans, pb);
  const prefill = plans.filter((plan) => plan.some((e) => e.id === idb && (e.feed ?? 0) > 1));
  assert.ok(prefill.length >= Math.ceil(100 / 7), `${prefill.length} prefill steps`);
  for (const plan of prefill) {
    assert.ok(plan.reduce((n, e) => n + (e.feed ?? 0), 0) <= 8, 'budget kept');
    // a needs 38 more steps than b's ~15 of prefill: it decodes throughout.
    assert.equal(plan.find((e) => e.id === ida)?.feed, 1, 'the decoding sequence is fed in the same step');
  }
  assert.deepEqual(a.tokens, await alone(pa, params({ maxTokens: 40 })));
  assert.deepEqual(b.tokens, await alone(pb, params({ maxTokens: 3 })));
  batch.dispose();
});

test('cancel ends a running sequence in the next step and its slot goes to the waiting one', async () => {
  const { scheduler, plans, batch } = recorded({ maxNumSeqs: 1, maxNumBatchedTokens: 64 });
  const pa = prompt(6, 3);
  const pb = prompt(9, 4);
  const a = start(scheduler, pa, params({ maxTokens: 200 }));
  const b = start(scheduler, pb, params({ maxTokens: 5 }));
  await a.afterTokens(3);
  const at = plans.length;
  a.job.cancel();
  const stats = await a.job.done;
  assert.equal(stats.finishReason, 'cancelled');
  assert.ok(stats.generatedTokens < 200);
  await b.job.done;
  const ida = idOf(plans, pa);
  const idb = idOf(plans, pb);
  const next = plans[at]!;
  assert.ok(next.some((e) => e.id === ida && e.remove), 'removed in the next step');
  assert.ok(next.some((e) => e.id === idb && e.slot === 0), 'the waiting sequence takes the slot in that same step');
  for (const plan of plans.slice(at)) assert.ok(!plan.some((e) => e.id === ida && e.feed), 'nothing fed after the cancel');
  assert.deepEqual(b.tokens, await alone(pb, params({ maxTokens: 5 })));
  assert.equal(scheduler.stats.running + scheduler.stats.waiting, 0);
  batch.dispose();
});

test('preemption under a running-token limit: sequences are dropped and recomputed, and every output is as if alone', async () => {
  const limit = 60;
  const { scheduler, plans, batch } = recorded({ maxNumSeqs: 3, maxNumBatchedTokens: 32, preemptWhen: (n) => n > limit });
  const requests = [
    [prompt(18, 5), params({ maxTokens: 24 })],
    [prompt(20, 6), params({ maxTokens: 24, temperature: 0.8, topK: 20, seed: 42 })],
    [prompt(22, 7), params({ maxTokens: 24, repetitionPenalty: 1.3 })],
  ] as const;
  const runs = requests.map(([p, sp]) => start(scheduler, p, sp));
  const stats = await Promise.all(runs.map((r) => r.job.done));
  assert.ok(scheduler.stats.preemptions > 0, 'something was preempted');
  assert.ok(plans.some((plan) => plan.some((e) => e.preempt)), 'a plan carried the preemption');
  for (const [i, [p, sp]] of requests.entries()) {
    assert.equal(stats[i]!.finishReason, 'length');
    assert.deepEqual(runs[i]!.tokens, await alone(p, sp), `request ${i}`);
  }
  batch.dispose();
});

test('a paged pool too small for three sequences: a step out of blocks feeds nothing, the newest is preempted, none is admitted until one ends, all finish as alone', async () => {
  // Each sequence needs 44 positions (3 blocks per layer); the pool holds 6 per layer.
  const batch = model.createBatch(256, 3, { kvCacheBytes: POOL_BYTES });
  const steps: { plan: NativeBatchEntry[]; results: NativeBatchResult[] }[] = [];
  const recording: NativeBatch = {
    ...batch,
    step: async (plan) => {
      const results = await batch.step(plan);
      steps.push({ plan, results });
      return results;
    },
  };
  const scheduler = new Scheduler(recording, { maxNumSeqs: 3, maxNumBatchedTokens: 64 });
  const prompts = [prompt(20, 11), prompt(20, 12), prompt(20, 13)];
  const runs = prompts.map((p) => start(scheduler, p, params({ maxTokens: 24 })));
  const stats = await Promise.all(runs.map((r) => r.job.done));
  assert.ok(stats.every((st) => st.finishReason === 'length'));
  const oom = steps.findIndex((st) => st.results.some((r) => r.cacheError));
  assert.ok(oom >= 0, 'a step ran out of blocks');
  const failed = steps[oom]!;
  assert.match(failed.results.find((r) => r.cacheError)!.cacheError!, /^out of cache memory: /);
  assert.ok(failed.results.every((r) => r.fed === 0 && !r.event), 'the failed pass fed and sampled nothing');
  const newest = Math.max(...failed.plan.filter((e) => (e.feed ?? 0) > 0).map((e) => e.id));
  assert.ok(steps[oom + 1]!.plan.some((e) => e.id === newest && e.preempt), 'the next step preempts the newest');
  // Until a sequence finishes, the preempted one is not attached again.
  const firstEnd = steps.findIndex((st, i) => i > oom && st.results.some((r) => r.finish));
  assert.ok(steps.slice(oom + 1, firstEnd + 1).every((st) => !st.plan.some((e) => e.id === newest && e.slot !== undefined)));
  assert.ok(scheduler.stats.preemptions > 0);
  batch.dispose();
  for (let i = 0; i < prompts.length; i++) assert.deepEqual(runs[i]!.tokens, await alone(prompts[i]!, params({ maxTokens: 24 })));
});

test('a paged sequence that runs out of blocks alone fails with a CacheMemoryError; the scheduler keeps serving', async () => {
  const batch = model.createBatch(256, 2, { kvCacheBytes: POOL_BYTES });
  const scheduler = new Scheduler(batch, { maxNumSeqs: 2, maxNumBatchedTokens: 64 });
  // 104 positions: 7 blocks per layer, more than the pool's 6 even after evicting every cached block.
  const big = start(scheduler, prompt(100, 14), params({ maxTokens: 4 }));
  await assert.rejects(big.job.done, (err: unknown) => err instanceof CacheMemoryError && /^out of cache memory: /.test(err.message));
  const small = start(scheduler, prompt(10, 15), params({ maxTokens: 4 }));
  assert.equal((await small.job.done).generatedTokens, 4);
  batch.dispose();
});

test('a paused sequence is not fed while the others go on; resume continues it where it stopped', async () => {
  const { scheduler, plans, batch } = recorded({ maxNumSeqs: 2, maxNumBatchedTokens: 64 });
  const pa = prompt(5, 8);
  const pb = prompt(7, 9);
  const a = start(scheduler, pa, params({ maxTokens: 12 }));
  const b = start(scheduler, pb, params({ maxTokens: 12 }));
  await a.afterTokens(2);
  a.job.pause!();
  const at = plans.length + 1; // the step in flight may still feed it
  await b.job.done;
  const ida = idOf(plans, pa);
  for (const plan of plans.slice(at)) assert.ok(!plan.some((e) => e.id === ida && e.feed), 'paused: not fed');
  assert.ok(a.tokens.length < 12);
  a.job.resume!();
  await a.job.done;
  assert.deepEqual(a.tokens, await alone(pa, params({ maxTokens: 12 })));
  batch.dispose();
});

test('a constrained sequence feeds its token while its grammar decides, then samples from the held logits under the mask', async () => {
  const { scheduler, plans, batch } = recorded({ maxNumSeqs: 2, maxNumBatchedTokens: 64 });
  const only = (token: number) => {
    const m = new Int32Array(2);
    m[token >>> 5] = 1 << (token & 31);
    return m;
  };
  const pa = prompt(6, 10);
  const other = start(scheduler, prompt(5, 11), params({ maxTokens: 30 }));
  const tokens: number[] = [];
  let job!: ReturnType<Scheduler['generate']>;
  const firstToken = new Promise<void>((resolve) => {
    job = scheduler.generate(pa, params({ maxTokens: 4 }), (events) => {
      tokens.push(...events.map((e) => e.token));
      resolve();
    }, { mask: only(5) });
  });
  await firstToken;
  // The grammar "takes its time": the other sequence decodes meanwhile, and this one's token is fed and held.
  await other.afterTokens(other.tokens.length + 3);
  const id = idOf(plans, pa);
  assert.ok(plans.some((plan) => plan.some((e) => e.id === id && e.hold && e.feed === 1)), 'the token was fed with hold');
  assert.equal(tokens.length, 1, 'no sample without a decision');
  job.setMask!(only(9));
  await new Promise<void>((resolve) => other.afterTokens(other.tokens.length + 2).then(resolve));
  job.release!();
  const stats = await job.done;
  assert.deepEqual(tokens.slice(0, 2), [5, 9]);
  assert.equal(stats.generatedTokens, 4);
  assert.ok(plans.some((plan) => plan.some((e) => e.id === id && !e.feed && e.mask)), 'sampled from held logits without a pass of its own');
  other.job.cancel();
  await other.job.done;
  batch.dispose();
});

test('a burst of prompts into a small pool: at the first step out of blocks, the admitted sequences not fed yet go back to the queue at once (not counted as preemptions), and all finish as alone', async () => {
  const batch = model.createBatch(256, 6, { kvCacheBytes: POOL_BYTES });
  const steps: { plan: NativeBatchEntry[]; results: NativeBatchResult[] }[] = [];
  const recording: NativeBatch = { ...batch, step: async (plan) => { const results = await batch.step(plan); steps.push({ plan, results }); return results; } };
  // A budget of 20 tokens a step: the prompts are prefilled one after another, the later ones wait unfed.
  const scheduler = new Scheduler(recording, { maxNumSeqs: 6, maxNumBatchedTokens: 20 });
  const prompts = [0, 1, 2, 3, 4, 5].map((i) => prompt(20, 21 + i));
  const runs = prompts.map((p) => start(scheduler, p, params({ maxTokens: 24 })));
  await Promise.all(runs.map((r) => r.job.done));
  const oom = steps.findIndex((st) => st.results.some((r) => r.cacheError));
  assert.ok(oom > 0, 'a step ran out of blocks');
  const fed = new Set(steps.slice(0, oom).flatMap((st) => st.results.filter((r) => r.fed > 0).map((r) => r.id)));
  const admitted = new Set(steps.slice(0, oom + 1).flatMap((st) => st.plan.filter((e) => e.slot !== undefined).map((e) => e.id)));
  const unfed = [...admitted].filter((id) => !fed.has(id)).sort();
  assert.ok(unfed.length > 0, 'some admitted sequences were still waiting for the budget');
  const requeued = steps[oom + 1]!.plan.filter((e) => e.preempt).map((e) => e.id).sort();
  assert.deepEqual(requeued, unfed, 'exactly the unfed sequences go back, in one step');
  const preemptEntries = steps.flatMap((st) => st.plan.filter((e) => e.preempt)).length;
  assert.ok(scheduler.stats.preemptions < preemptEntries, `${scheduler.stats.preemptions} preemptions counted of ${preemptEntries} requeues`);
  batch.dispose();
  for (let i = 0; i < prompts.length; i++) assert.deepEqual(runs[i]!.tokens, await alone(prompts[i]!, params({ maxTokens: 24 })));
});

test('beside a decoding sequence a prompt is fed in chunks that keep each step within twice a decode-only step (a cost-model clock); alone it gets the whole budget', async () => {
  // Each step "costs" 20 ms plus 5 ms a token fed: a decode-only step of one sequence is 25 ms, so a mixed step may
  // feed 5 prompt tokens beside it, once the first mixed step (the initial 16-token chunk) has timed a prompt token.
  let now = 0;
  const batch = model.createBatch(256, 2);
  const plans: NativeBatchEntry[][] = [];
  const costed: NativeBatch = {
    ...batch,
    step: (plan) => {
      plans.push(plan);
      now += 20 + 5 * plan.reduce((n, e) => n + (e.feed ?? 0), 0);
      return batch.step(plan);
    },
  };
  const scheduler = new Scheduler(costed, { maxNumSeqs: 2, maxNumBatchedTokens: 64, clock: () => now });
  const pa = prompt(40, 3);
  const pb = prompt(60, 4);
  const a = start(scheduler, pa, params({ maxTokens: 60 }));
  await a.afterTokens(3);
  const b = start(scheduler, pb, params({ maxTokens: 2 }));
  await Promise.all([a.job.done, b.job.done]);
  const ida = idOf(plans, pa);
  const idb = idOf(plans, pb);
  assert.equal(plans[0]!.find((e) => e.id === ida)?.feed, 40, 'alone, the whole prompt in one step');
  const bFeeds = plans.filter((plan) => plan.some((e) => e.id === idb && e.feed)).map((plan) => plan.find((e) => e.id === idb)!.feed!);
  const prefill = bFeeds.slice(0, bFeeds.findIndex((f, i) => bFeeds.slice(0, i + 1).reduce((n, x) => n + x, 0) >= 60) + 1);
  assert.equal(prefill[0], 16, 'the first chunk beside a decoder is the initial one');
  assert.ok(prefill.slice(1).every((f) => f <= 5), `later chunks keep the step within 2x: ${prefill}`);
  assert.ok(prefill.slice(1, -1).every((f) => f === 5), `and use the room they have: ${prefill}`);
  for (const plan of plans.filter((p) => p.some((e) => e.id === idb && (e.feed ?? 0) > 0 && e.feed! < 60))) {
    if (a.tokens.length < 60) assert.ok(plan.some((e) => e.id === ida && e.feed === 1) || plan.every((e) => e.id !== ida), 'the decoder is fed');
  }
  assert.deepEqual(a.tokens, await alone(pa, params({ maxTokens: 60 })));
  assert.deepEqual(b.tokens, await alone(pb, params({ maxTokens: 2 })));
  batch.dispose();
});

test('a burst: while more sequences wait for their first token than for their next one, prompts get the whole budget', async () => {
  let now = 0;
  const batch = model.createBatch(256, 4);
  const plans: NativeBatchEntry[][] = [];
  const costed: NativeBatch = { ...batch, step: (plan) => (plans.push(plan), (now += 20 + 5 * plan.reduce((n, e) => n + (e.feed ?? 0), 0)), batch.step(plan)) };
  const scheduler = new Scheduler(costed, { maxNumSeqs: 4, maxNumBatchedTokens: 64, clock: () => now });
  const pa = prompt(10, 5);
  const a = start(scheduler, pa, params({ maxTokens: 40 }));
  await a.afterTokens(3);
  const burst = [6, 7, 8].map((salt) => prompt(30, salt));
  const jobs = burst.map((p) => start(scheduler, p, params({ maxTokens: 2 })));
  await Promise.all([a.job.done, ...jobs.map((j) => j.job.done)]);
  const ids = new Set(burst.map((p) => idOf(plans, p)));
  const firstBurstStep = plans.find((plan) => plan.some((e) => ids.has(e.id) && e.feed))!;
  assert.equal(firstBurstStep.reduce((n, e) => n + (ids.has(e.id) ? e.feed ?? 0 : 0), 0), 63, 'three prompts against one decoder: the budget less its token');
  for (const [k, j] of jobs.entries()) assert.deepEqual(j.tokens, await alone(burst[k]!, params({ maxTokens: 2 })));
  batch.dispose();
});
