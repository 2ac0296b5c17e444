// One `vmlx bench` run: both engines on the same prompt, the machine's read bandwidth, the decode roofline, vmlx's
// memory against the files + KV budget, the event-loop lag while generating, load times, and the target verdicts.
import { cpus } from 'node:os';
import { measureDotPeakGMacs, prefillMacsPerToken } from './compute.js';
import type { LagStats } from './lag.js';
import { kvCacheBytes, MEMORY_HEADROOM, memoryBudgetBytes, modelFiles } from './memory.js';
import {
  benchLlamaCpp, benchPromptTokens, benchVmlx, bytesPerToken, measureBandwidthGBs, readModelShape, summarize,
  type BenchOptions, type EngineResult, type EngineRun,
} from './measure.js';
import { llamaBenchOnce, peerTool } from './llama-bench.js';
import { judgeBench, type BenchCheck, type BenchTargets } from './verdicts.js';
import { defaultActivations, type ActivationMode } from '../plan.js';
import { readModelConfig } from '../config.js';

type LagJson = { p50: number; p99: number; max: number; samples: number };
type EngineJson = { prefill_tokens_per_s: number; decode_tokens_per_s: number; load_ms: number | null; runs: Array<{ prefill: number; decode: number }> };

export interface MemoryJson {
  /** Every regular file directly in the model directory. */
  model_files: Array<{ name: string; bytes: number }>;
  model_files_bytes: number;
  max_context: number;
  kv_cache_bytes: number;
  headroom: number;
  /** (model_files_bytes + kv_cache_bytes) × (1 + headroom), rounded. */
  budget_bytes: number;
  rss_before_load_bytes: number;
  rss_after_load_bytes: number;
  rss_after_generation_bytes: number;
  growth_after_load_bytes: number;
  growth_after_generation_bytes: number;
  /**
   * Linux (/proc/self/status): file-backed resident bytes before and after load (the node binary and libraries; it
   * grows by the safetensors only while they are mapped) and anonymous resident bytes after load; null elsewhere.
   */
  rss_file_before_load_bytes: number | null;
  rss_file_after_load_bytes: number | null;
  rss_anon_after_load_bytes: number | null;
  /** Anonymous resident bytes after the generation repetitions (KV cache, recurrent states, scratch); null elsewhere. */
  rss_anon_after_generation_bytes: number | null;
  /**
   * V8 heap in use before and after load and after generation: the main thread's JS (the tokenizer lives in its own
   * thread), garbage included.
   */
  js_heap_before_load_bytes: number;
  js_heap_after_load_bytes: number;
  js_heap_after_generation_bytes: number;
  verdict_basis: string;
}

export interface BenchReport {
  model: string;
  gguf: string | null;
  /** Which llama.cpp measured the GGUF: its own llama-bench (interleaved with vmlx's repetitions) or node-llama-cpp. */
  peer: 'llama-bench' | 'node-llama-cpp' | null;
  cpu: string;
  threads: number;
  /** How vmlx's quantized matmuls read activations: the family's default (int8 or int16), or as asked (--precise: float). */
  activations: ActivationMode;
  prompt_tokens: number;
  context_tokens: number;
  gen_tokens: number;
  reps: number;
  bandwidth_gb_s: number;
  bytes_per_token: { weights: number; kv: number; total: number };
  roofline_decode_tokens_per_s: number;
  /** Integer multiply-add peak of the kernels on `threads` threads (G/s), and the prefill ceiling it allows. */
  compute_peak_gmacs: number;
  prefill_macs_per_token: number;
  prefill_ceiling_tokens_per_s: number;
  prefill_fraction_of_peak: number;
  vmlx: EngineJson & {
    rss_after_load_mb: number;
    warm_load_ms: number;
    event_loop_lag_ms: LagJson;
    /** Over the first load, for the record (no target). */
    event_loop_lag_during_load_ms: LagJson;
    /** The grammar's mask time per token, with and without a constraint, and its share of the decode step. */
    grammar_mask: { unconstrained_ms_per_token: number; constrained_ms_per_token: number; decode_step_ms: number; share_of_decode_step: number; constrained_tokens: number };
  };
  llama_cpp: EngineJson | null;
  ratios: { prefill: number; decode: number } | null;
  decode_fraction_of_roofline: number;
  memory: MemoryJson;
  checks: BenchCheck[];
  pass: boolean;
}

export const MEMORY_VERDICT_BASIS = 'growth over the pre-load RSS: the Node runtime the process had before loading is not the model';

const r2 = (x: number) => Math.round(x * 100) / 100;
const r4 = (x: number) => Math.round(x * 10000) / 10000;

function engineJson(e: EngineResult): EngineJson {
  return {
    prefill_tokens_per_s: r2(e.prefillTokensPerSecond), decode_tokens_per_s: r2(e.decodeTokensPerSecond), load_ms: e.loadMs === null ? null : Math.round(e.loadMs),
    runs: e.runs.map((r) => ({ prefill: r2(r.prefillTokensPerSecond), decode: r2(r.decodeTokensPerSecond) })),
  };
}

const lagJson = (l: LagStats): LagJson => ({ p50: r2(l.p50Ms), p99: r2(l.p99Ms), max: r2(l.maxMs), samples: l.samples });

export async function runBench(o: BenchOptions & { targets?: BenchTargets }): Promise<BenchReport> {
  const shape = readModelShape(o.model);
  const files = modelFiles(o.model);
  const context = o.context ?? o.promptTokens;
  const prompt = benchPromptTokens(context, shape.vocabSize);
  const peerKind = o.gguf ? (o.peer ?? 'llama-bench') : null;
  if (peerKind === 'llama-bench') peerTool('llama-bench'); // fails before any measurement when the tool is not built
  o.log(`measuring memory bandwidth (${o.threads} threads)`);
  const bandwidth = await measureBandwidthGBs(o.threads);
  o.log(`measuring the multiply-add peak (${o.threads} threads)`);
  const activations = o.activations ?? defaultActivations(readModelConfig(o.model).modelType);
  const peak = await measureDotPeakGMacs(o.threads, activations);
  const peerRuns: EngineRun[] = [];
  let betweenReps: ((rep: number) => Promise<void>) | undefined;
  if (o.gguf && peerKind === 'llama-bench') {
    const gguf = o.gguf;
    betweenReps = async (rep) => {
      const t = await llamaBenchOnce(gguf, o.threads, context, o.genTokens, context);
      peerRuns.push({ prefillTokensPerSecond: t.prefill, decodeTokensPerSecond: t.decode });
      o.log(`llama-bench rep ${rep + 1}/${o.reps}: prefill ${t.prefill.toFixed(1)} tok/s, decode ${t.decode.toFixed(1)} tok/s`);
    };
  }
  o.log(`vmlx: ${o.model}${betweenReps ? ` (interleaved with llama-bench on ${o.gguf})` : ''}`);
  const mine = await benchVmlx(o, prompt, betweenReps);
  let peer: EngineResult | null = null;
  if (o.gguf && peerKind === 'node-llama-cpp') {
    o.log(`llama.cpp (node-llama-cpp): ${o.gguf}`);
    peer = await benchLlamaCpp(o, prompt);
  } else if (betweenReps) {
    peer = summarize(peerRuns, null);
  }
  const bpt = bytesPerToken(mine.weightBytes, shape, context, o.genTokens);
  const total = bpt.weights + bpt.kv;
  const roofline = (bandwidth * 1e9) / total;
  const kv = kvCacheBytes(shape, mine.maxContext);
  const macs = prefillMacsPerToken(shape, context);
  const prefillCeiling = (peak * 1e9) / macs;
  const report: Omit<BenchReport, 'checks' | 'pass'> = {
    model: o.model, gguf: o.gguf ?? null, peer: peerKind, cpu: cpus()[0]?.model ?? 'unknown', threads: o.threads,
    activations,
    prompt_tokens: context, context_tokens: context, gen_tokens: o.genTokens, reps: o.reps,
    bandwidth_gb_s: r2(bandwidth),
    bytes_per_token: { weights: bpt.weights, kv: Math.round(bpt.kv), total: Math.round(total) },
    roofline_decode_tokens_per_s: r2(roofline),
    compute_peak_gmacs: r2(peak), prefill_macs_per_token: Math.round(macs),
    prefill_ceiling_tokens_per_s: r2(prefillCeiling), prefill_fraction_of_peak: r2(mine.prefillTokensPerSecond / prefillCeiling),
    vmlx: {
      ...engineJson(mine), rss_after_load_mb: Math.round(mine.rssAfterLoad.rss / 1e6), warm_load_ms: Math.round(mine.warmLoadMs),
      event_loop_lag_ms: lagJson(mine.lag), event_loop_lag_during_load_ms: lagJson(mine.loadLag),
      grammar_mask: {
        unconstrained_ms_per_token: mine.mask.unconstrainedMsPerToken, constrained_ms_per_token: r4(mine.mask.constrainedMsPerToken),
        decode_step_ms: r4(mine.mask.decodeStepMs), constrained_tokens: mine.mask.constrainedTokens,
        share_of_decode_step: mine.mask.decodeStepMs > 0 ? r4(mine.mask.constrainedMsPerToken / mine.mask.decodeStepMs) : 0,
      },
    },
    llama_cpp: peer ? engineJson(peer) : null,
    ratios: peer ? {
      prefill: r2(mine.prefillTokensPerSecond / peer.prefillTokensPerSecond),
      decode: r2(mine.decodeTokensPerSecond / peer.decodeTokensPerSecond),
    } : null,
    decode_fraction_of_roofline: r2(mine.decodeTokensPerSecond / roofline),
    memory: {
      model_files: files.files, model_files_bytes: files.totalBytes, max_context: mine.maxContext, kv_cache_bytes: kv,
      headroom: MEMORY_HEADROOM, budget_bytes: memoryBudgetBytes(files.totalBytes, kv),
      rss_before_load_bytes: mine.rssBeforeLoad.rss, rss_after_load_bytes: mine.rssAfterLoad.rss,
      rss_after_generation_bytes: mine.rssAfterGeneration.rss,
      growth_after_load_bytes: mine.rssAfterLoad.rss - mine.rssBeforeLoad.rss,
      growth_after_generation_bytes: mine.rssAfterGeneration.rss - mine.rssBeforeLoad.rss,
      rss_file_before_load_bytes: mine.rssBeforeLoad.file, rss_file_after_load_bytes: mine.rssAfterLoad.file,
      rss_anon_after_load_bytes: mine.rssAfterLoad.anon, rss_anon_after_generation_bytes: mine.rssAfterGeneration.anon,
      js_heap_before_load_bytes: mine.rssBeforeLoad.heapUsed, js_heap_after_load_bytes: mine.rssAfterLoad.heapUsed,
      js_heap_after_generation_bytes: mine.rssAfterGeneration.heapUsed,
      verdict_basis: MEMORY_VERDICT_BASIS,
    },
  };
  const checks = judgeBench(report, o.targets ?? {});
  return { ...report, checks, pass: checks.every((c) => c.ok) };
}

const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;

function memoryLines(m: MemoryJson): string[] {
  const lines = [
    `memory budget ${mb(m.budget_bytes)} = (model files ${mb(m.model_files_bytes)} [${m.model_files.length} files in the directory] + ` +
      `KV ${mb(m.kv_cache_bytes)} [${m.max_context} positions]) × ${1 + m.headroom}`,
    `RSS before load ${mb(m.rss_before_load_bytes)}; after load ${mb(m.rss_after_load_bytes)} (+${mb(m.growth_after_load_bytes)}); ` +
      `after generation ${mb(m.rss_after_generation_bytes)} (+${mb(m.growth_after_generation_bytes)})`,
    `the memory verdict uses the ${m.verdict_basis}`,
  ];
  const heap = `JS heap ${mb(m.js_heap_before_load_bytes)} → ${mb(m.js_heap_after_load_bytes)}`;
  if (m.rss_file_before_load_bytes !== null && m.rss_file_after_load_bytes !== null && m.rss_anon_after_load_bytes !== null) {
    lines.push(`after load: anonymous ${mb(m.rss_anon_after_load_bytes)}, file-backed ${mb(m.rss_file_before_load_bytes)} → ` +
      `${mb(m.rss_file_after_load_bytes)} (the mapped safetensors would show here), ${heap}`);
  } else {
    lines.push(`${heap} over the load`);
  }
  const genHeap = `JS heap ${mb(m.js_heap_after_generation_bytes)}`;
  lines.push(m.rss_anon_after_generation_bytes === null
    ? `after generation: ${genHeap}`
    : `after generation: anonymous ${mb(m.rss_anon_after_generation_bytes)}, ${genHeap}`);
  return lines;
}

export function formatBenchTable(r: BenchReport): string {
  const pad = (s: string, n: number) => s.padEnd(n);
  const num = (x: number) => x.toFixed(1).padStart(10);
  const lines = [
    `model ${r.model}${r.gguf ? `  |  gguf ${r.gguf} (${r.peer})` : ''}`,
    `cpu ${r.cpu}, ${r.threads} threads, ${r.activations} activations; prompt ${r.prompt_tokens} tokens, decode ${r.gen_tokens} tokens, ${r.reps} reps (medians)`,
    '',
    `${pad('engine', 12)}${'prefill t/s'.padStart(12)}${'decode t/s'.padStart(12)}`,
    `${pad('vmlx', 12)}${num(r.vmlx.prefill_tokens_per_s)}  ${num(r.vmlx.decode_tokens_per_s)}`,
  ];
  if (r.llama_cpp && r.ratios) {
    lines.push(`${pad(r.peer === 'llama-bench' ? 'llama-bench' : 'llama.cpp', 12)}${num(r.llama_cpp.prefill_tokens_per_s)}  ${num(r.llama_cpp.decode_tokens_per_s)}`);
    lines.push(`${pad('vmlx/llama', 12)}${(r.ratios.prefill.toFixed(2) + 'x').padStart(10)}  ${(r.ratios.decode.toFixed(2) + 'x').padStart(10)}`);
  }
  lines.push('', `memory bandwidth ${r.bandwidth_gb_s.toFixed(1)} GB/s; bytes/token ${mb(r.bytes_per_token.total)} ` +
    `(weights ${mb(r.bytes_per_token.weights)} + KV ${mb(r.bytes_per_token.kv)})`);
  lines.push(`decode roofline ${r.roofline_decode_tokens_per_s.toFixed(1)} tok/s; vmlx at ${(100 * r.decode_fraction_of_roofline).toFixed(0)}% of it`);
  // The peak is measured on the run's own multiply-add instruction; float activations run FMAs, measured as int16.
  const peakOf = r.activations === 'float' ? ' (of the int16 instruction; this run used float activations)' : ` (${r.activations} activations)`;
  lines.push(`multiply-add peak ${r.compute_peak_gmacs.toFixed(1)} G/s${peakOf}; prefill ${(r.prefill_macs_per_token / 1e9).toFixed(3)} G per token ` +
    `→ prefill ceiling ${r.prefill_ceiling_tokens_per_s.toFixed(1)} tok/s; vmlx at ${(100 * r.prefill_fraction_of_peak).toFixed(0)}% of it`);
  const lag = r.vmlx.event_loop_lag_ms;
  lines.push(`vmlx load ${r.vmlx.load_ms} ms, warm reload ${r.vmlx.warm_load_ms} ms` +
    `${r.llama_cpp?.load_ms != null ? `; llama.cpp load ${r.llama_cpp.load_ms} ms` : ''}`);
  const loadLag = r.vmlx.event_loop_lag_during_load_ms;
  lines.push(`event-loop lag while generating: p50 ${lag.p50.toFixed(2)} ms, p99 ${lag.p99.toFixed(2)} ms, max ${lag.max.toFixed(2)} ms ` +
    `(${lag.samples} samples); during the first load: p99 ${loadLag.p99.toFixed(1)} ms, max ${loadLag.max.toFixed(1)} ms`);
  const gm = r.vmlx.grammar_mask;
  lines.push(`grammar mask: ${gm.constrained_ms_per_token.toFixed(3)} ms/token under a JSON Schema (${(100 * gm.share_of_decode_step).toFixed(1)}% of its ` +
    `${gm.decode_step_ms.toFixed(2)} ms decode step, ${gm.constrained_tokens} tokens); ${gm.unconstrained_ms_per_token.toFixed(3)} ms/token unconstrained`);
  lines.push(...memoryLines(r.memory));
  lines.push('', `targets: ${r.pass ? 'all met' : 'MISSED'}`);
  for (const c of r.checks) lines.push(`  ${c.ok ? 'ok  ' : 'MISS'} ${c.target}: ${c.detail}`);
  return lines.join('\n');
}
