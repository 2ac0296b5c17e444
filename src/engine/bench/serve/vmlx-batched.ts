// vmlx's own batched decode measured the way llama-batched-bench measures llama.cpp's: B sequences of `prompt`
// tokens submitted at once through the engine's scheduler (no HTTP), then `gen` tokens each. Prefill speed is the B
// prompts over the time until every sequence has its first token; decode speed is the B x (gen - 1) later tokens
// over the time from that moment to the last token. The HTTP levels of `bench serve` measure the server under
// arrivals; this is the engine beside the peer's engine-only figure.
import { loadModel } from '../../model.js';
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
  const model = await loadModel(o.modelDir, { threads: o.threads, maxContext: o.prompt + o.gen + 16, maxNumSeqs: maxB });
  try {
    const vocab = model.info.vocabSize;
    // Every sequence of every row gets its own prompt (a rotation of one random sequence), so none reuses a cached
    // prefix: llama-batched-bench prefills each row from an empty cache.
    const sequences = o.parallel.reduce((n, b) => n + b, 0) + 1;
    const base = benchPromptTokens(o.prompt + sequences, vocab);
    let next = 0;
    const nextPrompt = () => base.slice(next, next++ + o.prompt);
    // A warm-up sequence: the first pass pages weights in and packs what is packed lazily.
    await drain(model.generate(nextPrompt(), { maxTokens: 2, temperature: 0, ignoreEos: true }));
    const rows: BatchedRow[] = [];
    for (const B of o.parallel) {
      const prompts = Array.from({ length: B }, nextPrompt);
      const firstAt: number[] = [];
      const lastAt: number[] = [];
      const started = performance.now();
      await Promise.all(Array.from({ length: B }, async (_, i) => {
        let n = 0;
        for await (const ev of model.generate(prompts[i]!, { maxTokens: o.gen, temperature: 0, ignoreEos: true })) {
          if (ev.type !== 'text') continue;
          n += ev.tokens.length;
          if (firstAt[i] === undefined) firstAt[i] = performance.now();
          lastAt[i] = performance.now();
        }
        if (n !== o.gen) throw new Error(`vmlx batched decode: sequence ${i} of ${B} produced ${n} tokens, expected ${o.gen}`);
      }));
      const prefilled = Math.max(...firstAt);
      const done = Math.max(...lastAt);
      rows.push({
        pp: o.prompt, tg: o.gen, pl: B,
        speed_pp: (B * o.prompt) / ((prefilled - started) / 1000),
        speed_tg: (B * (o.gen - 1)) / ((done - prefilled) / 1000),
      });
    }
    return rows;
  } finally {
    await model.dispose();
  }
}

async function drain(events: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of events) {
    // consume
  }
}
