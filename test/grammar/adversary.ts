// The adversary: a random-weights model whose free output is noise, generating under a constraint. Each case is
// one generation; it passes when the output is complete, parses with the format's own parser and validates with
// ajv, and every call names an allowed function (the named one under a named tool_choice).
import assert from 'node:assert/strict';
import type { LoadedModel } from '../../src/engine/model.js';
import type { ToolDefinition } from '../../src/engine/types.js';
import { parseModelOutput } from '../../src/agent/toolcalls/index.js';
import { planConstraint, type ConstraintRequest } from '../../src/agent/toolcalls/constraint/build.js';
import { GrammarError } from '../../src/engine/grammar/grammar-thread.js';
import type { ToolChoice } from '../../src/agent/toolcalls/types.js';
import { answerSchema, newAjv, searchTool, weatherTool } from './fixtures.js';

export const FORMATS = ['hermes', 'qwen3_coder', 'llama3', 'mistral', 'harmony', 'gemma4'] as const;
export type Mode = 'required' | 'named' | 'single' | 'answer' | 'reasoning';

export interface AdversaryCase {
  format: (typeof FORMATS)[number];
  mode: Mode;
  seed: number;
  temperature: number;
  maxTokens: number;
}

const ajv = newAjv();
const tools: ToolDefinition[] = [weatherTool, searchTool];
const validators = new Map(tools.map((t) => [t.function.name, ajv.compile(t.function.parameters!)]));
const validateAnswer = ajv.compile(answerSchema);

function requestOf(c: AdversaryCase): ConstraintRequest {
  const named = c.mode === 'named';
  const choice: ToolChoice = named ? { type: 'function', function: { name: 'search_files' } } : 'required';
  return {
    format: c.format,
    reasoning: c.mode === 'reasoning' ? { open: '<think>', close: '</think>', opened: true } : null,
    tools: c.mode === 'answer' ? [] : named ? [searchTool] : tools,
    toolChoice: c.mode === 'answer' ? 'none' : choice,
    singleCall: c.mode === 'single',
    strictTools: new Set(),
    responseFormat: c.mode === 'answer' ? { type: 'json_schema', name: 'answer', schema: answerSchema, strict: true } : null,
  };
}

/** Runs one case; throws an assertion error describing the output when it fails. */
export async function runCase(model: LoadedModel, c: AdversaryCase): Promise<{ text: string; tokens: number; steered: boolean }> {
  const req = requestOf(c);
  const grammar = model.grammar();
  const plan = await planConstraint(req, async (spec) => {
    try {
      await grammar.compile(spec);
      return null;
    } catch (err) {
      if (err instanceof GrammarError) return err.message;
      throw err;
    }
  });
  // The answer's bounded score is narrowed to whole numbers (number-bounds.ts); nothing else may be loosened.
  assert.deepEqual(plan.warnings.filter((w) => !/bounded numbers at \/properties\/score /.test(w)), [], 'the fixtures compile exactly');
  assert.ok(plan.constraint, 'a constraint');
  const prompt = c.mode === 'reasoning' ? 'Question: weather?<think>\n' : 'Question: weather?';
  let text = '';
  let done: { finishReason: string; usage: { completionTokens: number }; constraint?: { steered: boolean } } | null = null;
  for await (const ev of model.generate(prompt, { temperature: c.temperature, seed: c.seed, maxTokens: c.maxTokens, constraint: plan.constraint })) {
    if (ev.type === 'text') text += ev.text;
    else if (ev.type === 'done') done = ev;
  }
  const label = `${JSON.stringify(c)} → ${JSON.stringify(text)}`;
  assert.ok(done, label);
  assert.equal(done.finishReason, 'stop', `complete (ended by the model, not the budget): ${label}`);
  if (c.mode === 'answer') {
    assert.ok(validateAnswer(JSON.parse(text)), `${label}: ${ajv.errorsText(validateAnswer.errors)}`);
  } else {
    const body = c.mode === 'reasoning' ? text.slice(text.indexOf('</think>') + '</think>'.length) : text;
    const parsed = parseModelOutput(body, { tools: req.tools, toolChoice: 'auto', toolParser: c.format, reasoningParser: 'none' });
    assert.ok(parsed.tool_calls.length >= 1, `a call: ${label}`);
    assert.equal(parsed.unfinished_calls.length, 0, `no unfinished call: ${label}`);
    if (c.mode === 'single' || c.mode === 'named') assert.equal(parsed.tool_calls.length, 1, `one call: ${label}`);
    for (const call of parsed.tool_calls) {
      if (c.mode === 'named') assert.equal(call.function.name, 'search_files', label);
      const validate = validators.get(call.function.name);
      assert.ok(validate, `an allowed name: ${label}`);
      assert.ok(validate(JSON.parse(call.function.arguments)), `${label}: ${call.function.arguments}: ${ajv.errorsText(validate.errors)}`);
    }
  }
  return { text, tokens: done.usage.completionTokens, steered: done.constraint?.steered ?? false };
}

/** Every (format, mode) pair, repeated over seeds, temperatures and budgets. */
export function adversaryCases(count: number, firstSeed = 1): AdversaryCase[] {
  const modes: Mode[] = ['required', 'named', 'single', 'answer', 'reasoning'];
  const temps = [0, 0.7, 1.0, 1.5];
  const budgets = [256, 320, 512];
  const out: AdversaryCase[] = [];
  for (let i = 0; out.length < count; i++) {
    const format = FORMATS[i % FORMATS.length]!;
    // harmony reasons in its own analysis channel, not in tags: its reasoning case is a plain required one.
    const picked = modes[Math.floor(i / FORMATS.length) % modes.length]!;
    const mode = format === 'harmony' && picked === 'reasoning' ? 'required' : picked;
    out.push({ format, mode, seed: firstSeed + i, temperature: temps[i % temps.length]!, maxTokens: budgets[i % budgets.length]! });
  }
  return out;
}
