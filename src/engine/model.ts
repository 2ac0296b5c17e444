// loadModel: a model directory → a LanguageModel running on the native addon.
//
// Concurrency: generate() calls go through the model's scheduler (continuous batching): up to maxNumSeqs run at
// once, sharing each forward pass. Every sequence takes its attention blocks from the model's paged KV pool, whose
// prefix cache lets any later prompt (this conversation's next turn, or another conversation sharing a system prompt)
// reuse the cached blocks of its longest common prefix. evaluate() has a session of its own (made on its first call)
// and runs one at a time.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { loadAddon } from './addon.js';
import { ChatTemplate } from './chat-template.js';
import { readGenerationConfig, type GenerationConfig, type ModelConfig } from './config.js';
import { GenerationInputError, ModelFormatError } from './errors.js';
import { assertModelDir, buildModelSpec, specWeightBytes } from './models/index.js';
import type { EvaluateResult, NativeBatch, NativeModel, NativeSamplingParams, NativeSession, NativeTokenEvent, RouterProbeOptions } from './native-types.js';
import { Scheduler } from './scheduler/scheduler.js';
import { activationModeSchema, type NativeModelPlan } from './plan.js';
import { DEFAULT_MAX_TOKENS, resolveSampling, validateParams } from './sampling.js';
import { streamJob, usageFrom } from './token-stream.js';
import { defaultKvCacheBytes } from './kv-budget.js';
import { startConstrainedJob } from './grammar/constrained-job.js';
import { GrammarThread } from './grammar/grammar-thread.js';
import type { TextTokenizer } from './tokenizer.js';
import { TokenizerHost } from './tokenizer-host.js';
import type {
  CacheFigures,
  ChatMessage,
  ChatPromptOptions,
  GenerateParams,
  GenerationEvent,
  LanguageModel,
  LoadModelOptions,
  ModelInfo,
  SchedulerFigures,
} from './types.js';

/** KV capacity when neither the caller nor a smaller max_position_embeddings says otherwise. */
export const DEFAULT_MAX_CONTEXT = 8192;
/** Generations running at once unless the caller says otherwise. */
export const DEFAULT_MAX_NUM_SEQS = 8;

/** A FIFO lock: generate() and evaluate() share one session and run one at a time. */
class SessionLock {
  private tail: Promise<void> = Promise.resolve();
  acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => next);
    return ready;
  }
}

export class LoadedModel implements LanguageModel {
  private readonly lock = new SessionLock();
  private disposed = false;
  /**
   * evaluate()'s session, made on its first call: a session holds a whole recurrent state from its start (6.4 MB
   * for Qwen3.5-0.8B's DeltaNet layers), which a model that only generates never needs.
   */
  private session: NativeSession | null = null;
  private grammarThread: GrammarThread | null = null;
  private readonly scheduler: Scheduler;

  constructor(
    readonly info: ModelInfo,
    readonly config: ModelConfig,
    readonly spec: NativeModelPlan,
    readonly tokenizer: TextTokenizer,
    private readonly template: ChatTemplate | null,
    readonly generationDefaults: GenerationConfig,
    private readonly native: NativeModel,
    private readonly createEvaluateSession: () => NativeSession,
    private readonly batch: NativeBatch,
    batching: { maxNumSeqs: number; maxNumBatchedTokens: number },
  ) {
    this.scheduler = new Scheduler(batch, batching);
    this.concurrency = batching.maxNumSeqs;
  }

  readonly concurrency: number;

  /** A paged hybrid (fixed at load: asked on every step, so worked out once rather than through the native figures). */
  private pagedHybrid: boolean | undefined;

  get checkpointsSharedPrefixes(): boolean {
    if (this.disposed) return false;
    this.pagedHybrid ??= this.native.cacheFigures() !== null && this.spec.layers.some((l) => l.mixer.kind === 'gated_deltanet');
    return this.pagedHybrid;
  }

  /** Running and waiting generations, preemptions and steps so far. */
  get schedulerStats() {
    return this.scheduler.stats;
  }

  schedulerFigures(): SchedulerFigures {
    return this.scheduler.stats;
  }

  get chatTemplate(): string | null {
    return this.template?.source ?? null;
  }

  renderChat(messages: ChatMessage[], opts?: ChatPromptOptions): string {
    if (!this.template) {
      throw new GenerationInputError(
        `${this.info.dir}: the model has no chat template (no chat_template.jinja, no chat_template in tokenizer_config.json)`,
      );
    }
    return this.template.render(messages, opts, this.tokenizer.config);
  }

  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[] {
    return this.tokenizer.encode(text, opts);
  }

  decode(tokens: number[]): string {
    return this.tokenizer.decode(tokens);
  }

  countTokens(text: string): number {
    return this.tokenizer.encode(text, { addSpecialTokens: false }).length;
  }

  /**
   * Prompt text → ids. BOS is added by the tokenizer's post-processor unless the text already starts with it
   * (chat templates such as Llama 3's emit it themselves; adding it again would double it).
   */
  encodePrompt(text: string): number[] {
    const bos = this.tokenizer.bosToken;
    return this.tokenizer.encode(text, { addSpecialTokens: !(bos && text.startsWith(bos)) });
  }

  private checkTokens(ids: number[]): void {
    if (ids.length === 0) throw new GenerationInputError('prompt is empty (0 tokens)');
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.info.vocabSize) {
        throw new GenerationInputError(`prompt token ${id} is outside the vocabulary [0, ${this.info.vocabSize})`);
      }
    }
    if (ids.length >= this.info.contextLength) {
      throw new GenerationInputError(`prompt has ${ids.length} tokens; the context holds ${this.info.contextLength}`);
    }
  }

  async *generate(prompt: string | number[], params: GenerateParams = {}, signal?: AbortSignal): AsyncGenerator<GenerationEvent> {
    if (this.disposed) throw new GenerationInputError('model was disposed');
    validateParams(params);
    const ids = typeof prompt === 'string' ? this.encodePrompt(prompt) : prompt;
    this.checkTokens(ids);
    const maxTokens = Math.min(params.maxTokens ?? DEFAULT_MAX_TOKENS, this.info.contextLength - ids.length);
    if (maxTokens === 0 || signal?.aborted) {
      const finishReason = signal?.aborted ? 'cancelled' : 'length';
      yield { type: 'done', finishReason, usage: usageFrom(null, ids.length), text: '' };
      return;
    }
    const eos = this.info.eosTokenIds;
    const sampling = resolveSampling(params, this.generationDefaults, eos, maxTokens);
    const stream = {
      tokenizer: this.tokenizer,
      eosTokenIds: new Set(params.ignoreEos ? [] : eos),
      stop: params.stop ?? [],
      promptTokens: ids.length,
      signal,
    };
    const hints = params.sharedPrefixes ? this.checkpointHints(ids, params.sharedPrefixes) : undefined;
    if (!params.constraint) {
      yield* streamJob((onTokens) => this.scheduler.generate(Int32Array.from(ids), sampling, onTokens, undefined, hints), stream);
      return;
    }
    const grammar = this.grammar();
    const constraint = params.constraint;
    // The first mask is computed before the job starts; events that arrive before streamJob takes the job are held.
    let deliver: ((events: NativeTokenEvent[]) => void) | null = null;
    const early: NativeTokenEvent[][] = [];
    const scheduler = { generate: (p: Int32Array, s: NativeSamplingParams, on: (e: NativeTokenEvent[]) => void, c?: { mask: Int32Array | null }) => this.scheduler.generate(p, s, on, c, hints) };
    const { job, stats } = await startConstrainedJob(scheduler, grammar, this.tokenizer, Int32Array.from(ids), sampling, constraint, (events) =>
      deliver ? deliver(events) : early.push(events),
    );
    const take = (onTokens: (events: NativeTokenEvent[]) => void) => {
      deliver = onTokens;
      for (const events of early.splice(0)) onTokens(events);
      return job;
    };
    for await (const ev of streamJob(take, stream)) {
      yield ev.type === 'done' ? { ...ev, constraint: { ...stats } } : ev;
    }
  }

  /**
   * Token positions of the prompt's shared-prefix ends, for models with recurrent layers (the others keep every
   * block and need no checkpoint). The prompt's ids may have been encoded with or without the tokenizer's special
   * tokens: the head is tried both ways, and an end whose text is not a prefix of the ids either way is dropped.
   */
  private checkpointHints(ids: number[], shared: { text: string; ends: number[] }): number[] | undefined {
    if (!shared.ends.length || !this.checkpointsSharedPrefixes) return undefined;
    const isPrefix = (head: number[]) => head.length > 0 && head.length < ids.length && head.every((id, i) => id === ids[i]);
    const out: number[] = [];
    for (const end of shared.ends) {
      if (!(end > 0 && end < shared.text.length)) continue;
      const text = shared.text.slice(0, end);
      const head = [this.encodePrompt(text), this.tokenizer.encode(text, { addSpecialTokens: false })].find(isPrefix);
      if (head) out.push(head.length);
    }
    return out.length ? out : undefined;
  }

  /** The model's grammar thread (constrained decoding), started on first use. */
  grammar(): GrammarThread {
    this.grammarThread ??= new GrammarThread({ dir: this.info.dir, vocabSize: this.info.vocabSize, stopTokenIds: this.info.eosTokenIds });
    return this.grammarThread;
  }

  /**
   * Teacher-forced top-k log-probabilities for every position (parity tests, perplexity); `probe` also asks the MoE
   * routers for their k-th/(k+1)-th gaps or takes one routing call the other way (see RouterProbeOptions).
   */
  async evaluate(tokens: number[], topK: number, probe?: RouterProbeOptions): Promise<EvaluateResult> {
    this.checkTokens(tokens);
    const release = await this.lock.acquire();
    try {
      if (this.disposed) throw new GenerationInputError('model was disposed');
      this.session ??= this.createEvaluateSession();
      return await this.session.evaluate(Int32Array.from(tokens), topK, probe);
    } finally {
      release();
    }
  }

  /** Forgets the cached KV prefix (the next prompt is prefilled from scratch). */
  async resetCache(): Promise<void> {
    const release = await this.lock.acquire();
    try {
      this.session?.reset();
      this.scheduler.reset();
    } finally {
      release();
    }
  }

  /** The shared KV pool's figures (null with kvCacheMemory 'off'). */
  cacheFigures(): CacheFigures | null {
    return this.disposed ? null : this.native.cacheFigures();
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const release = await this.lock.acquire();
    try {
      this.scheduler.close(new GenerationInputError('model was disposed'));
      this.batch.dispose();
      this.session?.dispose();
      this.native.dispose();
      await this.grammarThread?.close();
      if (this.tokenizer instanceof TokenizerHost) await this.tokenizer.close();
    } finally {
      release();
    }
  }
}

function checkVocabulary(tokenizer: TextTokenizer, config: ModelConfig, dir: string): void {
  let maxId = -1;
  for (const id of tokenizer.addedTokens.keys()) maxId = Math.max(maxId, id);
  const probe = tokenizer.idToToken(config.vocabSize);
  if (maxId >= config.vocabSize || probe !== undefined) {
    throw new ModelFormatError(
      join(dir, 'config.json'),
      `vocab_size ${config.vocabSize} is smaller than the tokenizer's vocabulary (tokenizer.json has id ${Math.max(maxId, config.vocabSize)})`,
    );
  }
}

export async function loadModel(dir: string, opts: LoadModelOptions = {}): Promise<LoadedModel> {
  const named = [
    ['threads', opts.threads],
    ['maxContext', opts.maxContext],
    ['maxNumSeqs', opts.maxNumSeqs],
    ['maxNumBatchedTokens', opts.maxNumBatchedTokens],
  ] as const;
  for (const [name, value] of named) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw new GenerationInputError(`${name} must be a positive integer, got ${value}`);
    }
  }
  const kvMemory = opts.kvCacheMemory;
  if (kvMemory !== undefined && kvMemory !== 'off' && (!Number.isFinite(kvMemory) || kvMemory < 1)) {
    throw new GenerationInputError(`kvCacheMemory must be a positive number of bytes or 'off', got ${kvMemory}`);
  }
  const abs = assertModelDir(dir);
  const threads = opts.threads ?? availableParallelism();
  if (opts.activations !== undefined && !activationModeSchema.safeParse(opts.activations).success) {
    throw new GenerationInputError(`activations must be one of ${activationModeSchema.options.join(', ')}, got ${String(opts.activations)}`);
  }
  const built = buildModelSpec(abs, {
    threads,
    contextLength: opts.maxContext ?? DEFAULT_MAX_CONTEXT,
    ...(opts.activations ? { activations: opts.activations } : {}),
  });
  const { config, spec } = built;
  // The weights load on the addon's threads while the tokenizer thread builds the tokenizer (about 0.5 s for a
  // 150k vocabulary): the two overlap, and this thread's event loop stays free for both.
  // Progress: 'tokenizer' first, then 'weights' once the weights report; a tokenizer that finishes after that is
  // not reported, so a progress bar never goes back from weights to tokenizer.
  let weightsReported = false;
  opts.onProgress?.({ phase: 'tokenizer', fraction: 0 });
  const nativeLoad = loadAddon().loadModel(spec, (fraction) => {
    weightsReported = true;
    opts.onProgress?.({ phase: 'weights', fraction });
  });
  let tokenizer: TokenizerHost | null = null, template: ChatTemplate | null, generation: GenerationConfig;
  try {
    tokenizer = await TokenizerHost.start(abs);
    checkVocabulary(tokenizer, config, abs);
    template = ChatTemplate.fromDir(abs, tokenizer.config);
    generation = readGenerationConfig(abs);
    if (!weightsReported) opts.onProgress?.({ phase: 'tokenizer', fraction: 1 });
  } catch (err) {
    // Report the tokenizer's problem, after the weights being loaded meanwhile are freed (or failed too).
    await tokenizer?.close();
    await nativeLoad.then((n) => n.dispose(), () => undefined);
    throw err;
  }
  const contextLength = Math.min(opts.maxContext ?? DEFAULT_MAX_CONTEXT, config.maxPositionEmbeddings);
  let native: NativeModel;
  try {
    native = await nativeLoad;
  } catch (err) {
    await tokenizer.close();
    throw err;
  }
  const batching = {
    maxNumSeqs: opts.maxNumSeqs ?? DEFAULT_MAX_NUM_SEQS,
    maxNumBatchedTokens: opts.maxNumBatchedTokens ?? native.maxStepTokens,
  };
  if (batching.maxNumBatchedTokens > native.maxStepTokens) {
    native.dispose();
    await tokenizer.close();
    throw new GenerationInputError(`maxNumBatchedTokens ${batching.maxNumBatchedTokens} is more than the engine's ${native.maxStepTokens} tokens per step`);
  }
  let batch: NativeBatch;
  const kvCacheBytes =
    kvMemory === 'off' ? undefined : (kvMemory ?? defaultKvCacheBytes(spec, contextLength, native.weightBytes() || specWeightBytes(spec)));
  const paged = kvCacheBytes === undefined ? {} : { kvCacheBytes };
  try {
    // The batch makes the shared KV pool, so a budget that holds no block fails the load here.
    batch = native.createBatch(contextLength, batching.maxNumSeqs, paged);
  } catch (err) {
    native.dispose();
    await tokenizer.close();
    const message = (err as Error).message;
    if (message.startsWith('KV cache memory')) throw new GenerationInputError(message);
    throw err;
  }
  // The weights' build and the tokenizer thread's parse leave ~25 MB of freed C heap that glibc would keep resident.
  loadAddon().trimMemory();
  const eosTokenIds = [...new Set([...generation.eosTokenIds, ...tokenizer.stopTokenIds()])];
  const firstQuantized = [spec.tensors['blk.0.attn_q'], spec.tensors['token_embd']].find((w) => w?.quant)?.quant;
  const info: ModelInfo = {
    dir: abs,
    arch: built.architecture,
    modelType: config.modelType,
    contextLength,
    vocabSize: config.vocabSize,
    numLayers: config.numLayers,
    quantization: config.quantization
      ? { bits: config.quantization.global.bits, groupSize: config.quantization.global.groupSize }
      : firstQuantized
        ? { bits: firstQuantized.bits!, groupSize: firstQuantized.groupSize! }
        : null,
    ...(spec.activations ? { activations: spec.activations } : {}),
    weightBytes: native.weightBytes() || specWeightBytes(spec),
    eosTokenIds,
    notes: built.notes,
  };
  const createEvaluateSession = (): NativeSession => native.createSession(contextLength, paged);
  return new LoadedModel(info, config, spec, tokenizer, template, generation, native, createEvaluateSession, batch, batching);
}
