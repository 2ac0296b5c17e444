// A session's KV cache is sized for the whole context but must become resident only as positions are written: a
// short conversation in a long context costs memory for its own tokens. (Huge pages on the per-session cache broke
// this: each head's run of positions got its own 2 MiB page at the first token.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadAddon } from '../../src/engine/addon.js';
import { buildModelSpec } from '../../src/engine/models/index.js';
import { attentionOf } from '../../src/engine/plan.js';
import { ensureTestModel } from '../helpers/test-models.js';

const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;

test('a session of 65,536 positions holding 16 tokens keeps only their KV cache resident', async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4 });
  const { spec } = buildModelSpec(dir, { threads: 1 });
  const model = await loadAddon().loadModel(spec);
  try {
    const capacity = 65_536;
    const before = rssMiB();
    const session = model.createSession(capacity);
    await session.evaluate(Int32Array.from({ length: 16 }, (_, i) => 100 + i), 1);
    const grown = rssMiB() - before;
    session.dispose();
    // The whole cache would be layers x 2 x kvHeads x capacity x headDim f16 values; 16 tokens need a few KiB.
    const full = spec.layers.reduce((n, l) => n + 2 * attentionOf(l).numKvHeads * attentionOf(l).headDim * 2 * capacity, 0) / 2 ** 20;
    assert.ok(full > 8, `the test needs a cache larger than its bound (${full.toFixed(1)} MiB)`);
    assert.ok(grown < 4, `RSS grew ${grown.toFixed(1)} MiB for 16 tokens (the full cache is ${full.toFixed(1)} MiB)`);
  } finally {
    model.dispose();
  }
});
