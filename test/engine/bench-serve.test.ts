// `vmlx bench serve`: the pieces (percentiles, the workload, llama-batched-bench's output, the table) on made-up
// inputs, then the command itself against a real `vmlx serve` on a tiny model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { percentile } from '../../src/engine/bench/serve/stats.js';
import { makeRequests } from '../../src/engine/bench/serve/workload.js';
import { parseBatchedBenchJsonl, batchedBenchArgs } from '../../src/engine/bench/serve/batched-bench.js';
import { contextPerSequence, type ServeBenchReport } from '../../src/engine/bench/serve/run.js';
import { formatServeTable } from '../../src/engine/bench/serve/table.js';
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

test('the per-sequence context covers the longest prompt of the workload and of the prefix probe', () => {
  const c = contextPerSequence({ promptTokens: 128, genTokens: 64, sharedPrefixTokens: 256, prefixTokens: 2048 });
  assert.ok(c >= 2048 + 64 && c % 256 === 0, String(c));
});

test('the table puts vmlx beside llama-server per level, with the ratio and the scaling (made-up figures)', () => {
  const level = (c: number, tps: number) => ({
    concurrency: c, requests: 2 * c, failed: 0, outputTokens: 100, wallSeconds: 1, tokensPerSecond: tps,
    ttftMs: { p50: 100, p99: 200 }, itlMs: { p50: 20, p99: 40 },
  });
  const report: ServeBenchReport = {
    model: '/made/up', gguf: '/made/up.gguf', threads: 2, promptTokens: 128, genTokens: 64, sharedPrefixTokens: 0, requestsPerStream: 2,
    engines: [
      { name: 'vmlx', levels: [level(1, 40), level(8, 160)], prefix: { coldTtftMs: 1000, warmTtftMs: 40, warmOverCold: 0.04, cachedTokens: 2000 } },
      { name: 'llama-server', levels: [level(1, 50), level(8, 80)] },
    ],
    batchedBench: [{ pp: 128, tg: 64, pl: 1, speed_pp: 1, speed_tg: 54.5 }, { pp: 128, tg: 64, pl: 8, speed_pp: 1, speed_tg: 90 }],
  };
  const table = formatServeTable(report);
  assert.match(table, /\| 8 \| 160\.0 \| 100 \/ 200 \| 20 \/ 40 \| 80\.0 \| 100 \/ 200 \| 20 \/ 40 \| 2\.00x \| 90\.0 \|/);
  assert.match(table, /vmlx: 8 streams give 4\.00x the output tok\/s of one stream/);
  assert.match(table, /vmlx prefix probe: cold TTFT 1000 ms; .* 40 ms \(4\.0% of cold, 2000 prompt tokens reported cached\)/);
});

test('vmlx bench serve drives a real vmlx serve with concurrent streams and reports every level', async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4 });
  const r = await runVmlx(['bench', 'serve', '--model', dir, '--concurrency', '1,3', '--prompt-tokens', '12', '--gen-tokens', '4',
    '--shared-prefix', '16', '--prefix-tokens', '48', '--json'], { deadlineMs: 240_000 });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as ServeBenchReport;
  assert.equal(report.engines.length, 1);
  const [vmlx] = report.engines;
  assert.deepEqual(vmlx!.levels.map((l) => [l.concurrency, l.requests, l.failed]), [[1, 2, 0], [3, 6, 0]]);
  for (const l of vmlx!.levels) {
    assert.ok(l.outputTokens > 0 && l.tokensPerSecond > 0, JSON.stringify(l));
    assert.ok(Number.isFinite(l.ttftMs.p50) && l.ttftMs.p99 >= l.ttftMs.p50, JSON.stringify(l.ttftMs));
  }
  assert.ok(vmlx!.prefix && Number.isFinite(vmlx!.prefix.coldTtftMs) && typeof vmlx!.prefix.cachedTokens === 'number');
  assert.match(r.stderr, /bench serve: vmlx: 3 streams, 6 requests/);
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
