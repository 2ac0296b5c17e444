// Adversary cases that once failed, one per kind (npm run test:constrained runs the 1,000): Qwen3-Coder padding
// whitespace before its first parameter until the budget ran out; a named tool_choice chaining a second call; a
// budget left after a reasoning block too small for the call a separator opened; a raw tab inside a
// length-bounded JSON string; a UTF-16 surrogate's bytes in a JSON string (three U+FFFD past its maxLength).
import { test, before, after } from 'node:test';
import { ensureTestModel } from '../helpers/test-models.js';
import { loadModel, type LoadedModel } from '../../src/engine/model.js';
import { runCase, type AdversaryCase } from './adversary.js';

let model: LoadedModel;
before(async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4 });
  model = await loadModel(dir, { maxContext: 2048 });
});
after(async () => model.dispose());

const CASES: Array<[string, AdversaryCase]> = [
  ['qwen3_coder whitespace before the first parameter', { format: 'qwen3_coder', mode: 'required', seed: 1001, temperature: 0.7, maxTokens: 320 }],
  ['a named call chaining a second one', { format: 'hermes', mode: 'named', seed: 1730, temperature: 1, maxTokens: 320 }],
  ['a second call opened with too little budget after the reasoning block', { format: 'hermes', mode: 'reasoning', seed: 1345, temperature: 0.7, maxTokens: 256 }],
  ['a raw tab in a length-bounded string after the reasoning block', { format: 'hermes', mode: 'reasoning', seed: 1120, temperature: 0, maxTokens: 256 }],
  ['a surrogate\'s bytes in a length-bounded string', { format: 'hermes', mode: 'reasoning', seed: 1445, temperature: 0.7, maxTokens: 320 }],
  ['qwen3_coder after the reasoning block', { format: 'qwen3_coder', mode: 'reasoning', seed: 1321, temperature: 0.7, maxTokens: 256 }],
];

for (const [what, c] of CASES) test(`adversary regression: ${what}`, async () => void (await runCase(model, c)));
