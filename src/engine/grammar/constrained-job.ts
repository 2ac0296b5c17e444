// One constrained generation: relays each sampled token from the native job to the grammar thread and the next
// step's mask back. The native worker waits for that mask only after its forward pass for the token, so the relay
// overlaps the decode step instead of adding to it. Inside a reasoning block the job runs free until the block's
// closing marker appears, then the grammar starts; near the end of the budget the closing marker is forced.
import type { NativeJob, NativeSamplingParams, NativeSession, NativeTokenEvent } from '../native-types.js';
import type { TextTokenizer } from '../tokenizer.js';
import type { ConstraintStats, GenerationConstraint } from '../types.js';
import { GrammarError, type GrammarThread, type MaskReply } from './grammar-thread.js';

/** Of the budget, this much (at most) is kept for the constrained answer after a reasoning block. */
export function answerReserve(maxTokens: number): number {
  return Math.min(Math.floor(maxTokens / 2), 192);
}

export interface ConstrainedJob {
  job: NativeJob;
  stats: ConstraintStats;
}

export async function startConstrainedJob(
  session: Pick<NativeSession, 'generate'>,
  grammar: GrammarThread,
  tokenizer: TextTokenizer,
  prompt: Int32Array,
  sampling: NativeSamplingParams,
  constraint: GenerationConstraint,
  onTokens: (events: NativeTokenEvent[]) => void,
): Promise<ConstrainedJob> {
  const stats: ConstraintStats = { masks: 0, maskMs: 0, steered: false, started: false };
  let grammarJob = 0;
  let failure: Error | null = null;
  let released = false;
  let generated = 0;
  // Reasoning first: free until the close marker is in the text, then the grammar over what is left of the budget.
  const reasoning = constraint.reasoning;
  let waiting = reasoning?.opened ? reasoning.close : null;
  let seen = '';
  const markerId = reasoning ? tokenizer.tokenToId(reasoning.close) : undefined;
  // The model may open the block itself with its first token (when the open marker is one token).
  const openId = reasoning && !reasoning.opened ? tokenizer.tokenToId(reasoning.open) : undefined;
  let firstToken = true;

  const record = (r: MaskReply): Int32Array | null => {
    if ('done' in r) return null;
    stats.masks++;
    stats.maskMs += r.maskMs;
    if (r.steering) stats.steered = true;
    return r.mask;
  };
  const begin = async (): Promise<Int32Array | null> => {
    const started = await grammar.start(constraint.spec, sampling.maxTokens - generated);
    grammarJob = started.job;
    stats.started = true;
    return record(started.first);
  };
  const forcedMarker = (): Int32Array | undefined => {
    if (markerId === undefined || sampling.maxTokens - generated > answerReserve(sampling.maxTokens)) return undefined;
    const mask = new Int32Array((markerId >>> 5) + 1);
    mask[markerId >>> 5] = 1 << (markerId & 31);
    return mask;
  };

  let first = waiting ? (forcedMarker() ?? null) : await begin();
  if (first && openId !== undefined && sampling.maxTokens > 2 * answerReserve(sampling.maxTokens)) {
    const widened = new Int32Array(Math.max(first.length, (openId >>> 5) + 1));
    widened.set(first);
    widened[openId >>> 5]! |= 1 << (openId & 31);
    first = widened;
  }
  let native!: NativeJob;
  // Decisions are chained so that they reach the native job in token order.
  let chain: Promise<void> = Promise.resolve();
  const decide = (token: number) => {
    chain = chain.then(async () => {
      if (released || failure) return;
      try {
        let next: Int32Array | null | 'done';
        const isFirst = firstToken;
        firstToken = false;
        if (isFirst && openId !== undefined && token === openId) {
          // The model opened a reasoning block: the grammar restarts after it.
          grammar.end(grammarJob);
          grammarJob = 0;
          stats.started = false;
          waiting = reasoning!.close;
          next = forcedMarker() ?? null;
        } else if (waiting) {
          seen += tokenizer.decode([token]);
          if (seen.includes(waiting)) {
            waiting = null;
            next = await begin();
          } else next = forcedMarker() ?? null;
        } else {
          const r = await grammar.accept(grammarJob, token);
          next = 'done' in r ? 'done' : record(r);
        }
        if (next === 'done') {
          released = true;
          native.release?.();
        } else native.setMask?.(next);
      } catch (err) {
        failure = err instanceof Error ? err : new GrammarError(String(err));
        native.cancel();
      }
    });
  };
  native = session.generate(prompt, sampling, (events) => {
    for (const ev of events) {
      generated++;
      if (!released) decide(ev.token);
    }
    onTokens(events);
  }, { mask: first });
  const done = native.done.then(
    async (s) => {
      await chain;
      if (grammarJob) grammar.end(grammarJob);
      if (failure) throw failure;
      return s;
    },
    async (err: unknown) => {
      await chain;
      if (grammarJob) grammar.end(grammarJob);
      throw err;
    },
  );
  return { job: { ...nativeMethods(native), done }, stats };
}

function nativeMethods(job: NativeJob): Omit<NativeJob, 'done'> {
  return {
    cancel: () => job.cancel(),
    ...(job.pause ? { pause: () => job.pause!() } : {}),
    ...(job.resume ? { resume: () => job.resume!() } : {}),
  };
}
