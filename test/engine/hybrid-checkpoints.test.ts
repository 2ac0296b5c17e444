// A DeltaNet hybrid resumes only from a checkpoint of its recurrent state. Besides the end of each prompt, the engine
// checkpoints where the caller says other prompts will share up to (the end of the system prompt), and where a prompt
// leaves a chain that another prompt cached, so that a different conversation with the same system prompt reuses it.
// Every warm answer must be the cold answer, token for token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LoadedModel } from '../../src/engine/model.js';
import type { GenerateParams } from '../../src/engine/types.js';
import { ids, pagedModels } from './helpers/paged-models.js';

const models = pagedModels();

async function run(model: LoadedModel, prompt: number[], extra: GenerateParams = {}) {
  const tokens: number[] = [];
  let reused = -1;
  for await (const ev of model.generate(prompt, { temperature: 0, maxTokens: 6, ignoreEos: true, ...extra })) {
    if (ev.type === 'text') tokens.push(...ev.tokens);
    if (ev.type === 'done') reused = ev.usage.reusedPromptTokens ?? -1;
  }
  return { tokens, reused };
}

async function cold(model: LoadedModel, prompt: number[]): Promise<number[]> {
  await model.resetCache();
  return (await run(model, prompt)).tokens;
}

test('qwen3_5: a checkpoint at the given end of a shared system prompt serves the next conversation that shares it', async () => {
  const model = models.get('qwen3_5')!;
  await model.resetCache();
  const system = `${'You are a careful agent. '.repeat(10)}Answer briefly.\n`;
  const textA = `${system}First question: what is the weather in Paris today, and in Lyon, Marseille, Lille, Nantes and Bordeaux tomorrow, and in Toulouse, Nice, Strasbourg, Montpellier, Rennes and Grenoble the day after?`;
  const textB = `${system}Second, unrelated question: list three prime numbers, three even numbers and three square numbers, then sum them all and say which of the sums are prime.`;
  const [a, b] = [textA, textB].map((t) => model.encode(t, { addSpecialTokens: false }));
  const systemTokens = model.encode(system, { addSpecialTokens: false }).length;
  const bt = model.cacheFigures()!.blockTokens;
  assert.ok(systemTokens >= bt, `the system prompt spans a whole block (${systemTokens} tokens)`);
  // A's own checkpoint (its last block boundary) lies past the system prompt: only the hint can serve B.
  assert.ok(Math.floor((a!.length - 1) / bt) * bt > Math.ceil(systemTokens / bt) * bt, `${a!.length} tokens in A`);
  const ra = await run(model, a!, { sharedPrefixes: { text: textA, ends: [system.length] } });
  const rb = await run(model, b!, { sharedPrefixes: { text: textB, ends: [system.length] } });
  // B resumes from A's checkpoint at the last block boundary inside the system prompt.
  assert.equal(rb.reused, Math.floor(systemTokens / bt) * bt);
  assert.deepEqual(await cold(model, a!), ra.tokens);
  assert.deepEqual(await cold(model, b!), rb.tokens);
  // An end whose text is not a prefix of the prompt's ids is ignored, not an error.
  await model.resetCache();
  await run(model, a!, { sharedPrefixes: { text: 'something else entirely', ends: [9] } });
  assert.equal((await run(model, b!)).reused, 0);
});

test('qwen3_5: without a hint, a prompt that leaves another\'s cached chain checkpoints there for the third one', async () => {
  const model = models.get('qwen3_5')!;
  await model.resetCache();
  const system = ids(11, 70);
  // Each prompt's own last block boundary (96 with blocks of 16 or 32) lies past the shared 70 tokens.
  const [a, b, c] = [21, 22, 23].map((seed) => [...system, ...ids(seed, 40)]);
  assert.equal((await run(model, a!)).reused, 0);
  // B finds A's blocks but no checkpoint inside them: it recomputes, and checkpoints where it leaves A's chain.
  assert.equal((await run(model, b!)).reused, 0);
  const rc = await run(model, c!);
  const bt = model.cacheFigures()!.blockTokens;
  assert.equal(rc.reused, Math.floor(70 / bt) * bt);
  assert.deepEqual(await cold(model, c!), rc.tokens);
});

test('a model without recurrent layers takes the hint as a no-op: its blocks are shared anyway', async () => {
  const model = models.get('qwen3')!;
  await model.resetCache();
  const system = ids(31, 70);
  const text = 'not the prompt text';
  // 100 tokens: the block holding position 70 is full (and cached) with blocks of 16 or 32.
  await run(model, [...system, ...ids(32, 30)], { sharedPrefixes: { text, ends: [5] } });
  assert.equal((await run(model, [...system, ...ids(33, 10)])).reused, 70);
});
