// Continuous batching: every generation request of a model (the server's and the in-process chat's) runs through
// one Scheduler, which drives the native batch one step at a time. Each step it ends cancelled sequences, admits
// waiting ones first-come up to maxNumSeqs, preempts the newest running ones when `preemptWhen` says their state is
// too large (they go back to the front of the queue and recompute later), and spends a budget of
// maxNumBatchedTokens: one token for each decoding sequence first, then prompt chunks in arrival order, so a long
// prompt is prefilled over several steps interleaved with the others' decoding instead of stalling them. Beside
// decoding sequences the prompt share of a step is sized by time (PrefillPacer), so their inter-token gaps stay
// within a small multiple of a decode-only step's, unless more sequences wait for their first token than for their
// next one.
// The paged KV pool's memory signal: a step whose pass cannot get its blocks ("out of cache memory") feeds nothing.
// The scheduler then puts back in the queue the admitted sequences that hold nothing yet (they only wait for the
// token budget) or, when there are none, preempts the newest one that holds blocks (they go back to the pool, its
// full ones stay in the prefix cache for its recompute); it then runs at most that many sequences, admitting one
// more only as one ends (or after a run of steps without running out); a sequence running alone fails with a
// CacheMemoryError instead. A burst of long prompts is so prefilled a few at a time, not all at once and then
// preempted one by one.
import type { NativeBatch, NativeBatchEntry, NativeBatchResult, NativeJob, NativeSamplingParams, NativeTokenEvent } from '../native-types.js';
import { CacheMemoryError } from '../errors.js';
import { Sequence } from './sequence.js';
import { PrefillPacer } from './prefill-pacer.js';

export interface SchedulerOptions {
  /** Sequences running at once (the native batch's slots). */
  maxNumSeqs: number;
  /** Tokens fed per step, all sequences together (at most the engine's maxStepTokens). */
  maxNumBatchedTokens: number;
  /**
   * The preemption signal: given the tokens the running sequences' states would hold after the next step, true means
   * too many (the newest running sequence is preempted, and the question asked again). The paged KV pool's memory
   * budget drives it; tests give it an artificial limit.
   */
  preemptWhen?: (runningTokens: number) => boolean;
  /**
   * A step that feeds prompt tokens beside decoding sequences may take this many times a decode-only step
   * (default 2): the prompt share is sized from the steps' measured times.
   */
  prefillStepRatio?: number;
  /** Milliseconds, for timing steps (tests give a clock driven by a cost model). */
  clock?: () => number;
}

/** Mixed steps at most twice a decode-only step: running streams' p99 gap stays under 3x their median. */
const DEFAULT_PREFILL_STEP_RATIO = 2;

export interface SchedulerStats {
  running: number;
  waiting: number;
  preemptions: number;
  steps: number;
}

export class Scheduler {
  private readonly waiting: Sequence[] = [];
  private readonly running: Sequence[] = [];
  /** Sequences the native side still holds that ended (removed in the next step). */
  private readonly ended: Sequence[] = [];
  /** What each slot's state holds (a mirror, to pick the slot with the longest reusable prefix), and its sequence. */
  private readonly slotTokens: number[][];
  private readonly slotOwner: (Sequence | null)[];
  private nextId = 1;
  private looping = false;
  private wakeUp: (() => void) | null = null;
  private closedWith: Error | null = null;
  private counters = { preemptions: 0, steps: 0 };
  /** The last step ran out of cache memory: the next plan makes room (see preempt). */
  private memoryPressure = false;
  /** Sequences allowed to run since the pool last ran out (Infinity once nothing runs). */
  private memoryBound = Infinity;
  /** Steps in a row that had their blocks while the bound held sequences back (the bound grows by one after many). */
  private stepsWithinBound = 0;
  /**
   * Settlements that wait until the native side has dropped their sequence (its remove entry's step completed), so
   * that a caller who sees a request end also sees its KV blocks back in the pool.
   */
  private readonly settleOnRemoval = new Map<Sequence, () => void>();
  private stepSettles: (() => void)[] = [];
  private readonly pacer: PrefillPacer;
  /** What the planned step feeds: decoding sequences (one token each) and prompt tokens. */
  private planned = { decoding: 0, promptTokens: 0 };

  constructor(
    private readonly batch: NativeBatch,
    private readonly opts: SchedulerOptions,
  ) {
    this.pacer = new PrefillPacer({ stepRatio: opts.prefillStepRatio ?? DEFAULT_PREFILL_STEP_RATIO, maxTokens: opts.maxNumBatchedTokens });
    this.slotTokens = Array.from({ length: opts.maxNumSeqs }, () => []);
    this.slotOwner = Array.from({ length: opts.maxNumSeqs }, () => null);
  }

  get stats(): SchedulerStats {
    return { running: this.running.length, waiting: this.waiting.length, ...this.counters };
  }

  /** Same contract as NativeSession.generate: a job whose tokens arrive through onTokens, in order. */
  generate(
    prompt: Int32Array,
    params: NativeSamplingParams,
    onTokens: (events: NativeTokenEvent[]) => void,
    constraint?: { mask: Int32Array | null },
    checkpointHints?: number[],
  ): NativeJob {
    const seq = new Sequence(this.nextId++, prompt, params, onTokens, constraint, () => this.wake());
    if (checkpointHints?.length) seq.checkpointHints = Int32Array.from(checkpointHints);
    if (this.closedWith) seq.fail(this.closedWith);
    else {
      this.waiting.push(seq);
      this.wake();
    }
    return seq;
  }

  /** Forgets the cached prefixes of idle slots. */
  reset(): void {
    this.batch.reset();
    this.slotOwner.forEach((owner, i) => {
      if (!owner) this.slotTokens[i] = [];
    });
  }

  /** Fails every queued and running sequence with `err` and refuses new ones. */
  close(err: Error): void {
    this.closedWith = err;
    for (const seq of this.waiting.splice(0)) {
      if (seq.started) this.ended.push(seq);
      seq.fail(err);
    }
    for (const seq of [...this.running]) this.end(seq, () => seq.fail(err));
    for (const settle of [...this.stepSettles.splice(0), ...this.settleOnRemoval.values()]) settle();
    this.settleOnRemoval.clear();
    this.wake();
  }

  private wake(): void {
    if (this.wakeUp) {
      const w = this.wakeUp;
      this.wakeUp = null;
      w();
    }
    if (!this.looping) {
      this.looping = true;
      void this.loop();
    }
  }

  private async loop(): Promise<void> {
    try {
      while (this.running.length || this.waiting.length || this.ended.length) {
        const plan = this.plan();
        if (!plan.length) {
          // Everything runnable is paused or waits for its grammar: sleep until one of them changes.
          await new Promise<void>((r) => (this.wakeUp = r));
          continue;
        }
        let results: NativeBatchResult[];
        const { decoding, promptTokens } = this.planned;
        const clock = this.opts.clock ?? performance.now.bind(performance);
        const started = clock();
        try {
          results = await this.batch.step(plan);
          this.pacer.observe(decoding, promptTokens, clock() - started);
        } catch (err) {
          this.failStep(plan, err instanceof Error ? err : new Error(String(err)));
          continue;
        } finally {
          for (const settle of this.stepSettles.splice(0)) settle();
        }
        this.counters.steps++;
        this.apply(results);
        this.relaxMemoryBound();
      }
    } finally {
      this.looping = false;
    }
  }

  private plan(): NativeBatchEntry[] {
    const entries = new Map<number, NativeBatchEntry>();
    const entry = (seq: Sequence) => {
      let e = entries.get(seq.id);
      if (!e) entries.set(seq.id, (e = { id: seq.id }));
      return e;
    };
    for (const seq of this.ended.splice(0)) {
      if (seq.started) entry(seq).remove = true;
      const settle = this.settleOnRemoval.get(seq);
      if (settle) this.stepSettles.push(settle);
      this.settleOnRemoval.delete(seq);
    }
    this.dropCancelled(entry);
    // Room first (after running out of blocks the bound shrinks), then admissions within it.
    this.preempt(entry);
    this.admit(entry);
    // Decoding sequences first (one token each), then prompt chunks in arrival order, within what the pacer allows
    // beside the decoders.
    const runnable = this.running.filter((seq) => !seq.paused);
    for (const seq of runnable.filter((s) => s.holding)) {
      // Its logits wait in the engine; it samples (without a pass of its own) once its grammar has decided.
      if (seq.maySample) {
        const e = entry(seq);
        if (seq.decision) e.mask = seq.decision;
      }
    }
    const feeding = runnable.filter((s) => !s.holding && s.pending >= 1).sort((a, b) => a.id - b.id);
    const decoders = feeding.filter((s) => s.pending === 1).slice(0, this.opts.maxNumBatchedTokens);
    const prompts = feeding.filter((s) => s.pending > 1);
    // A paused stream (its consumer is behind) still waits for its next token once it resumes: a long step now
    // would be its next gap too, so it counts as decoding for the pacing.
    const waitingForTokens = decoders.length + this.running.filter((s) => s.paused && s.pending === 1).length;
    // Pacing trades the prompts' first token for the decoders' next ones; when more sequences wait for a first token
    // than for a next one (a burst of arrivals), a whole-budget step serves more of them.
    const paced = prompts.length <= waitingForTokens;
    let promptBudget = Math.min(this.opts.maxNumBatchedTokens - decoders.length, paced ? this.pacer.promptBudget(waitingForTokens) : Infinity);
    this.planned = { decoding: decoders.length, promptTokens: 0 };
    for (const seq of decoders) this.feed(entry(seq), seq, 1);
    for (const seq of prompts) {
      const feed = Math.min(promptBudget, seq.pending);
      if (feed < 1) break;
      this.feed(entry(seq), seq, feed);
      promptBudget -= feed;
      this.planned.promptTokens += feed;
    }
    const plan = [...entries.values()];
    // Removals and preemptions first: the slots they free may be attached further down the same plan.
    return plan.sort((a, b) => Number(!(a.remove || a.preempt)) - Number(!(b.remove || b.preempt)));
  }

  private feed(e: NativeBatchEntry, seq: Sequence, tokens: number): void {
    e.feed = tokens;
    // A constrained sequence whose grammar is still deciding feeds its token anyway and holds the logits: the pass
    // overlaps the grammar's work. Set on every feed, not only when it completes the pending tokens by this count: an
    // attach may reuse more than the slot mirror guessed (the paged prefix cache), and the engine applies them only
    // when the sequence samples.
    if (!seq.maySample) e.hold = true;
    else if (seq.decision) e.mask = seq.decision;
  }

  private dropCancelled(entry: (seq: Sequence) => NativeBatchEntry): void {
    for (const list of [this.running, this.waiting]) {
      for (const seq of list.filter((s) => s.cancelled)) {
        list.splice(list.indexOf(seq), 1);
        this.vacate(seq);
        if (seq.started) {
          entry(seq).remove = true;
          this.stepSettles.push(() => seq.finish('cancelled'));
        } else seq.finish('cancelled');
      }
    }
  }

  /** Tokens the running sequences' states hold once their pending tokens are fed. */
  private heldTokens(): number {
    return this.running.reduce((n, s) => n + s.tokens.length, 0);
  }

  private admit(entry: (seq: Sequence) => NativeBatchEntry): void {
    const when = this.opts.preemptWhen;
    while (this.running.length < Math.min(this.opts.maxNumSeqs, this.memoryBound) && this.waiting.length) {
      // Admitting what the preemption signal would take back at once only churns; wait for room instead.
      if (when && this.running.length && when(this.heldTokens() + this.waiting[0]!.tokens.length)) break;
      const seq = this.waiting.shift()!;
      const slot = this.pickSlot(seq.tokens);
      const e = entry(seq);
      if (!seq.started) {
        e.start = { prompt: Int32Array.from(seq.tokens), params: seq.params, ...(seq.checkpointHints ? { checkpointHints: seq.checkpointHints } : {}) };
        seq.started = true;
      }
      e.slot = slot;
      this.slotOwner[slot] = seq;
      seq.slot = slot;
      // What the native attach will reuse (the result confirms it).
      seq.fed = commonPrefix(this.slotTokens[slot]!, seq.tokens);
      seq.state = 'running';
      seq.admitted();
      this.running.push(seq);
    }
  }

  private preempt(entry: (seq: Sequence) => NativeBatchEntry): void {
    if (this.memoryPressure && this.running.length > 1) {
      // Admitted sequences that hold nothing yet go back to the queue (nothing is lost); only if there are none is
      // one holding blocks preempted.
      const idle = this.running.filter((s) => s.computedSinceAdmission === 0 && !s.holding);
      if (idle.length && idle.length < this.running.length) for (const seq of idle) this.requeue(seq, entry, false);
      else this.preemptNewest(entry);
      this.memoryBound = this.running.length;
    }
    this.memoryPressure = false;
    const when = this.opts.preemptWhen;
    if (!when) return;
    while (this.running.length > 1 && when(this.heldTokens())) this.preemptNewest(entry);
  }

  private preemptNewest(entry: (seq: Sequence) => NativeBatchEntry): void {
    this.requeue(this.running.reduce((a, b) => (b.id > a.id ? b : a)), entry, true);
  }

  /** Takes a running sequence back to the queue; it recomputes what it held when admitted again. */
  private requeue(seq: Sequence, entry: (seq: Sequence) => NativeBatchEntry, preemption: boolean): void {
    this.running.splice(this.running.indexOf(seq), 1);
    const e = entry(seq);
    delete e.slot;
    delete e.feed;
    e.preempt = true;
    this.vacate(seq);
    this.slotTokens[seq.slot]!.length = 0;
    seq.slot = -1;
    seq.fed = 0;
    seq.holding = false;
    seq.state = 'waiting';
    if (preemption) this.counters.preemptions++;
    // Back in arrival order: it is older than anything that arrived after it.
    const at = this.waiting.findIndex((w) => w.id > seq.id);
    this.waiting.splice(at < 0 ? this.waiting.length : at, 0, seq);
  }

  private apply(results: NativeBatchResult[]): void {
    let cacheError: string | undefined;
    for (const r of results) {
      const seq = this.running.find((s) => s.id === r.id);
      if (!seq) continue;
      cacheError ??= r.cacheError;
      const held = this.slotTokens[seq.slot]!;
      if (r.reused !== undefined) {
        seq.fed = r.reused;
        seq.reused ??= r.reused;
        held.length = r.reused;
      }
      held.push(...seq.tokens.slice(seq.fed, seq.fed + r.fed));
      seq.fed += r.fed;
      seq.computedSinceAdmission += r.fed;
      if (r.held) seq.holding = true;
      if (!r.event || seq.cancelled) continue;
      const err = seq.deliver(r.event);
      if (err) this.end(seq, () => seq.fail(err));
      else if (r.finish) this.end(seq, () => seq.finish(r.finish!), false);
    }
    if (cacheError !== undefined) this.outOfCacheMemory(cacheError);
  }

  /**
   * After a run of steps that had their blocks with sequences held back by the memory bound, one more may run: the
   * bound follows memory that frees up (a long sequence ending, cached blocks evicted) without waiting for an end.
   */
  private relaxMemoryBound(): void {
    if (this.memoryPressure || !Number.isFinite(this.memoryBound) || !this.waiting.length) {
      this.stepsWithinBound = 0;
      return;
    }
    if (++this.stepsWithinBound >= 32) {
      this.memoryBound++;
      this.stepsWithinBound = 0;
    }
  }

  /** A pass ran out of KV blocks: preempt the newest of several running sequences, or fail the one running alone. */
  private outOfCacheMemory(message: string): void {
    if (this.running.length > 1) {
      this.memoryPressure = true;
    } else if (this.running.length === 1) {
      const seq = this.running[0]!;
      this.end(seq, () => seq.fail(new CacheMemoryError(message)));
    }
  }

  /**
   * Takes `seq` out of the running set. A sequence the engine still holds (failed, or cut off by its consumer) is
   * settled once the step that removes it has run; one that finished (eos, length) has given its blocks back already.
   */
  private end(seq: Sequence, settle: () => void, afterRemoval = true): void {
    this.running.splice(this.running.indexOf(seq), 1);
    this.vacate(seq);
    this.ended.push(seq);
    if (!this.running.length) this.memoryBound = Infinity;
    if (afterRemoval && seq.started && !this.closedWith) this.settleOnRemoval.set(seq, settle);
    else settle();
  }

  private vacate(seq: Sequence): void {
    if (seq.slot >= 0 && this.slotOwner[seq.slot] === seq) this.slotOwner[seq.slot] = null;
  }

  /** A step failed: its sequences fail with the error (the native side keeps nothing consistent for them). */
  private failStep(plan: NativeBatchEntry[], err: Error): void {
    for (const e of plan) {
      const seq = this.running.find((s) => s.id === e.id);
      if (seq) this.end(seq, () => seq.fail(err));
    }
  }

  /** The free slot whose cached tokens share the longest prefix with `tokens`. */
  private pickSlot(tokens: number[]): number {
    let best = -1;
    let bestLen = -1;
    this.slotOwner.forEach((owner, i) => {
      if (owner) return;
      const n = commonPrefix(this.slotTokens[i]!, tokens);
      if (n > bestLen) [best, bestLen] = [i, n];
    });
    return best;
  }
}

function commonPrefix(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return Math.min(i, b.length - 1);
}
