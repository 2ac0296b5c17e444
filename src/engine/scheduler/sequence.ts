// One generation request inside the scheduler: what it has fed and sampled, its consumer's flow control and grammar
// decisions, and the NativeJob face its caller (streamJob, the constrained job) drives.
import type { NativeGenerationStats, NativeJob, NativeSamplingParams, NativeTokenEvent } from '../native-types.js';

export type SequenceState = 'waiting' | 'running' | 'done';

export class Sequence implements NativeJob {
  state: SequenceState = 'waiting';
  /** Whether the native side has this sequence (it was started in a step and not removed yet). */
  started = false;
  slot = -1;
  /** Prompt, then each sampled token (what a recompute after preemption feeds). */
  readonly tokens: number[];
  /** Prompt positions other prompts likely share up to (the engine checkpoints a hybrid model's state there). */
  checkpointHints: Int32Array | null = null;
  /** Tokens passes have fed since the last admission (0: it holds no blocks of its own, only shared cached ones). */
  computedSinceAdmission = 0;
  /** Tokens the sequence's state holds (the rest are pending). */
  fed = 0;
  /** The engine holds this sequence's next-token logits, to sample once its grammar decides the mask. */
  holding = false;
  generated = 0;
  reused: number | null = null;
  cancelled = false;
  paused = false;
  /** Constrained: the next sampling step's mask (null: free), undefined until JS has decided it. */
  decision: Int32Array | null | undefined;
  released: boolean;
  readonly done: Promise<NativeGenerationStats>;
  private settle!: { resolve: (s: NativeGenerationStats) => void; reject: (e: Error) => void };
  private admittedAt = 0;
  private firstTokenAt = 0;

  constructor(
    readonly id: number,
    prompt: Int32Array,
    readonly params: NativeSamplingParams,
    private readonly onTokens: (events: NativeTokenEvent[]) => void,
    constraint: { mask: Int32Array | null } | undefined,
    private readonly wake: () => void,
  ) {
    this.tokens = Array.from(prompt);
    this.released = !constraint;
    this.decision = constraint ? constraint.mask : null;
    this.done = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
  }

  get promptTokens(): number {
    return this.tokens.length - this.generated;
  }

  /** Tokens not yet fed: the prompt (or a recompute) in chunks, then one per decode step. */
  get pending(): number {
    return this.tokens.length - this.fed;
  }

  /** Whether the sequence may sample in the next step (a constrained one waits for its grammar's decision). */
  get maySample(): boolean {
    return this.released || this.decision !== undefined;
  }

  cancel(): void {
    if (this.state === 'done' || this.cancelled) return;
    this.cancelled = true;
    this.wake();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.wake();
  }

  setMask(mask: Int32Array | null): void {
    this.decision = mask;
    this.wake();
  }

  release(): void {
    this.released = true;
    this.wake();
  }

  admitted(): void {
    if (!this.admittedAt) this.admittedAt = performance.now();
    this.computedSinceAdmission = 0;
  }

  /** A sampled token: recorded, then handed to the consumer (a throwing consumer cancels the sequence). */
  deliver(event: NativeTokenEvent): Error | null {
    if (!this.firstTokenAt) this.firstTokenAt = performance.now();
    this.holding = false;
    this.tokens.push(event.token);
    this.generated++;
    if (!this.released) this.decision = undefined;
    try {
      this.onTokens([event]);
      return null;
    } catch (err) {
      return new Error(`onTokens threw: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  finish(reason: NativeGenerationStats['finishReason']): void {
    if (this.state === 'done') return;
    this.state = 'done';
    const now = performance.now();
    const first = this.firstTokenAt || now;
    this.settle.resolve({
      promptTokens: this.promptTokens,
      reusedTokens: this.reused ?? 0,
      generatedTokens: this.generated,
      prefillMs: this.admittedAt ? first - this.admittedAt : 0,
      decodeMs: this.firstTokenAt ? now - this.firstTokenAt : 0,
      finishReason: reason,
    });
  }

  fail(err: Error): void {
    if (this.state === 'done') return;
    this.state = 'done';
    this.settle.reject(err);
  }
}
