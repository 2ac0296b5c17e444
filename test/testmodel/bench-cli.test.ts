// `vmlx bench` end to end on a tiny model and its GGUF twin: the JSON report is complete and self-consistent
// (no speed is asserted: speed targets live in `npm run bench:all`), and bad arguments give one-line errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureTestModel, testModelCacheRoot } from '../helpers/test-models.js';

const vmlx = join(testModelCacheRoot(), '..', '..', 'bin', 'vmlx.js');

test('vmlx bench --json reports both engines, ratios, bandwidth and a consistent roofline', async () => {
  const { dir, gguf } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4, withGguf: true });
  const r = spawnSync(process.execPath, [vmlx, 'bench', '--model', dir, '--gguf', gguf!, '--prompt-tokens', '32', '--gen-tokens', '4',
    '--threads', '1', '--reps', '2', '--json'], { encoding: 'utf8', timeout: 240_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /bench: vmlx rep 2\/2/);
  assert.match(r.stderr, /bench: llama\.cpp rep 2\/2/);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'one JSON object on stdout');
  const j = JSON.parse(lines[0]);
  assert.equal(j.prompt_tokens, 32);
  assert.equal(j.gen_tokens, 4);
  assert.equal(j.vmlx.runs.length, 2);
  assert.equal(j.llama_cpp.runs.length, 2);
  for (const e of [j.vmlx, j.llama_cpp]) {
    assert.ok(e.prefill_tokens_per_s > 0 && e.decode_tokens_per_s > 0);
  }
  assert.ok(Math.abs(j.ratios.decode - j.vmlx.decode_tokens_per_s / j.llama_cpp.decode_tokens_per_s) < 0.02 * j.ratios.decode + 0.01);
  assert.ok(j.bandwidth_gb_s > 0);
  assert.ok(j.bytes_per_token.weights > 1e6, 'tiny model: the 151936×64 4-bit embedding alone is ~5 MB');
  assert.equal(j.bytes_per_token.total, j.bytes_per_token.weights + j.bytes_per_token.kv);
  const roofline = (j.bandwidth_gb_s * 1e9) / j.bytes_per_token.total;
  assert.ok(Math.abs(j.roofline_decode_tokens_per_s - roofline) / roofline < 0.01);
});

test('vmlx bench: a missing model directory or GGUF is a one-line error with a non-zero exit', () => {
  for (const args of [['--model', '/nonexistent/model'], ['--model', testModelCacheRoot(), '--gguf', '/nonexistent.gguf']]) {
    const r = spawnSync(process.execPath, [vmlx, 'bench', ...args], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /nonexistent/);
  }
});
