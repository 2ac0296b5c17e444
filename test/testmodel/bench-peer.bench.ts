// `vmlx bench --gguf` with llama.cpp's own llama-bench as the peer. A stand-in llama-bench (a script in
// VMLX_LLAMA_CPP_BIN that logs its arguments and prints llama-bench's JSON shape) checks what vmlx asks of it and the
// interleaving; the real tool, built by npm run peer:build, is exercised by npm run test:peer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { llamaBenchArgs, parseLlamaBenchJson } from '../../src/engine/bench/llama-bench.js';
import { ensureTestModel, testModelCacheRoot } from '../helpers/test-models.js';

const vmlx = join(testModelCacheRoot(), '..', '..', 'bin', 'vmlx.js');

/** A llama-bench stand-in: 100 tok/s prefill, 20 tok/s decode, every call's arguments appended to calls.log. */
function fakeLlamaBench(): { dir: string; calls: () => string[][] } {
  const dir = mkdtempSync(join(tmpdir(), 'vmlx-fake-llama-bench-'));
  const log = join(dir, 'calls.log');
  const js = join(dir, 'fake.cjs');
  writeFileSync(js, `
const fs = require('fs');
const a = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(a) + '\\n');
const get = (f) => Number(a[a.indexOf(f) + 1]);
const p = get('-p'), n = get('-n'), d = get('-d'), t = get('-t');
const ts = p > 0 ? 100 : 20;
process.stdout.write(JSON.stringify([{ n_prompt: p, n_gen: n, n_depth: d, n_threads: t, avg_ts: ts, samples_ts: [ts], build_commit: 'x' }]));
`);
  const sh = join(dir, 'llama-bench');
  writeFileSync(sh, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(js)} "$@"\n`);
  chmodSync(sh, 0o755);
  return { dir, calls: () => readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]) };
}

test('vmlx bench --gguf runs llama-bench between its own repetitions, with flash attention, its threads and the decode depth', async () => {
  const { dir, gguf } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4, withGguf: true });
  const fake = fakeLlamaBench();
  try {
    const r = spawnSync(process.execPath, [vmlx, 'bench', '--model', dir, '--gguf', gguf!, '--prompt-tokens', '32', '--gen-tokens', '4',
      '--threads', '1', '--reps', '2', '--json'], { encoding: 'utf8', timeout: 240_000, env: { ...process.env, VMLX_LLAMA_CPP_BIN: fake.dir } });
    assert.equal(r.status, 0, r.stderr);
    const order = r.stderr.split('\n').map((l) => /bench: (vmlx|llama-bench) rep (\d)/.exec(l)).filter(Boolean).map((m) => `${m![1]} ${m![2]}`);
    assert.deepEqual(order, ['vmlx 1', 'llama-bench 1', 'vmlx 2', 'llama-bench 2']);
    const j = JSON.parse(r.stdout);
    assert.equal(j.peer, 'llama-bench');
    assert.equal(j.llama_cpp.prefill_tokens_per_s, 100);
    assert.equal(j.llama_cpp.decode_tokens_per_s, 20);
    assert.equal(j.llama_cpp.load_ms, null);
    assert.equal(j.ratios.decode, Math.round((j.vmlx.decode_tokens_per_s / 20) * 100) / 100);
    const calls = fake.calls();
    assert.equal(calls.length, 4, 'a prefill test and a decode test per repetition');
    for (const c of calls) {
      assert.equal(c[c.indexOf('-m') + 1], gguf);
      assert.equal(c[c.indexOf('-fa') + 1], 'on');
      assert.equal(c[c.indexOf('-t') + 1], '1');
      assert.equal(c[c.indexOf('-o') + 1], 'json');
    }
    assert.deepEqual(calls[0].slice(calls[0].indexOf('-p'), calls[0].indexOf('-p') + 6), ['-p', '32', '-n', '0', '-d', '0']);
    assert.deepEqual(calls[1].slice(calls[1].indexOf('-p'), calls[1].indexOf('-p') + 6), ['-p', '0', '-n', '4', '-d', '32']);
  } finally {
    rmSync(fake.dir, { recursive: true, force: true });
  }
});

test('vmlx bench --gguf without a built llama-bench says how to build it, in one line, before measuring', async () => {
  const { dir, gguf } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4, withGguf: true });
  const empty = mkdtempSync(join(tmpdir(), 'vmlx-no-peer-'));
  try {
    const r = spawnSync(process.execPath, [vmlx, 'bench', '--model', dir, '--gguf', gguf!, '--prompt-tokens', '8', '--gen-tokens', '2', '--reps', '1'],
      { encoding: 'utf8', timeout: 120_000, env: { ...process.env, VMLX_LLAMA_CPP_BIN: empty } });
    assert.notEqual(r.status, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /llama-bench is missing: run npm run peer:build/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test("llama-bench's JSON is read by shape, and a malformed output is a clear error", () => {
  const tests = parseLlamaBenchJson('[{"n_prompt":512,"n_gen":0,"n_depth":0,"n_threads":2,"avg_ts":240.5,"samples_ts":[240.5],"model_type":"qwen3"}]');
  assert.equal(tests[0].avg_ts, 240.5);
  assert.throws(() => parseLlamaBenchJson('error: failed to load model'), /printed no JSON/);
  assert.throws(() => parseLlamaBenchJson('[{"n_prompt":"x"}]'), /not in the expected shape/);
  assert.deepEqual(llamaBenchArgs('/m.gguf', 2, { prompt: 0, gen: 128, depth: 4096 }, 3),
    ['-m', '/m.gguf', '-t', '2', '-fa', 'on', '-ngl', '0', '-p', '0', '-n', '128', '-d', '4096', '-r', '3', '-o', 'json']);
});
