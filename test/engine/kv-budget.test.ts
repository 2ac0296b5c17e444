// --kv-cache-memory sizes and the default budget from the RAM and the model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultKvCacheBytes, kvBytesPerToken, parseMemorySize } from '../../src/engine/kv-budget.js';
import type { NativeModelPlan } from '../../src/engine/plan.js';

test('sizes parse with or without a unit; anything else names the flag', () => {
  assert.equal(parseMemorySize('1048576'), 1 << 20);
  assert.equal(parseMemorySize('512M'), 512 << 20);
  assert.equal(parseMemorySize('2g'), 2 * 2 ** 30);
  assert.equal(parseMemorySize('1.5GiB'), 1.5 * 2 ** 30);
  assert.equal(parseMemorySize('64KB'), 64 << 10);
  for (const bad of ['', 'lots', '-1G', '1X', '0']) assert.throws(() => parseMemorySize(bad), /^GenerationInputError: --kv-cache-memory: '/);
});

test('the default budget: a quarter of the RAM left by the weights, within one and eight full contexts', () => {
  const attention = { kind: 'attention', numKvHeads: 8, headDim: 128 };
  const plan = { layers: [{ mixer: attention }, { mixer: { kind: 'gated_deltanet' } }, { mixer: attention }] } as unknown as NativeModelPlan;
  assert.equal(kvBytesPerToken(plan), 2 * 8 * 128 * 4);
  const perContext = kvBytesPerToken(plan) * 4096; // 32 MiB
  const GiB = 2 ** 30;
  assert.equal(defaultKvCacheBytes(plan, 4096, GiB, 2 * GiB), Math.max(64 << 20, Math.ceil(perContext * 1.25), GiB / 4));
  assert.equal(defaultKvCacheBytes(plan, 4096, GiB, 64 * GiB), perContext * 8, 'capped at eight contexts');
  assert.equal(defaultKvCacheBytes(plan, 4096, 3 * GiB, 2 * GiB), 64 << 20, 'no RAM left: the floor');
});
