// zod schema of the OpenAI Responses API request (/v1/responses): the single source of truth for what vmlx accepts.
// Unknown fields are ignored (include, truncation, service_tier...); input vmlx cannot honour (images, files, hosted
// tools such as web_search) is refused by name.
import { z } from 'zod';

const TextPart = z.object({ type: z.enum(['input_text', 'output_text', 'text']), text: z.string() });

const MessageItem = z.object({
  type: z.literal('message').optional(),
  id: z.string().optional(),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([z.string(), z.array(TextPart)]),
});

const FunctionCallItem = z.object({
  type: z.literal('function_call'),
  id: z.string().optional(),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
  status: z.string().optional(),
});

const FunctionCallOutputItem = z.object({
  type: z.literal('function_call_output'),
  id: z.string().optional(),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(TextPart)]),
});

const ReasoningItem = z.object({
  type: z.literal('reasoning'),
  id: z.string().optional(),
  summary: z.array(z.object({ type: z.literal('summary_text'), text: z.string() })).default([]),
  content: z.array(z.object({ type: z.literal('reasoning_text'), text: z.string() })).optional(),
  encrypted_content: z.string().nullable().optional(),
});

const InputItem = z.union([FunctionCallItem, FunctionCallOutputItem, ReasoningItem, MessageItem]);
export type ResponsesInputItem = z.infer<typeof InputItem>;

const FunctionTool = z.object({
  type: z.literal('function'),
  name: z.string().min(1).max(128),
  description: z.string().nullable().optional(),
  parameters: z.record(z.string(), z.unknown()).nullable().optional(),
  strict: z.boolean().nullable().optional(),
});

const ToolChoice = z.union([
  z.enum(['auto', 'none', 'required']),
  z.object({ type: z.literal('function'), name: z.string().min(1) }),
]);

export const ResponsesRequest = z.object({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(InputItem)]),
  instructions: z.string().nullable().optional(),
  tools: z.array(FunctionTool).optional(),
  tool_choice: ToolChoice.optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  max_output_tokens: z.number().int().positive().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().gt(0).max(1).nullable().optional(),
  stream: z.boolean().nullable().optional(),
  previous_response_id: z.string().nullable().optional(),
  store: z.boolean().nullable().optional(),
  reasoning: z
    .object({ effort: z.string().nullable().optional(), summary: z.string().nullable().optional() })
    .nullable()
    .optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
  /** Plain text only: structured output (json_schema) needs constrained decoding, which has not landed. */
  text: z
    .object({
      format: z.object({ type: z.literal('text') }).optional(),
      verbosity: z.string().nullable().optional(),
    })
    .nullable()
    .optional(),
  user: z.string().optional(),
  /** vmlx extension: run the agent loop server-side with the MCP tools (only what the sandbox allows). */
  mcp_auto_execute: z.boolean().optional(),
});
export type ResponsesRequest = z.infer<typeof ResponsesRequest>;
