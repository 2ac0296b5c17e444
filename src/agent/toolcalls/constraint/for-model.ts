// The grammar for one model step, shared by the server and the agent loop: the model's tool-call and reasoning
// formats are resolved as the step's parser resolves them, and the plan compiles on the model's grammar thread.
import type { LanguageModel, ToolDefinition } from '../../../engine/types.js';
import { promptOpensReasoning, resolveParsers } from '../index.js';
import type { ToolChoice } from '../types.js';
import { planConstraint, type ConstraintPlan, type ResponseFormat } from './build.js';

export interface StepConstraintInput {
  toolParser: string;
  reasoningParser: string;
  /** The rendered prompt (does it open a reasoning block?). */
  prompt: string;
  tools: ToolDefinition[];
  toolChoice: ToolChoice;
  singleCall: boolean;
  strictTools?: ReadonlySet<string>;
  responseFormat?: ResponseFormat | null;
}

/** Whether the request asks for anything a grammar enforces. */
export function wantsConstraint(i: Omit<StepConstraintInput, 'toolParser' | 'reasoningParser' | 'prompt'>): boolean {
  const rf = i.responseFormat;
  const strict = i.strictTools ?? new Set<string>();
  return (
    (rf != null && rf.type !== 'text') ||
    (i.tools.length > 0 && (i.toolChoice === 'required' || typeof i.toolChoice === 'object' || i.tools.some((t) => strict.has(t.function.name))))
  );
}

export async function planForModel(model: LanguageModel, i: StepConstraintInput): Promise<ConstraintPlan> {
  if (!wantsConstraint(i)) return { constraint: null, warnings: [] };
  const grammar = model.grammar?.();
  if (!grammar) return { constraint: null, warnings: ['this model runs on a remote engine: the constraint is left to it'] };
  const parsers = resolveParsers({ toolParser: i.toolParser, reasoningParser: i.reasoningParser, chatTemplate: model.chatTemplate });
  const [open, close] = parsers.reasoning?.markers ?? [];
  return planConstraint(
    {
      format: parsers.tool.name,
      reasoning: open && close ? { open, close, opened: promptOpensReasoning(i.prompt) } : null,
      tools: i.tools,
      toolChoice: i.toolChoice,
      singleCall: i.singleCall,
      strictTools: i.strictTools ?? new Set(),
      responseFormat: i.responseFormat ?? null,
    },
    (spec) => grammar.rejection(spec),
  );
}
