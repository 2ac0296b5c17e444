// The bench report's verdicts (judgeBench) and the docs/benchmarks.md writer, on a FABRICATED report: every number
// below is made up to exercise the code (boundaries, a missed and a met row); none of it was measured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prefillMacsPerToken } from '../../src/engine/bench/compute.js';
import { benchmarksMarkdown } from '../../src/engine/bench/markdown.js';
import type { BenchReport } from '../../src/engine/bench/run.js';
import { judgeBench } from '../../src/engine/bench/verdicts.js';

const MB = 1e6;

/** A made-up report (not a measurement). */
function fabricatedReport(over: { growthLoadMb?: number; growthGenMb?: number; lagP99?: number; decodeRatio?: number } = {}): BenchReport {
  const before = 80 * MB;
  const files = 347 * MB;
  const kv = 61 * MB;
  const report: Omit<BenchReport, 'checks' | 'pass'> = {
    model: '/fabricated/model', gguf: '/fabricated/model.gguf', peer: 'llama-bench', cpu: 'Fabricated CPU', threads: 2, activations: 'int16',
    prompt_tokens: 512, context_tokens: 512, gen_tokens: 128, reps: 3, bandwidth_gb_s: 20,
    bytes_per_token: { weights: 300 * MB, kv: 60 * MB, total: 360 * MB },
    roofline_decode_tokens_per_s: 55.6,
    compute_peak_gmacs: 234, prefill_macs_per_token: 0.6e9, prefill_ceiling_tokens_per_s: 390, prefill_fraction_of_peak: 0.77,
    vmlx: {
      prefill_tokens_per_s: 300, decode_tokens_per_s: 45, load_ms: 1300, runs: [{ prefill: 300, decode: 45 }],
      rss_after_load_mb: Math.round((before + (over.growthLoadMb ?? 400) * MB) / MB), warm_load_ms: 900,
      event_loop_lag_ms: { p50: 0.1, p99: over.lagP99 ?? 1.5, max: 7, samples: 5000 },
      event_loop_lag_during_load_ms: { p50: 0, p99: 500, max: 500, samples: 10 },
      grammar_mask: { unconstrained_ms_per_token: 0, constrained_ms_per_token: 0.8, decode_step_ms: 22, share_of_decode_step: 0.0364, constrained_tokens: 128 },
    },
    llama_cpp: { prefill_tokens_per_s: 250, decode_tokens_per_s: 45 / (over.decodeRatio ?? 2), load_ms: 1500, runs: [{ prefill: 250, decode: 22.5 }] },
    ratios: { prefill: 1.2, decode: over.decodeRatio ?? 2 },
    decode_fraction_of_roofline: 0.81,
    memory: {
      model_files: [{ name: 'model.safetensors', bytes: files }], model_files_bytes: files, max_context: 648, kv_cache_bytes: kv,
      headroom: 0.1, budget_bytes: Math.round((files + kv) * 1.1),
      rss_before_load_bytes: before, rss_after_load_bytes: before + (over.growthLoadMb ?? 400) * MB,
      rss_after_generation_bytes: before + (over.growthGenMb ?? 440) * MB,
      growth_after_load_bytes: (over.growthLoadMb ?? 400) * MB, growth_after_generation_bytes: (over.growthGenMb ?? 440) * MB,
      rss_file_before_load_bytes: 40 * MB, rss_file_after_load_bytes: 41 * MB, rss_anon_after_load_bytes: 430 * MB,
      rss_anon_after_generation_bytes: 470 * MB,
      js_heap_before_load_bytes: 19 * MB, js_heap_after_load_bytes: 64 * MB, js_heap_after_generation_bytes: 66 * MB, verdict_basis: 'growth over the pre-load RSS',
    },
  };
  const checks = judgeBench(report, { minDecodeRatio: 2, minPrefillRatio: 1, minRooflineFraction: 0.8, maxWarmLoadMs: 2000 });
  return { ...report, checks, pass: checks.every((c) => c.ok) };
}

test('judgeBench (fabricated report): memory against the budget at its boundary, lag against 20 ms, the given targets only', () => {
  const budgetMb = ((347 + 61) * 1.1 * MB) / MB; // 448.8
  const atBudget = fabricatedReport({ growthLoadMb: budgetMb, growthGenMb: budgetMb });
  assert.deepEqual(atBudget.checks.map((c) => c.ok), [true, true, true, true, true, true, true]);
  assert.equal(atBudget.pass, true);
  const over = fabricatedReport({ growthGenMb: budgetMb + 1, lagP99: 20, decodeRatio: 1.99 });
  assert.deepEqual(over.checks.map((c) => [c.target, c.ok]), [
    ['memory after load ≤ (files + KV) × 1.1', true],
    ['memory after generation ≤ (files + KV) × 1.1', false],
    ['event-loop lag p99 < 20 ms', false],
    ['warm load < 2000 ms', true],
    ['decode ≥ 2× llama.cpp', false],
    ['prefill ≥ 1× llama.cpp', true],
    ['decode ≥ 80% of roofline', true],
  ]);
  assert.equal(over.pass, false);
  const none = judgeBench(over, {});
  assert.deepEqual(none.map((c) => c.target), over.checks.slice(0, 3).map((c) => c.target), 'memory and lag are judged without targets');
  const noPeer = judgeBench({ ...over, ratios: null, llama_cpp: null }, { minDecodeRatio: 1 });
  assert.deepEqual(noPeer.at(-1), { target: 'decode ≥ 1× llama.cpp', ok: false, detail: 'no llama.cpp run' });
});

test('benchmarksMarkdown (fabricated reports): one row per target with memory, lag, load and verdict columns', () => {
  const met = fabricatedReport();
  const missed = fabricatedReport({ growthGenMb: 500, decodeRatio: 1.5 });
  const md = benchmarksMarkdown([{ target: 'fabricated met', report: met }, { target: 'fabricated missed', report: missed }], {
    generatedAt: '2000-01-01T00:00:00.000Z', cpu: 'Fabricated CPU', logicalCores: 2, bandwidthGBs: 20, loadAverage: { start: 1, end: 2 },
  });
  const table = md.split('\n').filter((l) => l.startsWith('|'));
  assert.equal(table.length, 4, 'header, rule and two rows');
  const cells = (l: string) => l.slice(1, -1).split(' | ').map((c) => c.trim());
  const header = cells(table[0]);
  assert.equal(table[1], `|${header.map(() => '---').join('|')}|`);
  for (const row of table.slice(2)) assert.equal(cells(row).length, header.length, row);
  const col = (row: string, name: string) => cells(row)[header.indexOf(name)];
  assert.equal(col(table[2], 'RSS growth after load / after gen of budget'), '+400 / +440 of 449 MB');
  assert.equal(col(table[2], 'RSS after load'), '480 MB');
  assert.equal(col(table[2], 'event-loop lag p99 / max'), '1.5 / 7.0 ms');
  assert.equal(col(table[2], 'grammar mask /token (% of step)'), '0.800 ms (3.6%)');
  assert.equal(col(table[2], 'load cold / warm'), '1300 / 900 ms');
  assert.equal(col(table[2], 'tg ratio'), '2.00×');
  assert.equal(col(table[2], 'verdict'), '**pass** (7 checks)');
  assert.equal(col(table[3], 'verdict'),
    '**MISS** memory after generation ≤ (files + KV) × 1.1 (RSS growth 500.0 MB vs budget 448.8 MB); decode ≥ 2× llama.cpp (1.50×)');
  assert.match(md, /CPU: Fabricated CPU \(2 logical cores\)\. Memory read bandwidth \(2 threads\): 20\.0 GB\/s\./);
  assert.match(md, /The verdict\nuses the RSS growth over the RSS just before the load/);
});

test('prefill multiply-adds per token count every linear layer, causal attention and the lm_head share (hand-counted shape)', () => {
  // 1 layer, hidden 2, intermediate 3, 1 head and 1 KV head of dim 2, vocab 4. Linear: q 2x2 + k 2x2 + v 2x2 + o 2x2 +
  // gate/up/down 3 x (2x3) = 34; attention over a 3-token prompt: q.k and p.v, 2 x 2 per position, mean 2 positions = 8;
  // lm_head 4x2 for one of the 3 tokens = 8/3.
  const shape = { vocabSize: 4, numLayers: 1, numKvHeads: 1, headDim: 2, hiddenSize: 2, intermediateSize: 3, numHeads: 1 };
  assert.equal(prefillMacsPerToken(shape, 3), 34 + 8 + 8 / 3);
});

test('a mixture-of-experts layer counts the router, its topK experts and the shared expert, not every expert', () => {
  // As above with the MLP replaced by 8 experts of intermediate 3, 2 per token, a shared expert of 5: router 2x8 = 16,
  // routed 2 x 3 x (2x3) = 36, shared 3 x (2x5) = 30; attention linears 16, attention 8, lm_head 8/3.
  const shape = {
    vocabSize: 4, numLayers: 1, numKvHeads: 1, headDim: 2, hiddenSize: 2, intermediateSize: 99, numHeads: 1,
    moe: { numExperts: 8, topK: 2, expertIntermediateSize: 3, sharedIntermediateSize: 5, moeLayers: 1 },
  };
  assert.equal(prefillMacsPerToken(shape, 3), 16 + 16 + 36 + 30 + 8 + 8 / 3);
});
