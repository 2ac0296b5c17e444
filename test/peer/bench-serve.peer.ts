// npm run test:peer: `vmlx bench serve --gguf` runs llama.cpp's own llama-server and llama-batched-bench (built by
// npm run peer:build) on the GGUF twin in the same run as vmlx, and their figures reach the report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { peerTool } from '../../src/engine/bench/llama-bench.js';
import type { ServeBenchReport } from '../../src/engine/bench/serve/run.js';
import { ensureTestModel } from '../helpers/test-models.js';
import { runVmlx } from '../helpers/vmlx-cli.js';

test('llama-server and llama-batched-bench measure the GGUF twin beside vmlx serve', async () => {
  peerTool('llama-server'); // throws "run npm run peer:build" when it is not built: a failure, not a skip
  const { dir, gguf } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4, withGguf: 'q4_0' });
  const r = await runVmlx(['bench', 'serve', '--model', dir, '--gguf', gguf!, '--concurrency', '1,2', '--prompt-tokens', '16',
    '--gen-tokens', '8', '--prefix-tokens', '64', '--steady-tokens', '24', '--rounds', '2', '--json'], { deadlineMs: 600_000 });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as ServeBenchReport;
  assert.deepEqual(report.engines.map((e) => e.name), ['vmlx', 'llama-server']);
  for (const e of report.engines) {
    assert.deepEqual(e.levels.map((l) => [l.concurrency, l.failed]), [[1, 0], [2, 0]], e.name);
    for (const l of e.levels) assert.ok(l.outputTokens > 0 && l.tokensPerSecond > 0, `${e.name}: ${JSON.stringify(l)}`);
    assert.ok(e.prefix && Number.isFinite(e.prefix.warmTtftMs), e.name);
    // The steady-decode probe (ignore_eos, which llama-server takes too): a median per level over the rounds.
    assert.deepEqual(e.steady?.map((s) => s.streams), [1, 2], e.name);
    for (const s of e.steady!) assert.ok(s.tokensPerSecond > 0 && s.tokens >= 16 * s.streams, `${e.name}: ${JSON.stringify(s)}`);
  }
  assert.equal(report.rounds, 2);
  assert.deepEqual(report.batchedBench?.map((b) => b.pl), [1, 2]);
  for (const b of report.batchedBench!) assert.ok(b.speed_tg > 0);
});
