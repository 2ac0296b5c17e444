// How much prompt a step may feed beside decoding sequences. A step's time is what every decoding stream waits
// between two tokens, so a 256-token prompt chunk that takes seconds on a CPU stalls them all for seconds. The pacer
// learns two figures from the steps as they run (a decode-only step's time, per count of decoding sequences, and the
// extra time a prompt token adds to a step that also decodes) and sizes the prompt share so that a mixed step takes
// at most `stepRatio` times a decode-only one (until one is timed, and every few mixed steps to time it again as the
// decoders' contexts grow, a step beside decoders is decode-only). With nobody decoding, a prompt gets the whole token budget: only its
// own first token waits. The cost is a longer time to first token for a prompt admitted beside running streams.

export interface PrefillPacerOptions {
  /** A mixed step may take this many times a decode-only step (must be > 1). */
  stepRatio: number;
  /** The step's whole token budget (the scheduler's maxNumBatchedTokens). */
  maxTokens: number;
  /** Prompt tokens of the first mixed steps, before any has been timed. */
  initialTokens?: number;
}

/** Weight of a new observation in the moving averages: recent steps matter, one outlier does not decide. */
const SMOOTHING = 0.25;
const DEFAULT_INITIAL_TOKENS = 16;
/**
 * Every this many mixed steps in a row, one decode-only step: the decoders' own step grows as their contexts do, and a
 * stale figure would be read as a costlier prompt token (shrinking the chunks to one token while the step still
 * takes twice the old decode time).
 */
export const DECODE_REFRESH_STEPS = 8;

export class PrefillPacer {
  /** Moving average of a decode-only step's time, keyed by the number of decoding sequences in it. */
  private readonly decodeStepMs = new Map<number, number>();
  /** Moving average of the time one prompt token adds to a step that also decodes. */
  private promptTokenMs: number | undefined;
  /** Mixed steps since the last decode-only one. */
  private mixedInARow = 0;

  constructor(private readonly opts: PrefillPacerOptions) {
    if (!(opts.stepRatio > 1)) throw new RangeError(`stepRatio must be greater than 1 (got ${opts.stepRatio})`);
  }

  /** Prompt tokens a step may feed, all prompts together, when `decoding` sequences also feed one token each. */
  promptBudget(decoding: number): number {
    const max = Math.max(0, this.opts.maxTokens - decoding);
    if (decoding === 0) return max;
    const decodeMs = this.decodeMs(decoding);
    // No decode-only step timed yet (everything so far had prompts in it): make this one decode-only, to time it.
    if (decodeMs === undefined || this.mixedInARow >= DECODE_REFRESH_STEPS) return 0;
    if (this.promptTokenMs === undefined) return Math.min(max, this.opts.initialTokens ?? DEFAULT_INITIAL_TOKENS);
    const spareMs = (this.opts.stepRatio - 1) * decodeMs;
    return Math.min(max, Math.max(1, Math.floor(spareMs / Math.max(this.promptTokenMs, 1e-3))));
  }

  /** A step ran: `decoding` sequences fed one token each, prompts fed `promptTokens`, and it took `ms`. */
  observe(decoding: number, promptTokens: number, ms: number): void {
    if (decoding === 0 || !Number.isFinite(ms) || ms < 0) return;
    if (promptTokens === 0) {
      this.decodeStepMs.set(decoding, average(this.decodeStepMs.get(decoding), ms));
      this.mixedInARow = 0;
      return;
    }
    this.mixedInARow++;
    const decodeMs = this.decodeMs(decoding);
    if (decodeMs === undefined) return;
    this.promptTokenMs = average(this.promptTokenMs, Math.max(0, ms - decodeMs) / promptTokens);
  }

  /** The decode-only time for this many decoders, or that of the nearest count measured. */
  private decodeMs(decoding: number): number | undefined {
    const exact = this.decodeStepMs.get(decoding);
    if (exact !== undefined) return exact;
    let nearest: [number, number] | undefined;
    for (const [count, ms] of this.decodeStepMs) {
      if (!nearest || Math.abs(count - decoding) < Math.abs(nearest[0] - decoding)) nearest = [count, ms];
    }
    return nearest?.[1];
  }
}

function average(prev: number | undefined, sample: number): number {
  return prev === undefined ? sample : prev + SMOOTHING * (sample - prev);
}
