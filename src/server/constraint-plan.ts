// The server's side of constrained decoding: the grammar a chat run follows (tool_choice, strict tools,
// response_format in the model's tool-call format), compiled on the model's grammar thread before the run queues.
import type { PreparedStep } from '../agent/loop/model-step.js';
import { planForModel } from '../agent/toolcalls/constraint/for-model.js';
import type { ConstraintPlan } from '../agent/toolcalls/constraint/build.js';
import type { ChatRunRequest } from './chat-run.js';
import type { ServerContext } from './context.js';

export async function planChatConstraint(ctx: ServerContext, req: ChatRunRequest, step: Omit<PreparedStep, 'promptTokens'>): Promise<ConstraintPlan> {
  const plan = await planForModel(ctx.model, {
    toolParser: ctx.options.toolCallParser,
    reasoningParser: ctx.options.reasoningParser,
    prompt: step.prompt,
    tools: step.tools,
    toolChoice: req.step.toolChoice,
    singleCall: req.singleCall,
    strictTools: new Set(req.strictTools ?? []),
    responseFormat: req.responseFormat ?? null,
  });
  for (const w of plan.warnings) ctx.warn?.(`vmlx serve: constraint: ${w}`);
  return plan;
}
