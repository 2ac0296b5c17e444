// The paged KV pool and prefix cache under continuous batching: sequences running CONCURRENTLY through the scheduler
// share cached blocks (a running conversation's system prompt serves a new one at once), and a pool too small for
// all of them makes the scheduler preempt and recompute instead of failing a request. Every output must be token for
// token the output of the same request run alone on a cold cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel, type LoadedModel } from '../../src/engine/model.js';
import type { GenerationEvent } from '../../src/engine/types.js';
import { ensureTestModel } from '../helpers/test-models.js';
import { PAGED_ARCHS, ids, pagedModels } from './helpers/paged-models.js';
import type { TestArch } from '../../src/engine/testmodel/spec.js';

const ARCHS = PAGED_ARCHS;
const models = pagedModels();

interface Run {
  tokens: number[];
  reused: number;
}

/** Greedy generation; `onFirstToken` runs when the first token arrives (the prompt is in the cache by then). */
async function run(model: LoadedModel, prompt: number[], maxTokens: number, onFirstToken?: () => void): Promise<Run> {
  const tokens: number[] = [];
  let done: Extract<GenerationEvent, { type: 'done' }> | undefined;
  for await (const ev of model.generate(prompt, { temperature: 0, maxTokens, ignoreEos: true })) {
    if (ev.type === 'text') {
      if (tokens.length === 0) onFirstToken?.();
      tokens.push(...ev.tokens);
    }
    if (ev.type === 'done') done = ev;
  }
  return { tokens, reused: done!.usage.reusedPromptTokens };
}

async function alone(model: LoadedModel, prompt: number[], maxTokens: number): Promise<number[]> {
  await model.resetCache();
  const r = await run(model, prompt, maxTokens);
  assert.equal(r.reused, 0);
  return r.tokens;
}

for (const arch of ARCHS) {
  test(`${arch}: two conversations sharing a long system prompt run concurrently; the second maps the first's cached blocks and both answer as alone`, async () => {
    const model = models.get(arch)!;
    await model.resetCache();
    // In blocks of bt: a system prompt of 4 blocks and 6 tokens, and the first prompt more than a block past it, so
    // the block holding the system prompt's end is full (and cached) once the first prompt is in.
    const bt = model.cacheFigures()!.blockTokens;
    const system = ids(40, 4 * bt + 6);
    const a = [...system, ...ids(41, bt + 4)];
    // The hybrid resumes only at a recurrent checkpoint (the first prompt's last block boundary): its second
    // conversation shares the first's whole prompt (an agent forking a conversation); the others share the system.
    const b = arch === 'qwen3_5' ? [...a, ...ids(42, 25)] : [...system, ...ids(42, 25)];
    let second: Promise<Run> | undefined;
    let runningWhenSecondStarted = 0;
    let runningAtSecondsFirstToken = 0;
    const first = await run(model, a, 24, () => {
      runningWhenSecondStarted = model.schedulerStats.running;
      second = run(model, b, 8, () => (runningAtSecondsFirstToken = model.schedulerStats.running));
    });
    const rb = await second!;
    assert.equal(runningWhenSecondStarted, 1);
    assert.equal(runningAtSecondsFirstToken, 2, 'the second conversation ran beside the first');
    assert.equal(first.reused, 0);
    assert.equal(rb.reused, arch === 'qwen3_5' ? Math.floor((a.length - 1) / bt) * bt : system.length, 'cached tokens of the running conversation');
    const f = model.cacheFigures()!;
    assert.equal(f.sequenceBlockRefs, 0, 'both gave their blocks back');
    assert.deepEqual(first.tokens, await alone(model, a, 24));
    assert.deepEqual(rb.tokens, await alone(model, b, 8));
  });
}

test('a pool too small for the running sequences: the scheduler preempts and recomputes, every request completes as alone', async () => {
  const big = models.get('qwen3')!;
  const { dir } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4 });
  const { blockTokens: bt, blockBytes } = big.cacheFigures()!;
  // 192 positions per layer: room for one 100-token sequence, not for three.
  const small = await loadModel(dir, { threads: 2, maxContext: 1024, kvCacheMemory: blockBytes * big.spec.layers.length * (192 / bt) });
  try {
    const prompts = [ids(50, 60), ids(51, 60), ids(52, 60)];
    const results = await Promise.all(prompts.map((p) => run(small, p, 40)));
    assert.ok(small.schedulerStats.preemptions > 0, 'sequences were preempted');
    const f = small.cacheFigures()!;
    assert.ok(f.outOfMemory > 0, 'the pool ran out at least once');
    assert.equal(f.lookups, prompts.length, 'a recompute after preemption is not another lookup');
    assert.equal(f.sequenceBlockRefs, 0);
    for (let i = 0; i < prompts.length; i++) assert.deepEqual(results[i]!.tokens, (await run(big, prompts[i]!, 40)).tokens);
  } finally {
    await small.dispose();
  }
});
