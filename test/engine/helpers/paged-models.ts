// Shared by the paged-cache tests: one tiny model per cache kind (full attention, sliding window, DeltaNet hybrid),
// each with a 32 MB paged KV pool, and deterministic prompts.
import { after, before } from 'node:test';
import { loadModel, type LoadedModel } from '../../../src/engine/model.js';
import type { TestArch } from '../../../src/engine/testmodel/spec.js';
import { ensureTestModel } from '../../helpers/test-models.js';

export const PAGED_ARCHS: TestArch[] = ['qwen3', 'gemma3_text', 'qwen3_5'];

/** Registers before/after hooks in the calling test file; the map is filled once `before` has run. */
export function pagedModels(): Map<TestArch, LoadedModel> {
  const models = new Map<TestArch, LoadedModel>();
  before(async () => {
    for (const arch of PAGED_ARCHS) {
      const { dir } = await ensureTestModel({ arch, dtype: 'bf16', bits: 4 });
      models.set(arch, await loadModel(dir, { threads: 2, maxContext: 1024, kvCacheMemory: 32 << 20 }));
    }
  });
  after(async () => {
    for (const m of models.values()) await m.dispose();
  });
  return models;
}

/** Deterministic token ids (ordinary vocabulary, no special tokens). */
export function ids(seed: number, n: number): number[] {
  let x = seed * 2654435761 + 1;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) >>> 0;
    return 200 + (x % 3000);
  });
}
