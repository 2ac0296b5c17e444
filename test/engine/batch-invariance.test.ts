// Batch invariance: a request's tokens are the same whether it runs alone or beside up to seven others of
// different lengths, prefilled in chunks interleaved with their decoding, with random sampling params and some
// requests cancelled midway. Full attention (qwen3) and a hybrid of Gated DeltaNet and attention (qwen3_5).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ensureTestModel } from '../helpers/test-models.js';
import { loadModel, type LoadedModel } from '../../src/engine/model.js';
import type { GenerateParams } from '../../src/engine/types.js';
import { seededRandom } from '../../src/engine/seeded-random.js';

interface Request {
  prompt: number[];
  params: GenerateParams;
  /** Cancel after this many text events (batched run only). */
  cancelAfter?: number;
}

interface Outcome {
  tokens: number[];
  text: string;
  finish: string;
}

async function run(model: LoadedModel, r: Request, cancel: boolean): Promise<Outcome> {
  const controller = new AbortController();
  const tokens: number[] = [];
  let events = 0;
  let text = '';
  let finish = '';
  for await (const ev of model.generate(r.prompt, r.params, controller.signal)) {
    if (ev.type === 'text') {
      tokens.push(...ev.tokens);
      if (cancel && r.cancelAfter !== undefined && ++events === r.cancelAfter) controller.abort();
    }
    if (ev.type === 'done') {
      text = ev.text;
      finish = ev.finishReason;
    }
  }
  return { tokens, text, finish };
}

function randomRequests(seed: number, n: number, vocab: number): Request[] {
  const rand = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  return Array.from({ length: n }, (_, i) => {
    const greedy = rand() < 0.5;
    const params: GenerateParams = greedy
      ? { temperature: 0, maxTokens: int(1, 14), ignoreEos: true }
      : { temperature: 0.9, topK: int(0, 40), topP: 0.95, seed: int(1, 1000), repetitionPenalty: 1.1, maxTokens: int(1, 14), ignoreEos: true };
    // Lengths from a single token to several prefill chunks of the batched run.
    const prompt = Array.from({ length: int(1, 90) }, () => int(5, vocab - 1));
    return { prompt, params, ...(i % 3 === 2 ? { cancelAfter: int(1, 3) } : {}) };
  });
}

const models: LoadedModel[] = [];
after(async () => {
  for (const m of models) await m.dispose();
});

for (const arch of ['qwen3', 'qwen3_5'] as const) {
  test(`${arch}: greedy and seeded outputs are token for token the same alone and in batches of up to 8 with chunked prefill and cancellations`, async () => {
    const { dir } = await ensureTestModel({ arch, dtype: 'bf16', bits: 4 });
    const alone = await loadModel(dir, { maxContext: 256, maxNumSeqs: 1, threads: 2 });
    // A budget of 24 tokens per step: every prompt above ~20 tokens is prefilled over several steps.
    const batched = await loadModel(dir, { maxContext: 256, maxNumSeqs: 8, maxNumBatchedTokens: 24, threads: 2 });
    models.push(alone, batched);
    for (const seed of [1, 2]) {
      const requests = randomRequests(seed * 100 + arch.length, 12, 400);
      const expected: Outcome[] = [];
      for (const r of requests) {
        await alone.resetCache();
        expected.push(await run(alone, r, false));
      }
      const got = await Promise.all(requests.map((r) => run(batched, r, true)));
      for (const [i, r] of requests.entries()) {
        const what = `seed ${seed} request ${i} (${r.prompt.length} prompt tokens, ${JSON.stringify(r.params)})`;
        if (r.cancelAfter !== undefined && got[i]!.finish === 'cancelled') {
          assert.deepEqual(got[i]!.tokens, expected[i]!.tokens.slice(0, got[i]!.tokens.length), `${what}: cancelled run diverged`);
        } else {
          assert.deepEqual(got[i]!.tokens, expected[i]!.tokens, what);
          assert.equal(got[i]!.text, expected[i]!.text, what);
          assert.equal(got[i]!.finish, expected[i]!.finish, what);
        }
      }
      assert.ok(got.some((g) => g.finish === 'cancelled'), 'some requests were cancelled midway');
      const stats = batched.schedulerStats;
      assert.equal(stats.running + stats.waiting, 0);
    }
    // The sequences did share steps: the same work in fewer steps than one at a time.
    const fedAlone = alone.schedulerStats.steps;
    assert.ok(batched.schedulerStats.steps < fedAlone, `batched steps ${batched.schedulerStats.steps} vs alone ${fedAlone}`);
  });
}

test('batching options out of range are refused by name', async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4 });
  await assert.rejects(loadModel(dir, { maxNumSeqs: 0 }), /maxNumSeqs must be a positive integer, got 0/);
  await assert.rejects(loadModel(dir, { maxNumBatchedTokens: 300 }), /maxNumBatchedTokens 300 is more than the engine's 256 tokens per step/);
});
