// The fast sample of the adversary run (the 1,000-generation run is adversary.constrained.ts, which .ci/run runs):
// every tool-call format once, on the random-weights model, at temperatures up to 1.5 and max_tokens down to 256.
import { test, before, after } from 'node:test';
import { ensureTestModel } from '../helpers/test-models.js';
import { loadModel, type LoadedModel } from '../../src/engine/model.js';
import { adversaryCases, runCase } from './adversary.js';

let model: LoadedModel;
before(async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4 });
  model = await loadModel(dir, { maxContext: 2048 });
});
after(async () => model.dispose());

test('constrained, the random model always answers with complete, schema-valid calls and JSON (6 cases)', async () => {
  for (const c of adversaryCases(6)) await runCase(model, c);
});
