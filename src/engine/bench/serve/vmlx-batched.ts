// vmlx's own batched decode measured the way llama-batched-bench measures llama.cpp's: the engine's batch with no
// HTTP and no scheduler around it. For each B, B sequences of `prompt` tokens are prefilled (as many steps as the
// engine's step budget needs), then all B decode in lockstep, one token each per step, for `gen` - 1 steps. Prefill
// speed is B x prompt over the prefill steps; decode speed is the decoded tokens over the decode steps. (The
// scheduler would interleave the prompts with the first sequences' decoding instead; the HTTP levels of `bench
// serve` measure that.)
import { loadAddon } from '../../addon.js';
import { defaultKvCacheBytes } from '../../kv-budget.js';
import { buildModelSpec } from '../../models/index.js';
import type { NativeBatch, NativeBatchEntry } from '../../native-types.js';
import { resolveSampling } from '../../sampling.js';
import { benchPromptTokens } from '../measure.js';
import type { BatchedRow } from './batched-bench.js';

export interface VmlxBatchedOptions {
  modelDir: string;
  threads: number;
  prompt: number;
  gen: number;
  parallel: number[];
}

/** One row per B, in the order of `parallel`; rows carry llama-batched-bench's fields (pp, tg, pl, speeds). */
export async function runVmlxBatched(o: VmlxBatchedOptions): Promise<BatchedRow[]> {
  if (o.gen < 2) throw new RangeError(`vmlx batched decode needs at least 2 new tokens, got ${o.gen}`);
  const maxB = Math.max(...o.parallel);
  const context = o.prompt + o.gen + 16;
  const { spec, config } = buildModelSpec(o.modelDir, { threads: o.threads, contextLength: context });
  const native = await loadAddon().loadModel(spec, () => undefined);
  try {
    // The paged KV pool `vmlx serve` uses, its default for one context as long as every sequence of the largest B.
    const kvCacheBytes = defaultKvCacheBytes(spec, context * maxB, native.weightBytes());
    const batch = native.createBatch(context, maxB, { kvCacheBytes });
    try {
      // Every sequence of every row gets its own prompt (a rotation of one random sequence), so none reuses a
      // cached prefix: llama-batched-bench prefills each row from an empty cache.
      const sequences = o.parallel.reduce((n, b) => n + b, 0) + 1;
      const base = benchPromptTokens(o.prompt + sequences, config.vocabSize);
      let next = 0;
      const nextPrompt = () => Int32Array.from(base.slice(next, next++ + o.prompt));
      let id = 1;
      // A warm-up sequence: the first pass pages weights in and packs what is packed lazily.
      await runRow(batch, [nextPrompt()], 2, id++);
      const rows: BatchedRow[] = [];
      for (const B of o.parallel) {
        const prompts = Array.from({ length: B }, nextPrompt);
        const r = await runRow(batch, prompts, o.gen, id);
        id += B;
        rows.push({ pp: o.prompt, tg: o.gen, pl: B, speed_pp: (B * o.prompt) / (r.prefillMs / 1000), speed_tg: r.decoded / (r.decodeMs / 1000) });
      }
      return rows;
    } finally {
      batch.dispose();
    }
  } finally {
    native.dispose();
  }
}

/** B prompts in slots 0..B-1 with ids from `firstId`: prefill all, then gen - 1 lockstep decode steps; removes them. */
async function runRow(batch: NativeBatch, prompts: Int32Array[], gen: number, firstId: number): Promise<{ prefillMs: number; decodeMs: number; decoded: number }> {
  const ids = prompts.map((_, i) => firstId + i);
  const left = prompts.map((p) => p.length);
  const started = performance.now();
  let plan: NativeBatchEntry[] = ids.map((seqId, i) => ({ id: seqId, start: { prompt: prompts[i]!, params: resolveSampling({ temperature: 0, seed: 1, ignoreEos: true }, { eosTokenIds: [] }, [], gen + 1) }, slot: i, feed: left[i]! }));
  while (left.some((n) => n > 0)) {
    const results = await batch.step(plan);
    for (const r of results) {
      if (r.cacheError) throw new Error(`vmlx batched decode: ${r.cacheError}`);
      left[ids.indexOf(r.id)]! -= r.fed;
    }
    plan = ids.flatMap((seqId, i) => (left[i]! > 0 ? [{ id: seqId, feed: left[i]! }] : []));
  }
  const prefilled = performance.now();
  let decoded = 0;
  for (let s = 1; s < gen; s++) {
    const results = await batch.step(ids.map((seqId) => ({ id: seqId, feed: 1 })));
    decoded += results.filter((r) => r.event).length;
  }
  const done = performance.now();
  if (decoded !== prompts.length * (gen - 1)) throw new Error(`vmlx batched decode: ${decoded} tokens decoded, expected ${prompts.length * (gen - 1)}`);
  await batch.step(ids.map((seqId) => ({ id: seqId, remove: true })));
  return { prefillMs: prefilled - started, decodeMs: done - prefilled, decoded };
}
