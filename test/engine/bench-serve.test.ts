// `vmlx bench serve`: the pieces (percentiles, the workload, llama-batched-bench's output, the table) on made-up
// inputs, then the command itself against a real `vmlx serve` on a tiny model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { medianBy, percentile } from '../../src/engine/bench/serve/stats.js';
import { makeRequests } from '../../src/engine/bench/serve/workload.js';
import { parseBatchedBenchJsonl, batchedBenchArgs } from '../../src/engine/bench/serve/batched-bench.js';
import { contextPerSequence, type ServeBenchReport } from '../../src/engine/bench/serve/run.js';
import { formatServeTable } from '../../src/engine/bench/serve/table.js';
import { metricValue } from '../../src/engine/bench/serve/probes.js';
import { parseConcurrencyList } from '../../src/cli/commands/bench-serve.js';
import { ensureTestModel } from '../helpers/test-models.js';
import { runVmlx } from '../helpers/vmlx-cli.js';

test('percentiles are nearest-rank over the samples', () => {
  const xs = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
  assert.equal(percentile(xs, 50), 5);
  assert.equal(percentile(xs, 99), 10);
  assert.equal(percentile(xs, 0), 1);
  assert.ok(Number.isNaN(percentile([], 50)));
});

test('medianBy keeps one sample per key, the median of its rounds, keys in first-seen order', () => {
  const rounds = [{ b: 1, v: 70 }, { b: 8, v: 250 }, { b: 1, v: 90 }, { b: 8, v: 200 }, { b: 1, v: 76 }, { b: 8, v: 280 }];
  assert.deepEqual(medianBy(rounds, (x) => x.b, (x) => x.v), [{ b: 1, v: 76 }, { b: 8, v: 250 }]);
  // An even count takes the lower middle.
  assert.deepEqual(medianBy([{ b: 2, v: 5 }, { b: 2, v: 3 }], (x) => x.b, (x) => x.v), [{ b: 2, v: 3 }]);
});

test('the workload is the same for the same seed, mixed in length, and half of it shares the system prompt', () => {
  const o = { promptTokens: 100, genTokens: 8, sharedPrefixTokens: 50, sharedShare: 0.5, seed: 7, model: 'm' };
  const a = makeRequests(200, o);
  assert.deepEqual(a, makeRequests(200, o));
  assert.notDeepEqual(a, makeRequests(200, { ...o, seed: 8 }));
  const lengths = a.map((r) => r.messages.at(-1)!.content.split(' ').length);
  assert.ok(Math.min(...lengths) >= 50 && Math.max(...lengths) <= 150, `${Math.min(...lengths)}..${Math.max(...lengths)}`);
  assert.ok(Math.max(...lengths) - Math.min(...lengths) > 50, 'lengths are mixed');
  const withSystem = a.filter((r) => r.messages[0]!.role === 'system');
  assert.ok(withSystem.length > 70 && withSystem.length < 130, `${withSystem.length} of 200 share the system prompt`);
  assert.equal(new Set(withSystem.map((r) => r.messages[0]!.content)).size, 1);
  assert.ok(a.every((r) => r.max_tokens === 8 && r.temperature === 0));
});

test('the concurrency list takes distinct positive counts and names a bad one', () => {
  assert.deepEqual(parseConcurrencyList('1, 2,4,4,16'), [1, 2, 4, 16]);
  assert.throws(() => parseConcurrencyList('1,0'), /'0' is not a stream count/);
  assert.throws(() => parseConcurrencyList('1,x'), /'x' is not a stream count/);
});

test("llama-batched-bench's JSON lines are read from among its log lines", () => {
  const out = [
    'llama_model_loader: loaded meta data',
    '{"n_kv_max": 1216, "n_batch": 2048, "pp": 128, "tg": 64, "pl": 1, "n_kv": 192, "t_pp": 0.5, "speed_pp": 256.0, "t_tg": 1.1, "speed_tg": 54.5, "t": 1.6, "speed": 120.0}',
    '{"not": "a row"}',
    '{"n_kv_max": 1216, "pp": 128, "tg": 64, "pl": 8, "speed_pp": 250.0, "speed_tg": 90.1}',
  ].join('\n');
  const rows = parseBatchedBenchJsonl(out);
  assert.deepEqual(rows.map((r) => [r.pl, r.speed_tg]), [[1, 54.5], [8, 90.1]]);
  const args = batchedBenchArgs({ gguf: 'm.gguf', threads: 2, prompt: 128, gen: 64, parallel: [1, 8] });
  assert.equal(args[args.indexOf('-npl') + 1], '1,8');
  assert.equal(args[args.indexOf('-c') + 1], String(8 * 192 + 16));
});

test('the per-sequence context covers the longest prompt of the workload, the prefix probe and the admission probe', () => {
  const c = contextPerSequence({ promptTokens: 128, genTokens: 64, sharedPrefixTokens: 256, prefixTokens: 2048, admissionTokens: 0, steadyTokens: 64 });
  assert.ok(c >= 2048 + 64 && c % 256 === 0, String(c));
  const a = contextPerSequence({ promptTokens: 128, genTokens: 64, sharedPrefixTokens: 256, prefixTokens: 0, admissionTokens: 3000, steadyTokens: 0 });
  assert.ok(a >= 3000 * 1.5 && a % 256 === 0, String(a));
  // The steady-decode probe's streams decode their tokens after as many again while the others prefill.
  const s = contextPerSequence({ promptTokens: 128, genTokens: 8, sharedPrefixTokens: 0, prefixTokens: 0, admissionTokens: 0, steadyTokens: 900 });
  assert.ok(s >= 1.5 * 128 * 1.5 + 2 * 900, String(s));
});

test('metricValue reads one sample of a Prometheus exposition, labels or not', () => {
  const text = '# HELP vmlx_kv_cache_bytes x\n# TYPE vmlx_kv_cache_bytes gauge\nvmlx_kv_cache_bytes 536870912\nvmlx_engine_preemptions_total{model="m"} 7\n';
  assert.equal(metricValue(text, 'vmlx_kv_cache_bytes'), 536870912);
  assert.equal(metricValue(text, 'vmlx_engine_preemptions_total'), 7);
  assert.ok(Number.isNaN(metricValue(text, 'vmlx_kv_cache')));
});

test('the table puts vmlx beside llama-server per level, with the ratio and the scaling (made-up figures)', () => {
  const level = (c: number, tps: number) => ({
    concurrency: c, requests: 2 * c, failed: 0, outputTokens: 100, wallSeconds: 1, tokensPerSecond: tps,
    ttftMs: { p50: 100, p99: 200 }, itlMs: { p50: 20, p99: 40 }, decodeTokensPerSecondPerStream: 50,
  });
  const report: ServeBenchReport = {
    model: '/made/up', gguf: '/made/up.gguf', threads: 2, promptTokens: 128, genTokens: 64, sharedPrefixTokens: 0, requestsPerStream: 2, rounds: 3,
    engines: [
      { name: 'vmlx', levels: [level(1, 40), level(8, 160)], prefix: { coldTtftMs: 1000, warmTtftMs: 40, warmOverCold: 0.04, cachedTokens: 2000 } },
      { name: 'llama-server', levels: [level(1, 50), level(8, 80)] },
    ],
    batchedBench: [{ pp: 128, tg: 64, pl: 1, speed_pp: 1, speed_tg: 54.5 }, { pp: 128, tg: 64, pl: 8, speed_pp: 1, speed_tg: 90 }],
    vmlxBatched: [{ pp: 128, tg: 64, pl: 1, speed_pp: 1, speed_tg: 80 }, { pp: 128, tg: 64, pl: 8, speed_pp: 1, speed_tg: 225 }],
  };
  const table = formatServeTable(report);
  assert.match(table, /steady and batched decode: medians of 3 interleaved rounds/);
  assert.match(table, /\| 8 \| 160\.0 \| 100 \/ 200 \| 20 \/ 40 \| 80\.0 \| 100 \/ 200 \| 20 \/ 40 \| 2\.00x \| 225\.0 \| 90\.0 \|/);
  // The engine without HTTP, measured as llama-batched-bench measures llama.cpp: 225 / 80 and 225 / 90 at B=8.
  assert.match(table, /vmlx batched decode tok\/s \(the engine without HTTP, .*B prompts of 128 tokens at once, then 64 tokens each\) by B: 1: 80\.0 \(1\.47x llama-batched-bench\), 8: 225\.0 \(2\.81x B=1; 2\.50x llama-batched-bench\)$/m);
  assert.match(table, /vmlx: 8 streams give 4\.00x the output tok\/s of one stream/);
  // Decode without the prefill: 8 streams each decoding at 50 tok/s are 400 tok/s, 8x one stream, 4.44x llama.cpp's B=8.
  assert.match(table, /vmlx decode tok\/s \(streams x the median request's .*\) by streams: 1: 50\.0 \(0\.92x llama-batched-bench\), 8: 400\.0 \(8\.00x one stream; 4\.44x llama-batched-bench\)$/m);
  assert.match(table, /vmlx prefix probe: cold TTFT 1000 ms; .* 40 ms \(4\.0% of cold, 2000 prompt tokens reported cached\)/);
  assert.doesNotMatch(table, /admission probe|memory probe|steady decode/);
  const steady = (streams: number, tps: number) => ({ streams, tokens: 100, windowSeconds: 100 / tps, tokensPerSecond: tps });
  const steadyTable = formatServeTable({
    ...report,
    engines: [{ ...report.engines[0]!, steady: [steady(1, 60), steady(8, 270)] }, { ...report.engines[1]!, steady: [steady(1, 30), steady(8, 45)] }],
  });
  // 270 / 60, 270 / 90 (llama-batched-bench at B=8), 270 / 45 (llama-server's steady decode at 8 streams).
  assert.match(steadyTable, /vmlx steady decode tok\/s through HTTP \(.*\) by streams: 1: 60\.0 \(1\.10x llama-batched-bench, 2\.00x llama-server's\), 8: 270\.0 \(4\.50x one stream; 3\.00x llama-batched-bench, 6\.00x llama-server's\)$/m);
  assert.match(steadyTable, /llama-server steady decode tok\/s through HTTP \(.*\) by streams: 1: 30\.0 \(0\.55x llama-batched-bench\), 8: 45\.0 \(1\.50x one stream; 0\.50x llama-batched-bench\)$/m);
  const probed = formatServeTable({
    ...report,
    engines: [{ ...report.engines[0]!, admission: { streams: 4, admittedWords: 2048, admittedTtftMs: 5000, itlMedianMs: 50, admissionItlP99Ms: 120, admissionItlMaxMs: 130, gapsDuringAdmission: 300, p99OverMedian: 2.4 } }],
    memory: { conversations: 32, promptWords: 1024, completed: 32, failed: 0, budgetBytes: 512 * 2 ** 20, kvPoolBytes: 500 * 2 ** 20, preemptions: 9, rssIdleBytes: 900 * 2 ** 20, rssPeakBytes: 1500 * 2 ** 20, wallSeconds: 80 },
  });
  assert.match(probed, /vmlx admission probe: 4 streams decoding while a 2048-word prompt arrives .*p99 120 ms, max 130 ms over 300 gaps, against a median of 50 ms \(2\.4x\)/);
  assert.match(probed, /vmlx memory probe: 32 conversations of 1024 words at once under a 512 MiB KV cache \(pool 500 MiB\): 32 completed, 0 failed, 9 preemptions, 80\.0 s; server memory 900 MiB idle, 1500 MiB peak \(\+600 MiB\)/);
});

test('vmlx bench serve drives a real vmlx serve with concurrent streams and reports every level', async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4 });
  const r = await runVmlx(['bench', 'serve', '--model', dir, '--concurrency', '1,3', '--prompt-tokens', '12', '--gen-tokens', '4',
    '--shared-prefix', '16', '--prefix-tokens', '48', '--admission-tokens', '200', '--admission-streams', '2',
    '--memory-conversations', '6', '--memory-prompt-tokens', '120', '--memory-budget', '3M', '--steady-tokens', '24', '--rounds', '2', '--json'], { deadlineMs: 240_000 });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as ServeBenchReport;
  assert.equal(report.engines.length, 1);
  const [vmlx] = report.engines;
  assert.deepEqual(vmlx!.levels.map((l) => [l.concurrency, l.requests, l.failed]), [[1, 2, 0], [3, 6, 0]]);
  for (const l of vmlx!.levels) {
    assert.ok(l.outputTokens > 0 && l.tokensPerSecond > 0 && l.decodeTokensPerSecondPerStream > 0, JSON.stringify(l));
    assert.ok(Number.isFinite(l.ttftMs.p50) && l.ttftMs.p99 >= l.ttftMs.p50, JSON.stringify(l.ttftMs));
  }
  assert.ok(vmlx!.prefix && Number.isFinite(vmlx!.prefix.coldTtftMs) && typeof vmlx!.prefix.cachedTokens === 'number');
  assert.match(r.stderr, /bench serve: vmlx: 3 streams, 6 requests/);
  // The engine-only batched decode: one row per level, every sequence's tokens counted (it throws on a short one).
  assert.deepEqual(report.vmlxBatched!.map((b) => [b.pl, b.pp, b.tg]), [[1, 12, 4], [3, 12, 4]]);
  for (const b of report.vmlxBatched!) assert.ok(b.speed_tg > 0 && b.speed_pp > 0 && Number.isFinite(b.speed_tg), JSON.stringify(b));
  // The steady-decode probe at each level: a window while all streams decoded, at least the tokens asked of each.
  assert.equal(report.rounds, 2);
  assert.deepEqual(vmlx!.steady!.map((s) => s.streams), [1, 3]);
  for (const s of vmlx!.steady!) assert.ok(s.tokens >= 20 * s.streams && s.windowSeconds > 0 && s.tokensPerSecond > 0, JSON.stringify(s));
  // The admission probe saw the streams' tokens on both sides of the long prompt's prefill.
  const a = vmlx!.admission!;
  assert.ok(a.gapsDuringAdmission > 0 && Number.isFinite(a.itlMedianMs) && a.admissionItlP99Ms > 0 && a.admittedTtftMs > 0, JSON.stringify(a));
  // Six conversations under a 3 MiB KV cache: all complete, the pool stays within the budget.
  const m = report.memory!;
  assert.equal(m.completed, 6, JSON.stringify(m));
  assert.ok(m.kvPoolBytes > 0 && m.kvPoolBytes <= m.budgetBytes && m.rssPeakBytes >= m.rssIdleBytes, JSON.stringify(m));
});

test('vmlx bench serve refuses options that do not apply and names a missing model', async () => {
  const reps = await runVmlx(['bench', 'serve', '--model', '/nonexistent', '--reps', '2']);
  assert.notEqual(reps.code, 0);
  assert.match(reps.stderr, /--reps does not apply to the serving bench/);
  const none = await runVmlx(['bench', 'serve']);
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /required option '--model <model>' not specified/);
  assert.doesNotMatch(none.stderr + reps.stderr, /\n\s+at /, 'no stack trace');
});
