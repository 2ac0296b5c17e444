// The contract between the TypeScript engine and the C++ addon (native/).
// TypeScript validates model directories and resolves every tensor; the addon mmaps the files
// and computes. Everything slow runs on the addon's own threads, never on the JS main thread.

// The model plan (layers + tensor table) is defined by the zod schemas in plan.ts.
export type { NativeDType, NativeModelPlan, NativeTensorRef, PlanTensor } from './plan.js';
import type { ActivationMode, NativeModelPlan } from './plan.js';

export interface NativeSamplingParams {
  maxTokens: number;
  temperature: number; // 0 = greedy
  topK: number; // 0 = off
  topP: number; // 1 = off
  minP: number; // 0 = off
  repetitionPenalty: number; // 1 = off
  presencePenalty: number; // 0 = off
  frequencyPenalty: number; // 0 = off
  /** How many recent tokens (prompt + generated) the penalties look at; 0 = all. */
  penaltyWindow: number;
  seed: number; // uint32; the same seed, prompt and params give the same tokens
  /** Token ids that end generation (the EOS token itself is not emitted as text, but is reported). */
  eosTokenIds: Int32Array;
  /** Number of top alternatives to report per generated token; 0 = no logprobs at all. */
  topLogprobs: number;
  logprobs: boolean;
}

/** One generated token, delivered on the JS thread in order. */
export interface NativeTokenEvent {
  token: number;
  /** log-softmax of the sampled token under the unmodified distribution (when logprobs requested). */
  logprob?: number;
  topTokens?: Int32Array;
  topLogprobs?: Float32Array;
}

export interface NativeGenerationStats {
  promptTokens: number;
  /** Prompt tokens whose KV was reused from the session's cache (not recomputed). */
  reusedTokens: number;
  generatedTokens: number;
  prefillMs: number;
  decodeMs: number;
  finishReason: 'eos' | 'length' | 'cancelled';
}

export interface NativeJob {
  /** Stops generation within one decode step (or one prefill chunk). Idempotent; also ends a pause. */
  cancel(): void;
  /** Holds the generation after its next token until resume() or cancel() (flow control for a slow consumer). */
  pause?(): void;
  resume?(): void;
  /** Constrained jobs: the next step's token bitmask (bit i of word i>>5 allows token i), or null for a free step. */
  setMask?(mask: Int32Array | null): void;
  /** Constrained jobs: no more masks are coming; the rest of the generation is free. */
  release?(): void;
  readonly done: Promise<NativeGenerationStats>;
}

export interface NativeSession {
  /**
   * Prefill `prompt` (reusing the longest common prefix already in this session's KV cache) and sample up to
   * maxTokens tokens. `onTokens` is called on the JS thread with one or more tokens in order.
   */
  generate(
    prompt: Int32Array,
    params: NativeSamplingParams,
    onTokens: (events: NativeTokenEvent[]) => void,
    /**
     * Makes a constrained job: before each sampling step the engine waits for that step's decision (setMask or
     * release); `mask` is the first step's. Disallowed tokens get -inf logits (logprobs are of the masked distribution).
     */
    constraint?: { mask: Int32Array | null },
  ): NativeJob;
  /**
   * Teacher-forced evaluation: for every position i, the top-k log-probabilities of the next token after tokens[0..i].
   * Returns flat arrays of length tokens.length * k. Used by parity tests and perplexity.
   */
  evaluate(tokens: Int32Array, topK: number, probe?: RouterProbeOptions): Promise<EvaluateResult>;
  /** Number of tokens currently in the KV cache. */
  cachedTokens(): number;
  reset(): void;
  dispose(): void;
}

/**
 * What evaluate can ask of the MoE routers (the parity rule for a routing near-tie): the gap between the k-th and
 * (k+1)-th router logits per position and layer, and one routing call taken the other way (the (k+1)-th expert runs
 * instead of the k-th at that layer and position; an error if that layer has no router).
 */
export interface RouterProbeOptions {
  routerGaps?: boolean;
  routerFlip?: { layer: number; position: number };
}

export interface EvaluateResult {
  ids: Int32Array;
  logprobs: Float32Array;
  /** With a probe: [tokens.length][layers] gaps, NaN in layers without a router. */
  routerGaps?: Float32Array;
  layers?: number;
}

/**
 * One sequence's part of a batched step, applied in this order: remove (end the sequence), preempt (free its state;
 * it keeps its tokens and sampler), start (a new sequence), slot (attach to that slot, reusing its cached prefix),
 * then feed up to `feed` of its pending tokens; `mask` constrains the token it samples in this step, if it does
 * (after the feed, or from logits held by an earlier step).
 */
export interface NativeBatchEntry {
  id: number;
  remove?: boolean;
  preempt?: boolean;
  /** checkpointHints: prompt positions other prompts likely share up to; hybrid models checkpoint their recurrent state there. */
  start?: { prompt: Int32Array; params: NativeSamplingParams; checkpointHints?: Int32Array };
  slot?: number;
  feed?: number;
  mask?: Int32Array;
  /** Keep the logits instead of sampling when the feed completes; a later entry without feed samples from them. */
  hold?: boolean;
}

export interface NativeBatchResult {
  id: number;
  /** Tokens reused from the slot's cache, when the entry attached the sequence. */
  reused?: number;
  /** Tokens this step fed. */
  fed: number;
  /** The engine kept this step's logits (entry.hold). */
  held?: boolean;
  /** The token sampled after the sequence's pending tokens were all fed. */
  event?: NativeTokenEvent;
  /** Set when the sequence ended in this step. */
  finish?: 'eos' | 'length';
  /**
   * The step's pass could not get the paged KV blocks it writes ("out of cache memory: ..."): nothing was fed for
   * this sequence, its state is as before the step. The scheduler preempts another sequence or fails this one.
   */
  cacheError?: string;
}

/** Sequences that share forward passes (one slot per running sequence); driven by the scheduler. */
export interface NativeBatch {
  /** One forward pass over every entry with tokens to feed; rejects (and changes nothing after the failing entry) on a bad plan. */
  step(plan: NativeBatchEntry[]): Promise<NativeBatchResult[]>;
  /** Forgets the cached tokens of every slot no sequence occupies. */
  reset(): void;
  dispose(): void;
}

/** The shared paged KV pool and prefix cache of a model (counters are totals since load). */
export interface NativeCacheFigures {
  /** Pool blocks (one attention layer × blockTokens positions each), free ones, and the bytes of one. */
  blocks: number;
  freeBlocks: number;
  blockBytes: number;
  blockTokens: number;
  /** Prefix-cache entries (full token blocks across all layers) and recurrent checkpoints held. */
  cachedBlocks: number;
  snapshots: number;
  /** Block references held by running requests (0 once every request has ended or been cancelled). */
  sequenceBlockRefs: number;
  lookups: number;
  hits: number;
  promptTokens: number;
  cachedTokens: number;
  evictions: number;
  /** Allocations refused after evicting everything evictable. */
  outOfMemory: number;
}

export interface NativeModel {
  /**
   * Makes a session. Without kvCacheBytes it allocates its own float16 KV cache of maxContext positions up front;
   * with it, its attention layers take blocks from the model's shared paged pool of that many bytes (made by the
   * first such session) and reuse any cached prefix of earlier requests.
   */
  createSession(maxContext: number, opts?: { kvCacheBytes?: number }): NativeSession;
  /**
   * `slots` sequence states of maxContext tokens each (memory becomes resident as positions are written); with
   * kvCacheBytes, their attention layers take blocks from the model's shared paged pool (as createSession's).
   */
  createBatch(maxContext: number, slots: number, opts?: { kvCacheBytes?: number }): NativeBatch;
  /** The most tokens one batched step can feed in all. */
  readonly maxStepTokens: number;
  /** The shared pool's figures (null when no session uses it). */
  cacheFigures(): NativeCacheFigures | null;
  /** The kernel set the model runs on ('avx512_vnni' | 'avx2' | 'scalar'). */
  readonly kernels: string;
  /** Bytes of weights the kernels read per token (for the roofline; MoE layers count their topK experts). */
  weightBytes(): number;
  /**
   * Weights packed on first use (MoE experts, one slot per expert and matrix): how many exist and how many are
   * resident so far, with their bytes. All zero for a model without them.
   */
  lazyWeights(): { slots: number; packed: number; packedBytes: number };
  dispose(): void;
}

export interface NativeCpuInfo {
  avx2: boolean;
  fma: boolean;
  avx512f: boolean;
  avx512bw: boolean;
  avx512vnni: boolean;
  avx512bf16: boolean;
  /** The kernel set chosen at run time: 'avx512_vnni' | 'avx2' | 'scalar'. Overridable with VMLX_KERNELS. */
  kernels: string;
}

/** A weight for the kernel test hooks, with bytes exactly as a safetensors file holds them. */
export interface NativeTestWeight {
  /** q4/q8: affine 4/8-bit; affine/mxfp4: that mode with `bits`. */
  kind: 'q4' | 'q8' | 'affine' | 'mxfp4' | 'f32' | 'f16' | 'bf16';
  rows: number;
  cols: number;
  bits?: number;
  groupSize?: number;
  /** MLX U32 codes (LSB-first bit stream) when quantized, else row-major floats of the kind. */
  weight: Uint8Array;
  /** [rows, cols/groupSize]: float32, or bfloat16 bits in a Uint16Array (kept as bfloat16 by the repack); mxfp4: E8M0 bytes. */
  scales?: Float32Array | Uint16Array | Uint8Array;
  biases?: Float32Array | Uint16Array;
}

/** Direct access to each kernel set (names from kernelSets(), or 'generic': the element-wise kernels of the
 * width-1 vector layer with the scalar matmuls), for test/native. */
export interface NativeTestHooks {
  kernelSets(): string[];
  /** y[t*rows + r] = sum_k W[r,k] x[t*cols + k], through the weight repack and the named kernel set. */
  matmul(kernels: string, w: NativeTestWeight, x: Float32Array, tokens: number, activations?: ActivationMode): Float32Array;
  /** Row `row` of the weight, dequantized the way the embedding lookup does it. */
  weightRow(w: NativeTestWeight, row: number): Float32Array;
  /** The int8 path's output-projection rescoring applied to a copy of `logits` ([rows, w.rows]) for `hidden` ([rows, w.cols]). */
  rescoreTopLogits(w: NativeTestWeight, hidden: Float32Array, logits: Float32Array, threads: number): Float32Array;
  topKUnordered(v: Float32Array, k: number): Int32Array;
  argmaxFirst(v: Float32Array): number;
  topIndices(v: Float32Array, k: number): Int32Array;
  rmsnorm(kernels: string, x: Float32Array, w: Float32Array, eps: number): Float32Array;
  /**
   * For each of lens.length (1..4) query rows r (q: rows × dim): softmax(scale * q_r.K^T) V over the first lens[r] of the
   * float16 key/value rows of `dim` (k, v: max(lens) × dim). Returns rows × dim. blockShift: the kernel reads the
   * rows from separate blocks of 2^blockShift rows, as from a paged cache.
   */
  attention(
    kernels: string,
    q: Float32Array,
    k: Uint16Array,
    v: Uint16Array,
    lens: Int32Array,
    dim: number,
    scale: number,
    opts?: { starts?: Int32Array; sinks?: Float32Array; softcap?: number; blockShift?: number },
  ): Float32Array;
  /** silu(g) * u elementwise. */
  siluMul(kernels: string, g: Float32Array, u: Float32Array): Float32Array;
  /** gelu(g) * u elementwise, GELU by its tanh approximation. */
  geluTanhMul(kernels: string, g: Float32Array, u: Float32Array): Float32Array;
  /** cap * tanh(x / cap) elementwise (the logit soft-cap). */
  softcap(kernels: string, x: Float32Array, cap: number): Float32Array;
  /** exp((x - shift) * scale) elementwise (0 for -inf) and the sum of those (the sampler's probabilities). */
  expScaled(kernels: string, x: Float32Array, shift: number, scale: number): { out: Float32Array; sum: number };
  /** `draws` tokens drawn one after another by one seeded sampler from the same logits (no history). */
  sampleTokens(kernels: string, logits: Float32Array, params: NativeSamplingParams, draws: number): Int32Array;
  /** One draw with its log-probability and the top_logprobs list (params.logprobs / topLogprobs). */
  sampleOnce(kernels: string, logits: Float32Array, params: NativeSamplingParams): { token: number; logprob: number | null; topIds: Int32Array; topLogprobs: Float32Array };
  /** float16 bits of x through the kernel set's KV-cache conversion. */
  toF16(kernels: string, x: Float32Array): Uint16Array;
  f32ToF16(x: Float32Array): Uint16Array;
  f16ToF32(x: Uint16Array): Float32Array;
  /** x / rms(x) * w * silu(z) (Gated DeltaNet's output norm). */
  rmsnormGated(kernels: string, x: Float32Array, w: Float32Array, z: Float32Array, eps: number): Float32Array;
  /** x * scale / sqrt(sum(x^2) + eps). */
  l2Normalize(kernels: string, x: Float32Array, eps: number, scale: number): Float32Array;
  /** Depthwise causal conv + SiLU of x [T][C] after the history rows hist [K-1][C], taps w [K][C], channels [c0, c1). */
  convSilu(kernels: string, a: NativeConvArgs): Float32Array;
  /** The gated delta rule over T tokens from state S [dv][dk]; returns the new state and the outputs [T][dv]. */
  deltaRule(kernels: string, a: NativeDeltaRuleArgs): { S: Float32Array; o: Float32Array };
}

export interface NativeConvArgs {
  hist: Float32Array;
  x: Float32Array;
  w: Float32Array;
  T: number;
  C: number;
  K: number;
  c0: number;
  c1: number;
}

export interface NativeDeltaRuleArgs {
  S: Float32Array;
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  g: Float32Array;
  beta: Float32Array;
  dk: number;
  dv: number;
  T: number;
}

export interface NativeAddon {
  /** Test hooks; not part of the engine API. */
  _test: NativeTestHooks;
  cpuInfo(): NativeCpuInfo;
  /** mmap the files and build the model on an addon thread; onProgress(0..1) is called on the JS thread. */
  loadModel(spec: NativeModelPlan, onProgress?: (fraction: number) => void): Promise<NativeModel>;
  /** Measures memory read bandwidth in GB/s with the given thread count over a buffer of `bytes`. */
  measureBandwidth(threads: number, bytes: number): Promise<number>;
  /** Integer multiply-add peak of the active kernel set with the given thread count, in G multiply-adds/s. */
  measureDotPeak(threads: number, activations?: 'int16' | 'int8'): Promise<number>;
  /** Returns the C heap's free pages to the system (glibc malloc_trim); whether any were released. */
  trimMemory(): boolean;
}
