// Serving probes beyond the concurrency levels:
//  * steady decode: B streams started together; the tokens that arrive while every one of them is decoding, over
//    that window: aggregate decode through HTTP with no prompt being prefilled beside it (what llama-batched-bench's
//    tg measures of the engine alone);
//  * admission: streams decode while a long new prompt arrives; the gaps between their tokens while it is prefilled
//    (chunked between their decode steps, or not) against their usual gap;
//  * memory: many long conversations at once under a small KV-cache budget; every one must complete (preempted and
//    recomputed, never an out-of-memory crash) and the server's memory must stay within its budget.
import { readFileSync } from 'node:fs';
import { words } from './workload.js';
import { seededRandom } from '../../seeded-random.js';
import { percentile } from './stats.js';
import { timedStream, type ChatBody, type StreamTiming } from './sse-client.js';
import type { RunningServer } from './servers.js';

export interface AdmissionProbe {
  /** Streams decoding when the long prompt arrives. */
  streams: number;
  /** Words of the admitted prompt (about one token each). */
  admittedWords: number;
  admittedTtftMs: number;
  /** Median gap between the running streams' tokens outside the admission window. */
  itlMedianMs: number;
  /** p99 and max of the gaps that overlap the window from the long prompt's arrival to its first token. */
  admissionItlP99Ms: number;
  admissionItlMaxMs: number;
  gapsDuringAdmission: number;
  p99OverMedian: number;
}

/** Token arrival times of one stream, with waits on their count (no polling: the bench shares the CPU with servers). */
class Arrivals {
  readonly times: number[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];
  private over = false;

  push(at: number): void {
    this.times.push(at);
    this.waiters = this.waiters.filter((w) => (this.times.length >= w.n ? (w.resolve(), false) : true));
  }

  /** The stream ended (finished, failed or cut): nothing more will arrive. */
  end(): void {
    this.over = true;
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  /** Resolves once `n` tokens have arrived or the stream is over. */
  reach(n: number): Promise<void> {
    if (this.over || this.times.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}

/** One streaming request per body, all at once, each with its token arrivals and an abort to cut it. */
function startStreams(server: RunningServer, bodies: ChatBody[]): { runs: { arrivals: Arrivals; done: Promise<StreamTiming> }[]; cut(): void } {
  const aborts = bodies.map(() => new AbortController());
  const runs = bodies.map((body, i) => {
    const arrivals = new Arrivals();
    const done = timedStream(server.baseUrl, body, aborts[i]!.signal, (at) => arrivals.push(at));
    void done.then(() => arrivals.end());
    return { arrivals, done };
  });
  return { runs, cut: () => aborts.forEach((a) => a.abort()) };
}

export async function probeAdmission(server: RunningServer, o: { streams: number; admittedWords: number; maxTokens: number; seed: number }): Promise<AdmissionProbe> {
  const rand = seededRandom(o.seed ^ 0xad317);
  const { runs: streams, cut } = startStreams(server, Array.from({ length: o.streams }, (): ChatBody => (
    { model: server.model, messages: [{ role: 'user', content: words(rand, 48) }], max_tokens: o.maxTokens, temperature: 0 })));
  // Every stream decoding (8 tokens each) before the long prompt arrives.
  await Promise.all(streams.map((s) => s.arrivals.reach(8)));
  const arrivedAt = performance.now();
  let firstTokenAt = Number.NaN;
  const admitted = await timedStream(server.baseUrl, {
    model: server.model, messages: [{ role: 'user', content: words(rand, o.admittedWords) }], max_tokens: 2, temperature: 0,
  }, undefined, (at) => {
    if (Number.isNaN(firstTokenAt)) firstTokenAt = at;
  });
  if (!admitted.ok) throw new Error(`${server.name}: admission probe: the long prompt failed: ${admitted.error}`);
  // A few more tokens each after the window, then the streams are cut.
  await Promise.all(streams.map((s) => s.arrivals.reach(s.arrivals.times.length + 8)));
  cut();
  await Promise.all(streams.map((s) => s.done));
  const times = streams.map((s) => s.arrivals.times);

  const during: number[] = [];
  const outside: number[] = [];
  for (const t of times) {
    for (let k = 1; k < t.length; k++) {
      const gap = t[k]! - t[k - 1]!;
      if (t[k]! > arrivedAt && t[k - 1]! < firstTokenAt) during.push(gap);
      else outside.push(gap);
    }
  }
  const median = percentile(outside, 50);
  const p99 = percentile(during, 99);
  return {
    streams: o.streams, admittedWords: o.admittedWords, admittedTtftMs: admitted.ttftMs, itlMedianMs: median,
    admissionItlP99Ms: p99, admissionItlMaxMs: during.length ? Math.max(...during) : Number.NaN,
    gapsDuringAdmission: during.length, p99OverMedian: p99 / median,
  };
}

export interface SteadyDecode {
  streams: number;
  /** Tokens (all streams) that arrived inside the window, and the window's length. */
  tokens: number;
  windowSeconds: number;
  tokensPerSecond: number;
}

/** Tokens decoded before the window opens: every stream is past its prefill and its first steps. */
const STEADY_LEAD = 4;

/**
 * `streams` requests at once, each allowed `maxTokens`; the window opens once every stream has its first tokens (all
 * prompts prefilled: the first streams decode while the last ones prefill, so that part is left out) and closes when
 * every stream has decoded `genTokens` more; then the streams are cut. Text chunks stand for tokens (a word split
 * across two tokens arrives as one chunk, so the rate errs low).
 */
export async function probeSteadyDecode(server: RunningServer, o: { streams: number; promptWords: number; genTokens: number; maxTokens: number; seed: number }): Promise<SteadyDecode> {
  const rand = seededRandom(o.seed ^ 0x57ead ^ o.streams);
  const { runs, cut } = startStreams(server, Array.from({ length: o.streams }, (): ChatBody => (
    { model: server.model, messages: [{ role: 'user', content: words(rand, o.promptWords) }], max_tokens: o.maxTokens, temperature: 0, ignore_eos: true })));
  await Promise.all(runs.map((r) => r.arrivals.reach(STEADY_LEAD)));
  const atOpen = runs.map((r) => r.arrivals.times.length);
  await Promise.all(runs.map((r, i) => r.arrivals.reach(atOpen[i]! + o.genTokens)));
  cut();
  const results = await Promise.all(runs.map((r) => r.done));
  const short = results.findIndex((_, i) => runs[i]!.arrivals.times.length < atOpen[i]! + o.genTokens);
  if (short >= 0) throw new Error(`${server.name}: steady decode probe: a stream ended before its ${o.genTokens} tokens: ${results[short]!.error ?? `${runs[short]!.arrivals.times.length} text chunks in all`}`);
  const times = runs.map((r) => r.arrivals.times);
  const opens = Math.max(...times.map((t) => t[STEADY_LEAD - 1]!));
  const closes = Math.min(...times.map((t, i) => t[atOpen[i]! + o.genTokens - 1]!));
  const tokens = times.reduce((n, t) => n + t.filter((x) => x > opens && x <= closes).length, 0);
  const windowSeconds = (closes - opens) / 1000;
  return { streams: o.streams, tokens, windowSeconds, tokensPerSecond: tokens / windowSeconds };
}

export interface MemoryProbe {
  conversations: number;
  promptWords: number;
  completed: number;
  failed: number;
  firstError?: string;
  /** The --kv-cache-memory budget the server ran with, and the pool it built under it. */
  budgetBytes: number;
  kvPoolBytes: number;
  preemptions: number;
  /** Resident memory of the server process once loaded and warmed up, and its peak during the probe. */
  rssIdleBytes: number;
  rssPeakBytes: number;
  wallSeconds: number;
}

/** Resident set size of a process (Linux /proc); NaN elsewhere. */
export function residentBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** One value of a Prometheus text exposition (the first sample of `name`). */
export function metricValue(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

export async function probeMemory(server: RunningServer & { pid: number }, o: { conversations: number; promptWords: number; genTokens: number; budgetBytes: number; seed: number }): Promise<MemoryProbe> {
  const rand = seededRandom(o.seed ^ 0x3e3);
  const rssIdleBytes = residentBytes(server.pid);
  let rssPeakBytes = rssIdleBytes;
  const sampler = setInterval(() => {
    const r = residentBytes(server.pid);
    if (r > rssPeakBytes) rssPeakBytes = r;
  }, 100);
  const start = performance.now();
  let results;
  try {
    // Distinct conversations (no shared prefix), all at once.
    const bodies: ChatBody[] = Array.from({ length: o.conversations }, () => ({
      model: server.model, messages: [{ role: 'user', content: words(rand, o.promptWords) }], max_tokens: o.genTokens, temperature: 0,
    }));
    results = await Promise.all(bodies.map((b) => timedStream(server.baseUrl, b)));
  } finally {
    clearInterval(sampler);
  }
  const wallSeconds = (performance.now() - start) / 1000;
  const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
  const failed = results.filter((r) => !r.ok);
  return {
    conversations: o.conversations, promptWords: o.promptWords, completed: results.length - failed.length, failed: failed.length,
    ...(failed[0]?.error ? { firstError: failed[0].error } : {}),
    budgetBytes: o.budgetBytes, kvPoolBytes: metricValue(metrics, 'vmlx_kv_cache_bytes'),
    preemptions: metricValue(metrics, 'vmlx_engine_preemptions_total'), rssIdleBytes, rssPeakBytes, wallSeconds,
  };
}
