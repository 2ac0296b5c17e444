// tool_choice, strict tools and response_format → the grammar a generation must follow, in the model's own
// tool-call format (call-tags.ts). Schemas the engine cannot compile are loosened with a warning (fit-schema.ts).
import type { GenerationConstraint, ToolDefinition } from '../../../engine/types.js';
import type { GrammarSpec } from '../../../engine/grammar/protocol.js';
import type { ToolChoice } from '../types.js';
import { CALL_FRAMES, type CallFrame } from './call-tags.js';
import { fitSchema, type JsonSchema } from './fit-schema.js';
import { gemmaArgsGrammar, gemmaCallsGrammar, type GemmaGrammar } from './gemma-grammar.js';
import { exactNumberBounds } from './number-bounds.js';

export type ResponseFormat = { type: 'text' } | { type: 'json_object' } | { type: 'json_schema'; name: string; schema: JsonSchema; strict: boolean };

export interface ConstraintRequest {
  /** The resolved tool-call format's name (hermes, qwen3_coder, ...). */
  format: string;
  /** The reasoning block's markers, when the model reasons in tags; opened: the prompt already opened it. */
  reasoning: { open: string; close: string; opened: boolean } | null;
  /** The tools the prompt offers (tool_choice already narrowed them to a named one). */
  tools: ToolDefinition[];
  toolChoice: ToolChoice;
  /** parallel_tool_calls: false. */
  singleCall: boolean;
  /** Names of the tools sent with strict: true (constrained under tool_choice "auto"). */
  strictTools: ReadonlySet<string>;
  responseFormat: ResponseFormat | null;
}

export interface ConstraintPlan {
  constraint: GenerationConstraint | null;
  /** What is looser than asked, for the response and the log. */
  warnings: string[];
}

/** Compiles a spec; resolves with the engine's error message, or null when it compiled. */
export type CompileCheck = (spec: GrammarSpec) => Promise<string | null>;

type Tag = { type: 'tag'; begin: string; content: Record<string, unknown>; end: string };

/** Gemma 4 tags' argument grammars, to join several calls into one grammar (callsFormat). */
const gemmaGrammars = new WeakMap<Tag, GemmaGrammar>();

/** A Gemma 4 call's arguments: bounded numbers narrowed as for JSON, then the schema in Gemma's syntax. */
function gemmaArgs(declared: JsonSchema, what: string, prefix: string, warnings: string[]): GemmaGrammar {
  const { schema, paths } = exactNumberBounds(declared);
  if (paths.length) warnings.push(`${what}: bounded numbers at ${paths.join(', ')} are enforced as whole numbers (or a few decimals) in range`);
  const grammar = gemmaArgsGrammar(schema, prefix);
  if (grammar.loosened.length) warnings.push(`${what}: not enforced in Gemma 4's argument syntax: ${grammar.loosened.join('; ')}`);
  return grammar;
}

async function callTags(req: ConstraintRequest, frame: CallFrame, compile: CompileCheck, warnings: string[], strictOnly: boolean): Promise<Tag[]> {
  const tags: Tag[] = [];
  for (const [i, tool] of req.tools.entries()) {
    const name = tool.function.name;
    const declared: JsonSchema = tool.function.parameters ?? { type: 'object', properties: {} };
    const enforced = !strictOnly || req.strictTools.has(name);
    if (frame.args === 'gemma4') {
      const grammar = gemmaArgs(enforced ? declared : { type: 'object' }, `tool '${name}' parameters`, `t${i}`, warnings);
      const tag: Tag = { type: 'tag', begin: frame.begin(name), content: { type: 'grammar', grammar: grammar.ebnf }, end: frame.end };
      gemmaGrammars.set(tag, grammar);
      tags.push(tag);
      continue;
    }
    let schema: JsonSchema = { type: 'object' };
    if (enforced) {
      const fit = await fitSchema(declared, `tool '${name}' parameters`, (s) => compile({ kind: 'json_schema', schema: s }));
      if (fit.warning) warnings.push(fit.warning);
      schema = fit.schema;
    }
    const content = frame.args === 'json' ? { type: 'json_schema', json_schema: schema } : { type: 'qwen_xml_parameter', json_schema: schema };
    tags.push({ type: 'tag', begin: frame.begin(name), content, end: frame.end });
  }
  return tags;
}

/** The calls part: at least one call (one when the format cannot chain calls or parallel calls are off). */
function callsFormat(tags: Tag[], frame: CallFrame, single: boolean): Record<string, unknown> {
  if (frame.args === 'gemma4') {
    // Calls back to back: XGrammar's tags need a separator, so the calls are one grammar of their own.
    const calls = tags.map((t) => ({ begin: t.begin, end: t.end, grammar: gemmaGrammars.get(t)! }));
    return { type: 'grammar', grammar: gemmaCallsGrammar(calls, single) };
  }
  if (single || !frame.multiple) return tags.length === 1 ? tags[0]! : { type: 'or', elements: tags };
  return { type: 'tags_with_separator', tags, separator: frame.separator, at_least_one: true };
}

export async function planConstraint(req: ConstraintRequest, compile: CompileCheck): Promise<ConstraintPlan> {
  const warnings: string[] = [];
  const withTools = req.toolChoice !== 'none' && req.tools.length > 0;
  const forced = withTools && (req.toolChoice === 'required' || typeof req.toolChoice === 'object');
  const lazy = withTools && req.toolChoice === 'auto' && req.tools.some((t) => req.strictTools.has(t.function.name));
  const answer = req.responseFormat && req.responseFormat.type !== 'text' ? req.responseFormat : null;
  if (!forced && !lazy && !answer) return { constraint: null, warnings };

  let answerFormat: Record<string, unknown> | null = null;
  if (answer) {
    let schema: JsonSchema = { type: 'object' };
    if (answer.type === 'json_schema') {
      const fit = await fitSchema(answer.schema, `response_format '${answer.name}'`, (s) => compile({ kind: 'json_schema', schema: s }), true);
      if (fit.warning) warnings.push(fit.warning);
      if (!answer.strict) warnings.push(`response_format '${answer.name}' has strict: false; it is enforced anyway`);
      schema = fit.schema;
    }
    answerFormat = { type: 'json_schema', json_schema: schema };
  }

  const frame = CALL_FRAMES[req.format];
  if ((forced || lazy) && !frame) {
    warnings.push(`the '${req.format}' tool-call format has no grammar: tool_choice and strict tools are only asked for in the prompt`);
  }
  let format: Record<string, unknown> | null = null;
  if (frame && forced) {
    // A named tool_choice asks for that one call (as OpenAI does), not a run of calls to it.
    const single = req.singleCall || typeof req.toolChoice === 'object' || !frame.multiple;
    const calls = callsFormat(await callTags(req, frame, compile, warnings, false), frame, single);
    // A request with tools and response_format constrains the final answer, not the calls: forced calls win here.
    format = calls;
  } else if (frame && lazy) {
    const tags = await callTags(req, frame, compile, warnings, true);
    const triggered = { type: 'triggered_tags', triggers: [frame.trigger], tags, stop_after_first: req.singleCall || !frame.multiple };
    format = answerFormat ? { type: 'or', elements: [callsFormat(tags, frame, req.singleCall), answerFormat] } : triggered;
  } else if (frame && withTools && answerFormat) {
    // tool_choice auto without strict tools: calls stay free-form, a final answer must be the JSON.
    const tags = await callTags(req, frame, compile, warnings, true);
    format = { type: 'or', elements: [callsFormat(tags, frame, req.singleCall), answerFormat] };
  } else format = answerFormat;
  if (!format) return { constraint: null, warnings };

  // Gemma 4's calls close their strings with a delimiter, not a quote: the budget rule steers to it.
  const steer = frame?.args === 'gemma4' && (forced || lazy) ? { steer: 'gemma' as const } : {};
  const spec: GrammarSpec = { kind: 'structural_tag', tag: { type: 'structural_tag', format }, ...steer };
  const error = await compile(spec);
  if (error) {
    warnings.push(`the combined grammar did not compile (${error}); the output is not constrained`);
    return { constraint: null, warnings };
  }
  const constraint: GenerationConstraint = { spec };
  if (req.reasoning && req.format !== 'harmony') constraint.reasoning = req.reasoning;
  return { constraint, warnings };
}
