// Constrained generations on a tiny random-weights Gemma 4 model (its own 262k vocabulary, byte-fallback pieces):
// the plan picks the gemma4 call frame from the model's chat template, and every output is a complete Gemma 4
// call that the gemma4 parser reads and ajv validates.
// In the constrained suite (npm run test:constrained, run by .ci/run): building the UTF-8 masks of the 262k Gemma 4
// vocabulary costs about 20 s of CPU, too much for npm test; npm test keeps the gemma4 grammar unit tests.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ensureTestModel } from '../helpers/test-models.js';
import { loadModel, type LoadedModel } from '../../src/engine/model.js';
import { planForModel } from '../../src/agent/toolcalls/constraint/for-model.js';
import { parseModelOutput } from '../../src/agent/toolcalls/index.js';
import { runCase } from './adversary.js';
import { newAjv, searchTool, weatherTool } from './fixtures.js';

let model: LoadedModel;
before(async () => {
  const { dir } = await ensureTestModel({ arch: 'gemma4', dtype: 'bf16', bits: 4 });
  model = await loadModel(dir, { maxContext: 1024 });
});
after(async () => model.dispose());

test('the plan follows the model: gemma4 calls from its chat template, generated complete and schema-valid', async () => {
  const tools = [weatherTool, searchTool];
  const plan = await planForModel(model, { toolParser: 'auto', reasoningParser: 'none', prompt: 'Weather?', tools, toolChoice: 'required', singleCall: false });
  assert.deepEqual(plan.warnings.filter((w) => !/bounded numbers/.test(w)), []);
  assert.ok(plan.constraint);
  assert.match(JSON.stringify(plan.constraint.spec), /<\|tool_call>call:get_weather/);
  let text = '';
  let finish = '';
  for await (const ev of model.generate('Weather?', { temperature: 1.5, seed: 7, maxTokens: 256, constraint: plan.constraint })) {
    if (ev.type === 'text') text += ev.text;
    else if (ev.type === 'done') finish = ev.finishReason;
  }
  assert.equal(finish, 'stop', text);
  const parsed = parseModelOutput(text, { tools, toolParser: 'gemma4', reasoningParser: 'none' });
  assert.ok(parsed.tool_calls.length >= 1, text);
  assert.equal(parsed.unfinished_calls.length, 0, text);
  const ajv = newAjv();
  for (const call of parsed.tool_calls) {
    const tool = tools.find((t) => t.function.name === call.function.name);
    assert.ok(tool, text);
    assert.ok(ajv.validate(tool.function.parameters!, JSON.parse(call.function.arguments)), `${text}: ${ajv.errorsText()}`);
  }
});

test('named and single calls on the Gemma 4 vocabulary', async () => {
  await runCase(model, { format: 'gemma4', mode: 'named', seed: 3, temperature: 1, maxTokens: 256 });
  await runCase(model, { format: 'gemma4', mode: 'single', seed: 4, temperature: 0.7, maxTokens: 256 });
});
