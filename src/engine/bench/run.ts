// One `vmlx bench` run: both engines on the same prompt, the machine's read bandwidth, and the decode roofline.
import { cpus } from 'node:os';
import {
  benchLlamaCpp, benchPromptTokens, benchVmlx, bytesPerToken, measureBandwidthGBs, readModelShape,
  type BenchOptions, type EngineResult,
} from './measure.js';

export interface BenchReport {
  model: string;
  gguf: string | null;
  cpu: string;
  threads: number;
  prompt_tokens: number;
  context_tokens: number;
  gen_tokens: number;
  reps: number;
  bandwidth_gb_s: number;
  bytes_per_token: { weights: number; kv: number; total: number };
  roofline_decode_tokens_per_s: number;
  vmlx: { prefill_tokens_per_s: number; decode_tokens_per_s: number; load_ms: number; runs: Array<{ prefill: number; decode: number }>; rss_after_load_mb: number };
  llama_cpp: { prefill_tokens_per_s: number; decode_tokens_per_s: number; load_ms: number; runs: Array<{ prefill: number; decode: number }> } | null;
  ratios: { prefill: number; decode: number } | null;
  decode_fraction_of_roofline: number;
}

const r2 = (x: number) => Math.round(x * 100) / 100;

function engineJson(e: EngineResult) {
  return {
    prefill_tokens_per_s: r2(e.prefillTokensPerSecond), decode_tokens_per_s: r2(e.decodeTokensPerSecond), load_ms: Math.round(e.loadMs),
    runs: e.runs.map((r) => ({ prefill: r2(r.prefillTokensPerSecond), decode: r2(r.decodeTokensPerSecond) })),
  };
}

export async function runBench(o: BenchOptions): Promise<BenchReport> {
  const shape = readModelShape(o.model);
  const context = o.context ?? o.promptTokens;
  const prompt = benchPromptTokens(context, shape.vocabSize);
  o.log(`measuring memory bandwidth (${o.threads} threads)`);
  const bandwidth = await measureBandwidthGBs(o.threads);
  o.log(`vmlx: ${o.model}`);
  const mine = await benchVmlx(o, prompt);
  let peer: EngineResult | null = null;
  if (o.gguf) {
    o.log(`llama.cpp: ${o.gguf}`);
    peer = await benchLlamaCpp(o, prompt);
  }
  const bpt = bytesPerToken(mine.weightBytes, shape, context, o.genTokens);
  const total = bpt.weights + bpt.kv;
  const roofline = (bandwidth * 1e9) / total;
  return {
    model: o.model, gguf: o.gguf ?? null, cpu: cpus()[0]?.model ?? 'unknown', threads: o.threads,
    prompt_tokens: context, context_tokens: context, gen_tokens: o.genTokens, reps: o.reps,
    bandwidth_gb_s: r2(bandwidth),
    bytes_per_token: { weights: bpt.weights, kv: Math.round(bpt.kv), total: Math.round(total) },
    roofline_decode_tokens_per_s: r2(roofline),
    vmlx: { ...engineJson(mine), rss_after_load_mb: Math.round(mine.rssAfterLoad / 1e6) },
    llama_cpp: peer ? engineJson(peer) : null,
    ratios: peer ? {
      prefill: r2(mine.prefillTokensPerSecond / peer.prefillTokensPerSecond),
      decode: r2(mine.decodeTokensPerSecond / peer.decodeTokensPerSecond),
    } : null,
    decode_fraction_of_roofline: r2(mine.decodeTokensPerSecond / roofline),
  };
}

export function formatBenchTable(r: BenchReport): string {
  const pad = (s: string, n: number) => s.padEnd(n);
  const num = (x: number) => x.toFixed(1).padStart(10);
  const lines = [
    `model ${r.model}${r.gguf ? `  |  gguf ${r.gguf}` : ''}`,
    `cpu ${r.cpu}, ${r.threads} threads; prompt ${r.prompt_tokens} tokens, decode ${r.gen_tokens} tokens, ${r.reps} reps (medians)`,
    '',
    `${pad('engine', 12)}${'prefill t/s'.padStart(12)}${'decode t/s'.padStart(12)}`,
    `${pad('vmlx', 12)}${num(r.vmlx.prefill_tokens_per_s)}  ${num(r.vmlx.decode_tokens_per_s)}`,
  ];
  if (r.llama_cpp && r.ratios) {
    lines.push(`${pad('llama.cpp', 12)}${num(r.llama_cpp.prefill_tokens_per_s)}  ${num(r.llama_cpp.decode_tokens_per_s)}`);
    lines.push(`${pad('vmlx/llama', 12)}${(r.ratios.prefill.toFixed(2) + 'x').padStart(10)}  ${(r.ratios.decode.toFixed(2) + 'x').padStart(10)}`);
  }
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  lines.push('', `memory bandwidth ${r.bandwidth_gb_s.toFixed(1)} GB/s; bytes/token ${mb(r.bytes_per_token.total)} ` +
    `(weights ${mb(r.bytes_per_token.weights)} + KV ${mb(r.bytes_per_token.kv)})`);
  lines.push(`decode roofline ${r.roofline_decode_tokens_per_s.toFixed(1)} tok/s; vmlx at ${(100 * r.decode_fraction_of_roofline).toFixed(0)}% of it`);
  return lines.join('\n');
}
