// The serving bench's report as a markdown table: one row per concurrency level, vmlx beside llama-server and
// llama-batched-bench when a GGUF twin was given, then the scaling and prefix-cache lines.
import type { EngineResult, LevelResult, ServeBenchReport } from './run.js';

const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '-');
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
const pair = (s: { p50: number; p99: number }) => `${f0(s.p50)} / ${f0(s.p99)}`;

function levelCells(l: LevelResult | undefined): string[] {
  if (!l) return ['-', '-', '-'];
  const failed = l.failed ? ` (${l.failed} failed)` : '';
  return [`${f1(l.tokensPerSecond)}${failed}`, pair(l.ttftMs), pair(l.itlMs)];
}

function scalingLine(e: EngineResult): string | undefined {
  const one = e.levels.find((l) => l.concurrency === 1);
  const top = e.levels.reduce<LevelResult | undefined>((a, l) => (!a || l.concurrency > a.concurrency ? l : a), undefined);
  if (!one || !top || top.concurrency === 1) return undefined;
  return `${e.name}: ${top.concurrency} streams give ${(top.tokensPerSecond / one.tokensPerSecond).toFixed(2)}x the output tok/s of one stream`;
}

/** Decode without the prompts' own prefill in the time: the streams times the median request's decode rate. */
export function aggregateDecodeRate(l: LevelResult): number {
  return l.concurrency * l.decodeTokensPerSecondPerStream;
}

/**
 * "B: rate (x one stream; x llama-batched-bench[, x other])" for each level: every level against its own B=1 and the
 * peers at the same B (the issue's targets are at 8 streams, not only at the largest level).
 */
function byLevel(rows: { b: number; rate: number }[], one: string, peers: { name: string; rate(b: number): number | undefined }[]): string {
  const base = rows.find((x) => x.b === 1)?.rate;
  return rows.map(({ b, rate }) => {
    const own = base !== undefined && b !== 1 ? `${(rate / base).toFixed(2)}x ${one}` : '';
    const vs = peers.flatMap((p) => {
      const r = p.rate(b);
      return r !== undefined && Number.isFinite(r) ? [`${(rate / r).toFixed(2)}x ${p.name}`] : [];
    });
    const parts = [own, vs.join(', ')].filter((x) => x);
    return `${b}: ${f1(rate)}${parts.length ? ` (${parts.join('; ')})` : ''}`;
  }).join(', ');
}

const batchedPeer = (r: ServeBenchReport) => ({ name: 'llama-batched-bench', rate: (b: number) => r.batchedBench?.find((x) => x.pl === b)?.speed_tg });

function decodeLine(e: EngineResult, r: ServeBenchReport): string | undefined {
  const rows = e.levels.map((l) => ({ b: l.concurrency, rate: aggregateDecodeRate(l) })).filter((x) => Number.isFinite(x.rate));
  if (!rows.length) return undefined;
  return `${e.name} decode tok/s (streams x the median request's tokens after its first over the time from its first to its last) by streams: ${byLevel(rows, 'one stream', [batchedPeer(r)])}`;
}

/** Aggregate decode while every stream decodes, by streams, against one stream and the peers at the same level. */
function steadyLine(e: EngineResult, r: ServeBenchReport): string | undefined {
  if (!e.steady?.length) return undefined;
  const peers = [batchedPeer(r)];
  const other = r.engines.find((x) => x !== e);
  if (other?.steady && e === r.engines[0]) peers.push({ name: `${other.name}'s`, rate: (b) => other.steady!.find((x) => x.streams === b)?.tokensPerSecond });
  return `${e.name} steady decode tok/s through HTTP (the streams started together; tokens arriving while every one decodes, over that window) by streams: ` +
    byLevel(e.steady.map((x) => ({ b: x.streams, rate: x.tokensPerSecond })), 'one stream', peers);
}

/** vmlx's engine-only batched decode by B, against its own B=1 and llama-batched-bench at the same B. */
function batchedLine(r: ServeBenchReport): string | undefined {
  const rows = r.vmlxBatched;
  if (!rows?.length) return undefined;
  return `vmlx batched decode tok/s (the engine without HTTP, as llama-batched-bench: B prompts of ${rows[0]!.pp} tokens at once, then ${rows[0]!.tg} tokens each) by B: ` +
    byLevel(rows.map((x) => ({ b: x.pl, rate: x.speed_tg })), 'B=1', [batchedPeer(r)]);
}

export function formatServeTable(r: ServeBenchReport): string {
  const [vmlx, peer] = r.engines;
  const lines = [
    `model ${r.model}${r.gguf ? `, GGUF twin ${r.gguf}` : ''}`,
    `${r.threads} threads; prompts of about ${r.promptTokens} tokens (0.5-1.5x)${r.sharedPrefixTokens ? `, half opening with one ${r.sharedPrefixTokens}-token system prompt` : ''}; ${r.genTokens} new tokens; ${r.requestsPerStream} requests per stream; steady and batched decode: medians of ${r.rounds} interleaved round${r.rounds === 1 ? '' : 's'}`,
    '',
  ];
  const head = ['streams', 'vmlx tok/s', 'vmlx TTFT p50 / p99 ms', 'vmlx ITL p50 / p99 ms'];
  if (peer) head.push('llama-server tok/s', 'llama-server TTFT p50 / p99 ms', 'llama-server ITL p50 / p99 ms', 'vmlx / llama-server');
  if (r.vmlxBatched) head.push('vmlx batched tg tok/s');
  if (r.batchedBench) head.push('llama-batched-bench tg tok/s');
  lines.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
  for (const l of vmlx?.levels ?? []) {
    const cells = [String(l.concurrency), ...levelCells(l)];
    if (peer) {
      const p = peer.levels.find((x) => x.concurrency === l.concurrency);
      cells.push(...levelCells(p), p ? `${(l.tokensPerSecond / p.tokensPerSecond).toFixed(2)}x` : '-');
    }
    if (r.vmlxBatched) cells.push(f1(r.vmlxBatched.find((b) => b.pl === l.concurrency)?.speed_tg ?? Number.NaN));
    if (r.batchedBench) cells.push(f1(r.batchedBench.find((b) => b.pl === l.concurrency)?.speed_tg ?? Number.NaN));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push('');
  for (const e of r.engines) {
    const s = scalingLine(e);
    if (s) lines.push(s);
  }
  for (const e of r.engines) {
    const d = decodeLine(e, r);
    if (d) lines.push(d);
  }
  for (const e of r.engines) {
    const s = steadyLine(e, r);
    if (s) lines.push(s);
  }
  const b = batchedLine(r);
  if (b) lines.push(b);
  for (const e of r.engines) {
    if (!e.prefix) continue;
    const p = e.prefix;
    const cached = p.cachedTokens !== undefined ? `, ${p.cachedTokens} prompt tokens reported cached` : '';
    lines.push(`${e.name} prefix probe: cold TTFT ${f0(p.coldTtftMs)} ms; the same system prompt after another conversation ${f0(p.warmTtftMs)} ms (${(100 * p.warmOverCold).toFixed(1)}% of cold${cached})`);
  }
  for (const e of r.engines) {
    const a = e.admission;
    if (!a) continue;
    lines.push(`${e.name} admission probe: ${a.streams} streams decoding while a ${a.admittedWords}-word prompt arrives (first token after ${f0(a.admittedTtftMs)} ms): `
      + `inter-token p99 ${f0(a.admissionItlP99Ms)} ms, max ${f0(a.admissionItlMaxMs)} ms over ${a.gapsDuringAdmission} gaps, against a median of ${f0(a.itlMedianMs)} ms (${f1(a.p99OverMedian)}x)`);
  }
  if (r.memory) {
    const m = r.memory;
    const mib = (b: number) => (b / 2 ** 20).toFixed(b < 10 * 2 ** 20 ? 1 : 0);
    lines.push(`vmlx memory probe: ${m.conversations} conversations of ${m.promptWords} words at once under a ${mib(m.budgetBytes)} MiB KV cache `
      + `(pool ${mib(m.kvPoolBytes)} MiB): ${m.completed} completed, ${m.failed} failed, ${m.preemptions} preemptions, ${f1(m.wallSeconds)} s; `
      + `server memory ${mib(m.rssIdleBytes)} MiB idle, ${mib(m.rssPeakBytes)} MiB peak (+${mib(m.rssPeakBytes - m.rssIdleBytes)} MiB)`
      + (m.firstError ? `; first failure: ${m.firstError}` : ''));
  }
  const failures = r.engines.flatMap((e) => e.levels.filter((l) => l.failed).map((l) => `${e.name} at ${l.concurrency} streams: ${l.failed} failed (${l.firstError})`));
  for (const f of failures) lines.push(`failed requests: ${f}`);
  return lines.join('\n');
}
