// `vmlx bench`: bad arguments give one-line errors (the full report on a tiny model is bench-report.bench.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { testModelCacheRoot } from '../helpers/test-models.js';

const vmlx = join(testModelCacheRoot(), '..', '..', 'bin', 'vmlx.js');

test('vmlx bench: a missing model directory or GGUF is a one-line error with a non-zero exit', () => {
  for (const args of [['--model', '/nonexistent/model'], ['--model', testModelCacheRoot(), '--gguf', '/nonexistent.gguf']]) {
    const r = spawnSync(process.execPath, [vmlx, 'bench', ...args], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /nonexistent/);
  }
});

test('vmlx bench: a ratio target without --gguf, or a bad target value, is a one-line error', () => {
  for (const [args, pattern] of [
    [['--target-decode-ratio', '2'], /need --gguf/],
    [['--target-roofline', '1.5'], /at most 1/],
    [['--target-load-ms', 'soon'], /expected a number > 0/],
    [['--peer', 'ollama'], /--peer.*ollama.*llama-bench, node-llama-cpp/],
  ] as const) {
    const r = spawnSync(process.execPath, [vmlx, 'bench', '--model', testModelCacheRoot(), ...args], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, pattern);
  }
});
