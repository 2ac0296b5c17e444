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

function decodeLine(e: EngineResult, batched: ServeBenchReport['batchedBench']): string | undefined {
  const one = e.levels.find((l) => l.concurrency === 1);
  const top = e.levels.reduce<LevelResult | undefined>((a, l) => (!a || l.concurrency > a.concurrency ? l : a), undefined);
  if (!top || !Number.isFinite(aggregateDecodeRate(top))) return undefined;
  const parts = e.levels.map((l) => `${l.concurrency}: ${f1(aggregateDecodeRate(l))}`);
  let line = `${e.name} decode tok/s (streams x the median request's tokens after its first over the time from its first to its last) by streams: ${parts.join(', ')}`;
  if (one && top !== one) line += `; ${top.concurrency} streams ${(aggregateDecodeRate(top) / aggregateDecodeRate(one)).toFixed(2)}x one stream`;
  const peer = batched?.find((b) => b.pl === top.concurrency);
  if (peer) line += `, ${(aggregateDecodeRate(top) / peer.speed_tg).toFixed(2)}x llama-batched-bench at B=${top.concurrency}`;
  return line;
}

/** Aggregate decode while every stream decodes, by streams, against one stream and the peers at the largest level. */
function steadyLine(e: EngineResult, r: ServeBenchReport): string | undefined {
  const rows = e.steady;
  if (!rows?.length) return undefined;
  const top = rows.reduce((a, x) => (x.streams > a.streams ? x : a));
  const one = rows.find((x) => x.streams === 1);
  let line = `${e.name} steady decode tok/s through HTTP (the streams started together; tokens arriving while every one decodes, over that window) by streams: ` +
    rows.map((x) => `${x.streams}: ${f1(x.tokensPerSecond)}`).join(', ');
  const ratios: string[] = [];
  if (one && top !== one) ratios.push(`${(top.tokensPerSecond / one.tokensPerSecond).toFixed(2)}x one stream`);
  const batched = r.batchedBench?.find((x) => x.pl === top.streams);
  if (batched) ratios.push(`${(top.tokensPerSecond / batched.speed_tg).toFixed(2)}x llama-batched-bench at B=${top.streams}`);
  const other = r.engines.find((x) => x !== e)?.steady?.find((x) => x.streams === top.streams);
  if (other && e === r.engines[0]) ratios.push(`${(top.tokensPerSecond / other.tokensPerSecond).toFixed(2)}x llama-server's`);
  if (ratios.length) line += `; ${top.streams} streams ${ratios.join(', ')}`;
  return line;
}

/** vmlx's engine-only batched decode by B, against its own B=1 and llama-batched-bench at the largest B. */
function batchedLine(r: ServeBenchReport): string | undefined {
  const rows = r.vmlxBatched;
  if (!rows?.length) return undefined;
  const top = rows.reduce((a, x) => (x.pl > a.pl ? x : a));
  const one = rows.find((x) => x.pl === 1);
  let line = `vmlx batched decode tok/s (the engine without HTTP, as llama-batched-bench: B prompts of ${top.pp} tokens at once, then ${top.tg} tokens each) by B: ` +
    rows.map((x) => `${x.pl}: ${f1(x.speed_tg)}`).join(', ');
  if (one && top !== one) line += `; B=${top.pl} ${(top.speed_tg / one.speed_tg).toFixed(2)}x B=1`;
  const peer = r.batchedBench?.find((x) => x.pl === top.pl);
  if (peer) line += `, ${(top.speed_tg / peer.speed_tg).toFixed(2)}x llama-batched-bench at B=${top.pl}`;
  return line;
}

export function formatServeTable(r: ServeBenchReport): string {
  const [vmlx, peer] = r.engines;
  const lines = [
    `model ${r.model}${r.gguf ? `, GGUF twin ${r.gguf}` : ''}`,
    `${r.threads} threads; prompts of about ${r.promptTokens} tokens (0.5-1.5x)${r.sharedPrefixTokens ? `, half opening with one ${r.sharedPrefixTokens}-token system prompt` : ''}; ${r.genTokens} new tokens; ${r.requestsPerStream} requests per stream`,
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
    const d = decodeLine(e, r.batchedBench);
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
