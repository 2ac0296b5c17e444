// The server's side of constrained decoding: which grammar a chat run follows (tool_choice, strict tools,
// response_format in the model's tool-call format), compiled on the model's grammar thread before the run queues.
import { GrammarError } from '../engine/grammar/grammar-thread.js';
import type { GenerationConstraint } from '../engine/types.js';
import { promptOpensReasoning, resolveParsers } from '../agent/toolcalls/index.js';
import { planConstraint, type ResponseFormat } from '../agent/toolcalls/constraint/build.js';
import type { PreparedStep } from '../agent/loop/model-step.js';
import type { ChatRunRequest } from './chat-run.js';
import type { ServerContext } from './context.js';

export interface StepConstraint {
  constraint: GenerationConstraint | null;
  warnings: string[];
}

export async function planChatConstraint(ctx: ServerContext, req: ChatRunRequest, step: Omit<PreparedStep, 'promptTokens'>): Promise<StepConstraint> {
  const responseFormat: ResponseFormat | null = req.responseFormat ?? null;
  const strictTools = new Set(req.strictTools ?? []);
  const wanted =
    (responseFormat && responseFormat.type !== 'text') ||
    (step.tools.length > 0 && (req.step.toolChoice === 'required' || typeof req.step.toolChoice === 'object' || step.tools.some((t) => strictTools.has(t.function.name))));
  if (!wanted) return { constraint: null, warnings: [] };
  const grammar = ctx.model.grammar?.();
  if (!grammar) return { constraint: null, warnings: ['this model runs on a remote engine: the constraint is left to it'] };
  const parsers = resolveParsers({ toolParser: ctx.options.toolCallParser, reasoningParser: ctx.options.reasoningParser, chatTemplate: ctx.model.chatTemplate });
  const [open, close] = parsers.reasoning?.markers ?? [];
  const plan = await planConstraint(
    {
      format: parsers.tool.name,
      reasoning: open && close ? { open, close, opened: promptOpensReasoning(step.prompt) } : null,
      tools: step.tools,
      toolChoice: req.step.toolChoice,
      singleCall: req.singleCall,
      strictTools,
      responseFormat,
    },
    async (spec) => {
      try {
        await grammar.compile(spec);
        return null;
      } catch (err) {
        if (err instanceof GrammarError) return err.message.replace(/^the grammar did not compile: /, '');
        throw err;
      }
    },
  );
  for (const w of plan.warnings) ctx.warn?.(`vmlx serve: constraint: ${w}`);
  return plan;
}
