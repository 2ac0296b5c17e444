import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadAddon } from '../../src/engine/addon.js';

test('native addon loads and reports the CPU kernel set it dispatches to', () => {
  const info = loadAddon().cpuInfo();
  assert.ok(['avx512_vnni', 'avx2', 'scalar'].includes(info.kernels), `unexpected kernels ${info.kernels}`);
  if (info.kernels === 'avx512_vnni') assert.equal(info.avx512f && info.avx512vnni, true);
});

test('trimMemory gives freed C heap back: half of many 60 KB buffers freed stays resident until then (glibc)', () => {
  const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
  if (process.platform !== 'linux' || !report.header?.glibcVersionRuntime) {
    assert.equal(loadAddon().trimMemory(), false);
    return;
  }
  setFlagsFromString('--expose-gc');
  // V8 frees ArrayBuffer memory on a background thread after a GC; without this the free may not have happened yet
  // when RSS is read (seen on a many-core CI machine).
  setFlagsFromString('--no-concurrent-array-buffer-sweeping');
  const gc = runInNewContext('gc') as () => void;
  const anonMb = () => Number(/^RssAnon:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
  // ArrayBuffers of 60 KB are malloc'ed (below the mmap threshold); every other one freed leaves holes glibc keeps.
  const kept: Uint8Array[] = [];
  let freed: Uint8Array[] | null = [];
  for (let i = 0; i < 1500; i++) {
    const b = new Uint8Array(new ArrayBuffer(60 * 1024)).fill(1);
    (i % 2 ? kept : freed).push(b);
  }
  freed = null;
  gc();
  gc(); // a GC first waits for the previous one's array-buffer sweep, whichever thread runs it
  const before = anonMb();
  assert.equal(loadAddon().trimMemory(), true);
  const after = anonMb();
  assert.ok(after < before - 20, `anonymous RSS ${before.toFixed(1)} MB -> ${after.toFixed(1)} MB after trimMemory`);
  assert.equal(kept.length, 750);
});
