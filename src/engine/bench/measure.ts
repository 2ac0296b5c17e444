// Speed measurement of both engines on the same prompt tokens: vmlx (this engine) and llama.cpp (its own llama-bench,
// run between vmlx's repetitions; or node-llama-cpp, a devDependency, with --peer node-llama-cpp). Each repetition prefills `context` tokens from an empty cache
// and then decodes `genTokens` greedily; medians are reported. vmlx also reports its memory, the event-loop lag of
// this process while it generates, and a warm-cache reload time.
import { loadAddon } from '../addon.js';
import { readModelConfig } from '../config.js';
import { loadModel, type LoadedModel } from '../model.js';
import { EventLoopLagMonitor, type LagStats } from './lag.js';
import { sampleRss, type RssSample } from './memory.js';
import { PeerUnavailableError } from './llama-bench.js';
import type { ActivationMode } from '../plan.js';

export interface BenchOptions {
  model: string;
  gguf?: string;
  promptTokens: number;
  genTokens: number;
  threads: number;
  reps: number;
  /** How vmlx's quantized matmuls read activations (default int16; 'float' is --precise). */
  activations?: ActivationMode;
  /** Tokens in the KV cache before decoding starts (default: promptTokens). */
  context?: number;
  /** The llama.cpp side of a --gguf comparison (default llama-bench). */
  peer?: PeerKind;
  log: (message: string) => void;
}

export const PEER_KINDS = ['llama-bench', 'node-llama-cpp'] as const;
export type PeerKind = (typeof PEER_KINDS)[number];

export interface EngineRun {
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
}

export interface EngineResult {
  runs: EngineRun[];
  prefillTokensPerSecond: number; // median
  decodeTokensPerSecond: number; // median
  /** null where the peer does not report it (llama-bench). */
  loadMs: number | null;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function summarize(runs: EngineRun[], loadMs: number | null): EngineResult {
  return {
    runs, loadMs,
    prefillTokensPerSecond: median(runs.map((r) => r.prefillTokensPerSecond)),
    decodeTokensPerSecond: median(runs.map((r) => r.decodeTokensPerSecond)),
  };
}

/** Deterministic ordinary-vocabulary ids (no special tokens), the same for both engines. */
export function benchPromptTokens(n: number, vocab: number): number[] {
  let x = 0x12345678;
  const out: number[] = [];
  const limit = Math.min(vocab, 100_000);
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out.push(1000 + (x % (limit - 1000)));
  }
  return out;
}

export interface ModelShape {
  vocabSize: number;
  numLayers: number;
  numKvHeads: number;
  headDim: number;
  hiddenSize: number;
  intermediateSize: number;
  numHeads: number;
  /** Mixture of experts: a token runs topK of numExperts experts (and the shared expert) in each of moeLayers layers. */
  moe?: { numExperts: number; topK: number; expertIntermediateSize: number; sharedIntermediateSize: number; moeLayers: number };
}

/**
 * The bench's view of a model directory, read through the engine's own config parser: a multimodal wrapper's
 * text_config (gemma3, gemma4, mistral3, qwen3_5, qwen3_5_moe) is where its text model's fields are.
 */
export function readModelShape(dir: string): ModelShape {
  const config = readModelConfig(dir);
  const c = config.raw;
  const n = (k: string) => (typeof c[k] === 'number' ? (c[k] as number) : undefined);
  const layers = config.numLayers;
  const shape: ModelShape = {
    vocabSize: config.vocabSize, numLayers: layers, numKvHeads: config.numKvHeads, headDim: config.headDim,
    hiddenSize: config.hiddenSize, intermediateSize: config.intermediateSize, numHeads: config.numHeads,
  };
  // gpt-oss spells them num_local_experts and experts_per_token (its intermediate_size is the expert width).
  const experts = n('num_experts') ?? n('num_local_experts'), topK = n('num_experts_per_tok') ?? n('experts_per_token');
  if (experts && topK) {
    // Qwen MoE: mlp_only_layers and layers off the decoder_sparse_step grid stay dense.
    const dense = new Set(Array.isArray(c.mlp_only_layers) ? (c.mlp_only_layers as unknown[]) : []);
    const step = n('decoder_sparse_step') ?? 1;
    let moeLayers = 0;
    for (let i = 0; i < layers; i++) if (!dense.has(i) && (i + 1) % step === 0) moeLayers++;
    shape.moe = {
      numExperts: experts, topK, expertIntermediateSize: n('moe_intermediate_size') ?? shape.intermediateSize,
      sharedIntermediateSize: n('shared_expert_intermediate_size') ?? 0, moeLayers,
    };
  }
  return shape;
}

export interface VmlxResult extends EngineResult {
  loadMs: number;
  weightBytes: number;
  /** KV capacity the session allocated (the requested maxContext, capped by max_position_embeddings). */
  maxContext: number;
  /** A second load right after the first was disposed: the model's files are in the page cache. */
  warmLoadMs: number;
  rssBeforeLoad: RssSample;
  rssAfterLoad: RssSample;
  /** After the last repetition: the KV cache holds context + genTokens positions by then. */
  rssAfterGeneration: RssSample;
  /** Over all repetitions (prefill and decode). */
  lag: LagStats;
  /** Over the first load, for the record (no target: the tokenizer and chat template are parsed on this thread). */
  loadLag: LagStats;
  mask: MaskCost;
}

/** The grammar's per-token mask cost: one free decode and one under a JSON Schema constraint, after the reps. */
export interface MaskCost {
  /** Mask time per token without a constraint (0: no grammar runs). */
  unconstrainedMsPerToken: number;
  constrainedMsPerToken: number;
  /** The constrained run's decode step (1000 / its decode tokens per second). */
  decodeStepMs: number;
  /** Tokens the constrained run decoded (the budget rule may end it before genTokens). */
  constrainedTokens: number;
}

/** A schema like a tool's parameters: strings, an enum, a bounded integer, an array. */
const MASK_SCHEMA = {
  type: 'object',
  properties: {
    query: { type: 'string' },
    mode: { enum: ['fast', 'exact'] },
    limit: { type: 'integer', minimum: 1, maximum: 50 },
    tags: { type: 'array', items: { type: 'string' } },
  },
  required: ['query', 'mode', 'tags'],
  additionalProperties: false,
};

async function maskRun(model: LoadedModel, o: BenchOptions, prompt: number[], constrained: boolean): Promise<{ msPerToken: number; stepMs: number; tokens: number }> {
  await model.resetCache();
  const constraint = constrained ? { spec: { kind: 'structural_tag' as const, tag: { type: 'structural_tag', format: { type: 'json_schema', json_schema: MASK_SCHEMA } } } } : undefined;
  for await (const ev of model.generate(prompt, { temperature: 0, maxTokens: o.genTokens, ...(constraint ? { constraint } : { ignoreEos: true }) })) {
    if (ev.type !== 'done') continue;
    const stats = ev.constraint;
    return {
      msPerToken: stats && stats.masks > 0 ? stats.maskMs / stats.masks : 0,
      stepMs: ev.usage.decodeTokensPerSecond > 0 ? 1000 / ev.usage.decodeTokensPerSecond : 0,
      tokens: ev.usage.completionTokens,
    };
  }
  throw new Error('vmlx: the mask-cost generation ended without a done event');
}

export async function measureMaskCost(model: LoadedModel, o: BenchOptions, prompt: number[]): Promise<MaskCost> {
  const free = await maskRun(model, o, prompt, false);
  const bound = await maskRun(model, o, prompt, true);
  return { unconstrainedMsPerToken: free.msPerToken, constrainedMsPerToken: bound.msPerToken, decodeStepMs: bound.stepMs, constrainedTokens: bound.tokens };
}

async function generateOnce(model: LoadedModel, o: BenchOptions, prompt: number[]): Promise<EngineRun> {
  await model.resetCache();
  let usage;
  for await (const ev of model.generate(prompt, { temperature: 0, maxTokens: o.genTokens, ignoreEos: true })) {
    if (ev.type === 'done') usage = ev.usage;
  }
  if (!usage || usage.completionTokens !== o.genTokens) throw new Error(`vmlx generated ${usage?.completionTokens ?? 0} of ${o.genTokens} tokens`);
  return { prefillTokensPerSecond: usage.prefillTokensPerSecond, decodeTokensPerSecond: usage.decodeTokensPerSecond };
}

/**
 * `betweenReps` runs after each of vmlx's repetitions (the peer's repetition, in its own process), so both engines
 * are measured interleaved and a drift of the machine's speed touches both alike; the lag monitor pauses meanwhile.
 */
export async function benchVmlx(o: BenchOptions, prompt: number[], betweenReps?: (rep: number) => Promise<void>): Promise<VmlxResult> {
  const loadOptions = {
    threads: o.threads,
    maxContext: prompt.length + o.genTokens + 8,
    ...(o.activations ? { activations: o.activations } : {}),
  };
  const monitor = new EventLoopLagMonitor();
  const rssBeforeLoad = sampleRss();
  await monitor.start();
  const t0 = performance.now();
  let model: LoadedModel;
  let loadLag: LagStats;
  try {
    model = await loadModel(o.model, loadOptions);
  } finally {
    loadLag = monitor.stop();
  }
  const loadMs = performance.now() - t0;
  const rssAfterLoad = sampleRss();
  const runs: EngineRun[] = [];
  let lag: LagStats;
  let rssAfterGeneration: RssSample;
  let mask: MaskCost;
  try {
    await monitor.start();
    try {
      for (let r = 0; r < o.reps; r++) {
        const run = await generateOnce(model, o, prompt);
        runs.push(run);
        o.log(`vmlx rep ${r + 1}/${o.reps}: prefill ${run.prefillTokensPerSecond.toFixed(1)} tok/s, decode ${run.decodeTokensPerSecond.toFixed(1)} tok/s`);
        if (betweenReps) {
          monitor.pause();
          await betweenReps(r);
          await monitor.resume();
        }
      }
    } finally {
      lag = monitor.stop();
    }
    rssAfterGeneration = sampleRss();
    mask = await measureMaskCost(model, o, prompt);
    o.log(`vmlx grammar mask ${mask.constrainedMsPerToken.toFixed(3)} ms/token constrained (decode step ${mask.decodeStepMs.toFixed(2)} ms), ${mask.unconstrainedMsPerToken} unconstrained`);
  } finally {
    await model.dispose();
  }
  const t1 = performance.now();
  const again = await loadModel(o.model, loadOptions);
  const warmLoadMs = performance.now() - t1;
  await again.dispose();
  o.log(`vmlx load ${loadMs.toFixed(0)} ms, warm reload ${warmLoadMs.toFixed(0)} ms; event-loop lag p99 ${lag.p99Ms.toFixed(1)} ms`);
  return {
    ...summarize(runs, loadMs), loadMs, weightBytes: model.info.weightBytes, maxContext: model.info.contextLength, warmLoadMs,
    rssBeforeLoad, rssAfterLoad, rssAfterGeneration, lag, loadLag, mask,
  };
}

/**
 * llama.cpp through node-llama-cpp (--peer node-llama-cpp): one call per token, slower than llama.cpp's own loop.
 * With flash attention on and the same threads. Prefill = one batched evaluation of the prompt (batch =
 * the whole prompt, as llama-bench's pp test); decode = genTokens single-token steps, the greedy pick each time.
 */
export async function benchLlamaCpp(o: BenchOptions, prompt: number[]): Promise<EngineResult> {
  let mod: typeof import('node-llama-cpp');
  try {
    mod = await import('node-llama-cpp');
  } catch {
    throw new PeerUnavailableError('--gguf needs node-llama-cpp (a devDependency of vmlx): run npm install in the vmlx checkout');
  }
  type Token = import('node-llama-cpp').Token;
  const llama = await mod.getLlama({ gpu: false, logLevel: mod.LlamaLogLevel.error, build: 'never' });
  const t0 = performance.now();
  const model = await llama.loadModel({ modelPath: o.gguf! });
  const loadMs = performance.now() - t0;
  const context = await model.createContext({
    contextSize: prompt.length + o.genTokens + 64, batchSize: prompt.length, threads: o.threads, flashAttention: true,
  });
  try {
    const seq = context.getSequence();
    const runs: EngineRun[] = [];
    for (let r = 0; r < o.reps; r++) {
      await seq.clearHistory();
      const last = prompt.length - 1;
      const p0 = performance.now();
      const res = await seq.controlledEvaluate(prompt.map((t, i) => (i === last
        ? [t as Token, { generateNext: { token: true, options: { temperature: 0 } } }]
        : (t as Token))));
      const prefillMs = performance.now() - p0;
      let next = res[last]?.next?.token;
      const d0 = performance.now();
      for (let g = 1; g < o.genTokens; g++) {
        const step = await seq.controlledEvaluate([[next as Token, { generateNext: { token: true, options: { temperature: 0 } } }]]);
        next = step[0]?.next?.token;
      }
      const decodeMs = performance.now() - d0;
      // Like vmlx's usage: the first token comes from the prefill logits; decode counts the steps after it.
      const run = { prefillTokensPerSecond: (prompt.length * 1000) / prefillMs, decodeTokensPerSecond: ((o.genTokens - 1) * 1000) / decodeMs };
      runs.push(run);
      o.log(`llama.cpp rep ${r + 1}/${o.reps}: prefill ${run.prefillTokensPerSecond.toFixed(1)} tok/s, decode ${run.decodeTokensPerSecond.toFixed(1)} tok/s`);
    }
    return summarize(runs, loadMs);
  } finally {
    await context.dispose();
    await model.dispose();
  }
}

export async function measureBandwidthGBs(threads: number): Promise<number> {
  // 512 MiB: far beyond the last-level cache, so this is DRAM bandwidth. Single readings varied from 19 to 45 GB/s
  // on the shared 2-core VM, so the median of five is used.
  const readings: number[] = [];
  for (let i = 0; i < 5; i++) readings.push(await loadAddon().measureBandwidth(threads, 512 * 1024 * 1024));
  return median(readings);
}

/**
 * Bytes read per decoded token: the weights the kernels touch (the addon's count: a MoE layer counts its topK routed
 * experts, the router and the shared expert, not every expert) plus the f16 KV cache at the mean decode context.
 */
export function bytesPerToken(weightBytes: number, shape: ModelShape, context: number, genTokens: number): { weights: number; kv: number } {
  const meanContext = context + genTokens / 2;
  const kv = 2 * shape.numLayers * shape.numKvHeads * shape.headDim * 2 * meanContext;
  return { weights: weightBytes, kv };
}
