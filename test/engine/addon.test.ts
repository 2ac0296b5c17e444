import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAddon } from '../../src/engine/addon.js';

test('native addon loads and reports the CPU kernel set it dispatches to', () => {
  const info = loadAddon().cpuInfo();
  assert.ok(['avx512_vnni', 'avx2', 'scalar'].includes(info.kernels), `unexpected kernels ${info.kernels}`);
  if (info.kernels === 'avx512_vnni') assert.equal(info.avx512f && info.avx512vnni, true);
});
