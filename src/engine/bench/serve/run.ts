// `vmlx bench serve`: drives the real HTTP servers with concurrent streaming clients, level by level, vmlx and
// llama-server interleaved on the same requests, then a prefix-cache probe; llama-batched-bench gives llama.cpp's
// engine-only batched decode for the same shapes.
import { makeRequests, words } from './workload.js';
import { seededRandom } from '../../seeded-random.js';
import { timedStream, type ChatBody, type StreamTiming } from './sse-client.js';
import { medianBy, percentile, spread, type Spread } from './stats.js';
import { startLlamaServer, startVmlxServer, type RunningServer } from './servers.js';
import { runBatchedBench, type BatchedRow } from './batched-bench.js';
import { runVmlxBatched } from './vmlx-batched.js';
import { probeAdmission, probeMemory, probeSteadyDecode, type AdmissionProbe, type MemoryProbe, type SteadyDecode } from './probes.js';

export interface ServeBenchOptions {
  modelDir: string;
  gguf?: string;
  concurrency: number[];
  promptTokens: number;
  genTokens: number;
  requestsPerStream: number;
  sharedPrefixTokens: number;
  /** Length of the system prompt of the prefix-cache probe (0 = no probe). */
  prefixTokens: number;
  /** Tokens each stream decodes in the steady-decode probe, at every concurrency level (0 = no probe). */
  steadyTokens: number;
  /** Rounds of the steady-decode probe and of both batched benches, interleaved; each figure is their median. */
  rounds: number;
  /** Words of the prompt admitted while streams decode (0 = no admission probe), and how many streams decode. */
  admissionTokens: number;
  admissionStreams: number;
  /** Long conversations sent at once to a vmlx server with a `memoryBudgetBytes` KV cache (0 = no memory probe). */
  memoryConversations: number;
  memoryPromptTokens: number;
  memoryBudgetBytes: number;
  threads: number;
  seed: number;
  log: (message: string) => void;
}

export interface LevelResult {
  concurrency: number;
  requests: number;
  failed: number;
  firstError?: string;
  outputTokens: number;
  wallSeconds: number;
  /** Output tokens of every request of the level over its wall time. */
  tokensPerSecond: number;
  ttftMs: Spread;
  itlMs: Spread;
  /**
   * The median request's decode rate: its tokens after the first over the time from its first to its last (stalls
   * while others prefill included). A chunk may carry several tokens, so the gaps alone do not give it.
   */
  decodeTokensPerSecondPerStream: number;
}

export interface PrefixProbe {
  coldTtftMs: number;
  /** The same system prompt again, after another conversation ran in between. */
  warmTtftMs: number;
  warmOverCold: number;
  cachedTokens?: number;
}

export interface EngineResult {
  name: string;
  levels: LevelResult[];
  prefix?: PrefixProbe;
  admission?: AdmissionProbe;
  /** By concurrency level: aggregate decode while every stream decodes (no prefill beside it). */
  steady?: SteadyDecode[];
}

export interface ServeBenchReport {
  model: string;
  gguf?: string;
  threads: number;
  promptTokens: number;
  genTokens: number;
  sharedPrefixTokens: number;
  requestsPerStream: number;
  engines: EngineResult[];
  /** Rounds behind the steady-decode and batched figures (medians). */
  rounds: number;
  batchedBench?: BatchedRow[];
  /** vmlx's engine measured as llama-batched-bench measures llama.cpp's (vmlx-batched.ts). */
  vmlxBatched?: BatchedRow[];
  memory?: MemoryProbe;
}

/** `concurrency` clients share the request list; each sends its next request when its last one finishes. */
export async function runLevel(server: RunningServer, concurrency: number, requests: ChatBody[]): Promise<LevelResult> {
  let next = 0;
  const results: StreamTiming[] = [];
  const start = performance.now();
  const client = async () => {
    while (next < requests.length) {
      const body = requests[next++]!;
      results.push(await timedStream(server.baseUrl, { ...body, model: server.model }));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  const wallSeconds = (performance.now() - start) / 1000;
  const ok = results.filter((r) => r.ok);
  const outputTokens = ok.reduce((s, r) => s + r.completionTokens, 0);
  return {
    concurrency,
    requests: requests.length,
    failed: results.length - ok.length,
    ...(results.find((r) => !r.ok)?.error ? { firstError: results.find((r) => !r.ok)!.error } : {}),
    outputTokens,
    wallSeconds,
    tokensPerSecond: outputTokens / wallSeconds,
    ttftMs: spread(ok.map((r) => r.ttftMs).filter((x) => Number.isFinite(x))),
    itlMs: spread(ok.flatMap((r) => r.gapsMs)),
    decodeTokensPerSecondPerStream: percentile(
      ok.filter((r) => r.completionTokens > 1 && r.gapsMs.length).map((r) => ((r.completionTokens - 1) * 1000) / r.gapsMs.reduce((a, b) => a + b, 0)),
      50,
    ),
  };
}

/** Cold: a system prompt never seen; then another conversation; then the same system prompt with a new question. */
export async function probePrefix(server: RunningServer, o: { prefixTokens: number; seed: number }): Promise<PrefixProbe> {
  const rand = seededRandom(o.seed ^ 0xcafe);
  const system = words(rand, o.prefixTokens);
  const ask = (messages: ChatBody['messages']) => timedStream(server.baseUrl, { model: server.model, messages, max_tokens: 4, temperature: 0 });
  const cold = await ask([{ role: 'system', content: system }, { role: 'user', content: words(rand, 16) }]);
  await ask([{ role: 'system', content: words(rand, Math.max(16, o.prefixTokens >> 2)) }, { role: 'user', content: words(rand, 16) }]);
  const warm = await ask([{ role: 'system', content: system }, { role: 'user', content: words(rand, 16) }]);
  for (const r of [cold, warm]) if (!r.ok) throw new Error(`${server.name}: prefix probe request failed: ${r.error}`);
  return { coldTtftMs: cold.ttftMs, warmTtftMs: warm.ttftMs, warmOverCold: warm.ttftMs / cold.ttftMs, cachedTokens: warm.cachedTokens };
}

/** Per-sequence context both servers must hold: the longest prompt the workload or the probe sends, plus output. */
export function contextPerSequence(o: Pick<ServeBenchOptions, 'promptTokens' | 'genTokens' | 'sharedPrefixTokens' | 'prefixTokens' | 'admissionTokens' | 'steadyTokens'>): number {
  const longestPrompt = Math.max(o.sharedPrefixTokens + Math.ceil(1.5 * o.promptTokens), o.prefixTokens + 16, o.admissionTokens);
  // Words are about one token each; the margin covers the chat template and words that split in two.
  // The steady-decode probe's streams decode their tokens after up to as many while the others' prompts prefill.
  return Math.ceil((longestPrompt * 1.5 + Math.max(o.genTokens, 2 * o.steadyTokens + 64) + 128) / 256) * 256;
}

export async function runServeBench(o: ServeBenchOptions): Promise<ServeBenchReport> {
  const perSeq = contextPerSequence(o);
  // The admission probe runs its streams and the long prompt at once: the servers need a slot for each.
  const maxStreams = Math.max(...o.concurrency, o.admissionTokens > 0 ? o.admissionStreams + 1 : 0);
  const servers: RunningServer[] = [];
  try {
    o.log(`starting vmlx serve (${o.threads} threads, ${maxStreams} sequences, context ${perSeq} each)`);
    servers.push(await startVmlxServer({ modelDir: o.modelDir, threads: o.threads, maxContext: perSeq, maxNumSeqs: maxStreams }));
    if (o.gguf) {
      o.log(`starting llama-server (${o.threads} threads, ${maxStreams} slots, context ${perSeq} each)`);
      servers.push(await startLlamaServer({ gguf: o.gguf, threads: o.threads, parallel: maxStreams, context: perSeq * maxStreams }));
    }
    const warmup = makeRequests(1, { ...o, promptTokens: 8, genTokens: 2, sharedPrefixTokens: 0, sharedShare: 0, model: 'bench' });
    for (const s of servers) await runLevel(s, 1, warmup);

    const engines: EngineResult[] = servers.map((s) => ({ name: s.name, levels: [] }));
    for (const c of o.concurrency) {
      const requests = makeRequests(c * o.requestsPerStream, { ...o, sharedShare: 0.5, seed: o.seed + c, model: 'bench' });
      for (const [i, s] of servers.entries()) {
        o.log(`${s.name}: ${c} stream${c > 1 ? 's' : ''}, ${requests.length} requests`);
        engines[i]!.levels.push(await runLevel(s, c, requests));
      }
    }
    if (o.steadyTokens > 0) {
      const samples = servers.map((): SteadyDecode[] => []);
      for (let round = 1; round <= o.rounds; round++) {
        for (const c of o.concurrency) {
          for (const [i, s] of servers.entries()) {
            o.log(`${s.name}: steady decode probe (${c} stream${c > 1 ? 's' : ''} started together, ${o.steadyTokens} tokens each), round ${round} of ${o.rounds}`);
            // Until the window closes the first streams decode while the last ones prefill: room for that in the context.
            samples[i]!.push(await probeSteadyDecode(s, { streams: c, promptWords: o.promptTokens, genTokens: o.steadyTokens, maxTokens: perSeq - 2 * o.promptTokens, seed: o.seed + round }));
          }
        }
      }
      samples.forEach((x, i) => (engines[i]!.steady = medianBy(x, (d) => d.streams, (d) => d.tokensPerSecond)));
    }
    if (o.prefixTokens > 0) {
      for (const [i, s] of servers.entries()) {
        o.log(`${s.name}: prefix probe (${o.prefixTokens}-word system prompt)`);
        engines[i]!.prefix = await probePrefix(s, o);
      }
    }
    if (o.admissionTokens > 0) {
      for (const [i, s] of servers.entries()) {
        o.log(`${s.name}: admission probe (${o.admissionStreams} streams decoding, a ${o.admissionTokens}-word prompt arrives)`);
        // The decoding streams must outlast the long prompt's prefill: they are cut once it has its first token.
        engines[i]!.admission = await probeAdmission(s, { streams: o.admissionStreams, admittedWords: o.admissionTokens, maxTokens: perSeq - 256, seed: o.seed });
      }
    }
    for (const s of servers.splice(0)) await s.stop();

    let memory: MemoryProbe | undefined;
    if (o.memoryConversations > 0) {
      const context = Math.ceil((o.memoryPromptTokens * 1.5 + o.genTokens + 128) / 256) * 256;
      o.log(`vmlx: memory probe (${o.memoryConversations} conversations of ${o.memoryPromptTokens} words at once, KV cache ${Math.ceil(o.memoryBudgetBytes / 2 ** 20)} MiB)`);
      const server = await startVmlxServer({ modelDir: o.modelDir, threads: o.threads, maxContext: context, maxNumSeqs: o.memoryConversations, kvCacheBytes: o.memoryBudgetBytes });
      servers.push(server);
      await runLevel(server, 1, warmup);
      memory = await probeMemory(server, { conversations: o.memoryConversations, promptWords: o.memoryPromptTokens, genTokens: o.genTokens, budgetBytes: o.memoryBudgetBytes, seed: o.seed });
      for (const s of servers.splice(0)) await s.stop();
    }

    // The two engines' batched decode, round after round, so that a drift of the machine's speed touches both.
    const llamaRows: BatchedRow[] = [];
    const vmlxRows: BatchedRow[] = [];
    if (o.genTokens < 2) o.log('vmlx batched decode skipped: it needs --gen-tokens 2 or more');
    for (let round = 1; round <= o.rounds; round++) {
      const shape = `pp ${o.promptTokens}, tg ${o.genTokens}, B = ${o.concurrency.join(',')}; round ${round} of ${o.rounds}`;
      if (o.gguf) {
        o.log(`llama-batched-bench (${shape})`);
        llamaRows.push(...(await runBatchedBench({ gguf: o.gguf, threads: o.threads, prompt: o.promptTokens, gen: o.genTokens, parallel: o.concurrency })));
      }
      if (o.genTokens >= 2) {
        o.log(`vmlx batched decode in this process, no HTTP (${shape})`);
        vmlxRows.push(...(await runVmlxBatched({ modelDir: o.modelDir, threads: o.threads, prompt: o.promptTokens, gen: o.genTokens, parallel: o.concurrency })));
      }
    }
    const batchedBench = llamaRows.length ? medianBy(llamaRows, (x) => x.pl, (x) => x.speed_tg) : undefined;
    const vmlxBatched = vmlxRows.length ? medianBy(vmlxRows, (x) => x.pl, (x) => x.speed_tg) : undefined;
    return {
      model: o.modelDir, ...(o.gguf ? { gguf: o.gguf } : {}), threads: o.threads, promptTokens: o.promptTokens, genTokens: o.genTokens, rounds: o.rounds,
      sharedPrefixTokens: o.sharedPrefixTokens, requestsPerStream: o.requestsPerStream, engines, ...(batchedBench ? { batchedBench } : {}), ...(vmlxBatched ? { vmlxBatched } : {}), ...(memory ? { memory } : {}),
    };
  } finally {
    for (const s of servers) await s.stop();
  }
}
