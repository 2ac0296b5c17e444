// npm run test:peer: `vmlx bench --gguf` against the real llama-bench that npm run peer:build builds (the .ci/run
// builds it first). Checks that the tool runs on a GGUF twin made by make-model and that its figures reach the report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { peerTool } from '../../src/engine/bench/llama-bench.js';
import { ensureTestModel, testModelCacheRoot } from '../helpers/test-models.js';

const vmlx = join(testModelCacheRoot(), '..', '..', 'bin', 'vmlx.js');

test('the real llama-bench measures the GGUF twin between vmlx repetitions', async () => {
  peerTool('llama-bench'); // throws "run npm run peer:build" when it is not built: a failure, not a skip
  const { dir, gguf } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4, withGguf: true });
  const r = spawnSync(process.execPath, [vmlx, 'bench', '--model', dir, '--gguf', gguf!, '--prompt-tokens', '64', '--gen-tokens', '8',
    '--threads', '2', '--reps', '2', '--json'], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.peer, 'llama-bench');
  assert.equal(j.llama_cpp.runs.length, 2);
  for (const run of j.llama_cpp.runs) assert.ok(run.prefill > 0 && run.decode > 0, JSON.stringify(run));
  assert.ok(j.ratios.prefill > 0 && j.ratios.decode > 0);
});
