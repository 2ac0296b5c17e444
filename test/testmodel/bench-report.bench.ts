// `vmlx bench` end to end on a tiny model and its GGUF twin: the JSON report is complete and self-consistent
// (no speed, lag or memory threshold is asserted: those are measurements for `npm run bench:all`; the relations
// between the reported numbers are). npm run test:bench (run by .ci/run); bench-cli.test.ts keeps the argument errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { formatBenchTable, type BenchReport } from '../../src/engine/bench/run.js';
import { ensureTestModel, testModelCacheRoot } from '../helpers/test-models.js';

const vmlx = join(testModelCacheRoot(), '..', '..', 'bin', 'vmlx.js');

test('vmlx bench --peer node-llama-cpp --json reports both engines, ratios, a consistent roofline, memory against its budget, event-loop lag, load times and verdicts', async () => {
  const { dir, gguf } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4, withGguf: true });
  const r = spawnSync(process.execPath, [vmlx, 'bench', '--model', dir, '--gguf', gguf!, '--prompt-tokens', '32', '--gen-tokens', '4',
    '--threads', '1', '--reps', '2', '--json', '--target-load-ms', '60000', '--target-decode-ratio', '0.001', '--peer', 'node-llama-cpp'],
  { encoding: 'utf8', timeout: 240_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /bench: vmlx rep 2\/2/);
  assert.match(r.stderr, /bench: llama\.cpp rep 2\/2/);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'one JSON object on stdout');
  const j = JSON.parse(lines[0]);
  assert.equal(j.prompt_tokens, 32);
  assert.equal(j.gen_tokens, 4);
  assert.equal(j.peer, 'node-llama-cpp');
  assert.equal(j.vmlx.runs.length, 2);
  assert.equal(j.llama_cpp.runs.length, 2);
  for (const e of [j.vmlx, j.llama_cpp]) {
    assert.ok(e.prefill_tokens_per_s > 0 && e.decode_tokens_per_s > 0);
  }
  assert.ok(Math.abs(j.ratios.decode - j.vmlx.decode_tokens_per_s / j.llama_cpp.decode_tokens_per_s) < 0.02 * j.ratios.decode + 0.01);
  assert.ok(j.bandwidth_gb_s > 0);
  // The grammar's mask cost: a figure under a constraint, none without one.
  const gm = (j as BenchReport).vmlx.grammar_mask;
  assert.ok(gm.constrained_ms_per_token > 0 && gm.constrained_tokens > 0 && gm.decode_step_ms > 0, JSON.stringify(gm));
  assert.equal(gm.unconstrained_ms_per_token, 0);
  assert.ok(Math.abs(gm.share_of_decode_step - gm.constrained_ms_per_token / gm.decode_step_ms) < 0.001 + 0.01 * gm.share_of_decode_step);
  assert.ok(j.bytes_per_token.weights > 1e6, 'tiny model: the 151936×64 4-bit embedding alone is ~5 MB');
  assert.equal(j.bytes_per_token.total, j.bytes_per_token.weights + j.bytes_per_token.kv);
  const roofline = (j.bandwidth_gb_s * 1e9) / j.bytes_per_token.total;
  assert.ok(Math.abs(j.roofline_decode_tokens_per_s - roofline) / roofline < 0.01);
  // The prefill ceiling: multiply-adds per token from config.json, counted here independently.
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  const hd = cfg.head_dim ?? cfg.hidden_size / cfg.num_attention_heads;
  const q = cfg.num_attention_heads * hd, kvd = cfg.num_key_value_heads * hd;
  const perLayer = cfg.hidden_size * (q + 2 * kvd) + q * cfg.hidden_size + 3 * cfg.hidden_size * cfg.intermediate_size + (2 * q * (32 + 1)) / 2;
  assert.equal(j.prefill_macs_per_token, Math.round(cfg.num_hidden_layers * perLayer + (cfg.vocab_size * cfg.hidden_size) / 32));
  assert.ok(j.compute_peak_gmacs > 0);
  const ceiling = (j.compute_peak_gmacs * 1e9) / j.prefill_macs_per_token;
  assert.ok(Math.abs(j.prefill_ceiling_tokens_per_s - ceiling) / ceiling < 0.01);
  assert.ok(Math.abs(j.prefill_fraction_of_peak - j.vmlx.prefill_tokens_per_s / ceiling) < 0.01 + 0.01 * j.prefill_fraction_of_peak);

  // Memory: the files are every regular file in the directory; the KV cache is K and V, f16, for the bench's context.
  const m = (j as BenchReport).memory;
  const files = readdirSync(dir).filter((n) => statSync(join(dir, n)).isFile()).sort();
  assert.deepEqual(m.model_files.map((f) => f.name), files);
  assert.equal(m.model_files_bytes, files.reduce((s, n) => s + statSync(join(dir, n)).size, 0));
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.equal(m.max_context, 32 + 4 + 8, 'prompt + decode + 8 positions');
  const headDim = c.head_dim ?? c.hidden_size / c.num_attention_heads;
  assert.equal(m.kv_cache_bytes, 2 * c.num_hidden_layers * c.num_key_value_heads * m.max_context * headDim * 2);
  assert.equal(m.budget_bytes, Math.round(1.1 * (m.model_files_bytes + m.kv_cache_bytes)));
  assert.ok(m.rss_after_load_bytes > m.rss_before_load_bytes, 'loading a model grows the RSS');
  assert.equal(m.growth_after_load_bytes, m.rss_after_load_bytes - m.rss_before_load_bytes);
  assert.equal(m.growth_after_generation_bytes, m.rss_after_generation_bytes - m.rss_before_load_bytes);
  assert.ok(m.js_heap_after_load_bytes > 0 && m.js_heap_before_load_bytes > 0 && m.js_heap_after_generation_bytes > 0);
  if (process.platform === 'linux') {
    assert.ok(m.rss_file_after_load_bytes! > 0 && m.rss_anon_after_load_bytes! > 0);
    assert.ok(m.rss_anon_after_generation_bytes! > 0 && m.rss_anon_after_generation_bytes! <= m.rss_after_generation_bytes);
    assert.ok(m.rss_file_after_load_bytes! + m.rss_anon_after_load_bytes! <= m.rss_after_load_bytes + 1e6, 'anon + file ≤ RSS (+ shmem)');
  }
  assert.equal(j.vmlx.rss_after_load_mb, Math.round(m.rss_after_load_bytes / 1e6));

  // Event-loop lag and load times.
  for (const lag of [j.vmlx.event_loop_lag_ms, j.vmlx.event_loop_lag_during_load_ms]) {
    assert.ok(lag.p50 >= 0 && lag.p50 <= lag.p99 && lag.p99 <= lag.max, JSON.stringify(lag));
    assert.ok(Number.isInteger(lag.samples) && lag.samples >= 0);
  }
  assert.ok(j.vmlx.load_ms > 0 && j.vmlx.warm_load_ms > 0);

  // Verdicts: memory (twice) and lag always, load and decode ratio because their --target-* flags were given.
  const checks = (j as BenchReport).checks;
  assert.deepEqual(checks.map((x) => x.target), [
    'memory after load ≤ (files + KV) × 1.1', 'memory after generation ≤ (files + KV) × 1.1', 'event-loop lag p99 < 20 ms',
    'warm load < 60000 ms', 'decode ≥ 0.001× llama.cpp',
  ]);
  assert.equal(checks[0].ok, m.growth_after_load_bytes <= m.budget_bytes);
  assert.equal(checks[1].ok, m.growth_after_generation_bytes <= m.budget_bytes);
  assert.equal(checks[2].ok, j.vmlx.event_loop_lag_ms.p99 < 20);
  assert.equal(checks[3].ok, j.vmlx.warm_load_ms < 60000);
  assert.equal(checks[4].ok, j.ratios.decode >= 0.001);
  assert.equal(j.pass, checks.every((x) => x.ok));

  // The table prints every figure the JSON judged, and one line per check.
  const table = formatBenchTable(j as BenchReport);
  assert.match(table, /event-loop lag while generating: p50 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms/);
  assert.match(table, /memory budget [\d.]+ MB = \(model files [\d.]+ MB \[\d+ files in the directory\] \+ KV [\d.]+ MB \[44 positions\]\) × 1\.1/);
  assert.match(table, /the memory verdict uses the growth over the pre-load RSS/);
  assert.match(table, /vmlx load \d+ ms, warm reload \d+ ms/);
  for (const x of checks) assert.ok(table.includes(`${x.ok ? 'ok  ' : 'MISS'} ${x.target}: ${x.detail}`), x.target);
});
