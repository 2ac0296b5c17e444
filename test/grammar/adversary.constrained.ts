// The adversary run of issue 13: 1,000 constrained generations of a random-weights model (several seeds,
// temperatures 0 to 1.5, every tool-call format and mode, max_tokens 256 to 512); 100% must be complete, parse,
// validate with ajv and name the right function. npm run test:constrained.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ensureTestModel } from '../helpers/test-models.js';
import { loadModel, type LoadedModel } from '../../src/engine/model.js';
import { adversaryCases, runCase } from './adversary.js';

let model: LoadedModel;
before(async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4 });
  model = await loadModel(dir, { maxContext: 2048 });
});
after(async () => model.dispose());

test('1,000 constrained generations: all complete and schema-valid', { timeout: 3_600_000 }, async () => {
  const failures: string[] = [];
  let steered = 0;
  const cases = adversaryCases(1000, 1000);
  for (const [i, c] of cases.entries()) {
    if (i % 50 === 0) process.stdout.write(`# adversary: ${i}/${cases.length} run, ${failures.length} failed\n`);
    try {
      if ((await runCase(model, c)).steered) steered++;
    } catch (err) {
      failures.push((err as Error).message.slice(0, 600));
    }
  }
  process.stdout.write(`# adversary: ${cases.length - failures.length}/${cases.length} valid, ${steered} closed by the budget rule\n`);
  assert.deepEqual(failures, []);
});
