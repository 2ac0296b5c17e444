// zod schemas for request bodies: the single source of truth for what the API accepts.
import { z } from 'zod';
import { badRequest, type ApiError } from './errors.js';

const TextPart = z.object({ type: z.literal('text'), text: z.string() });
const Content = z.union([z.string(), z.array(TextPart)]);

const ToolCall = z.object({
  id: z.string(),
  type: z.literal('function').default('function'),
  function: z.object({ name: z.string().min(1), arguments: z.string() }),
});

const Message = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: Content, name: z.string().optional() }),
  z.object({ role: z.literal('developer'), content: Content, name: z.string().optional() }),
  z.object({ role: z.literal('user'), content: Content, name: z.string().optional() }),
  z.object({
    role: z.literal('assistant'),
    content: Content.nullable().optional(),
    reasoning_content: z.string().nullable().optional(),
    tool_calls: z.array(ToolCall).optional(),
    name: z.string().optional(),
  }),
  z.object({ role: z.literal('tool'), content: Content, tool_call_id: z.string(), name: z.string().optional() }),
]);

const Tool = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string().min(1).max(128),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullable().optional(),
  }),
});

const ToolChoice = z.union([
  z.enum(['auto', 'none', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string().min(1) }) }),
]);

// Every sampling parameter is bounded here, so an absurd value is a 400 naming it, never an engine failure.
const MAX_TOKENS_LIMIT = 2 ** 31 - 1;
const Stop = z.union([z.string().max(1024), z.array(z.string().max(1024)).max(16)]).nullable().optional();

const SamplingFields = {
  model: z.string().min(1),
  max_tokens: z.number().int().positive().max(MAX_TOKENS_LIMIT).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().gt(0).max(1).nullable().optional(),
  top_k: z.number().int().min(0).max(1_000_000).nullable().optional(),
  min_p: z.number().min(0).max(1).nullable().optional(),
  seed: z.number().int().min(-(2 ** 53) + 1).max(2 ** 53 - 1).nullable().optional(),
  stop: Stop,
  presence_penalty: z.number().min(-2).max(2).nullable().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
  repetition_penalty: z.number().min(0.01).max(100).nullable().optional(),
  // vLLM's and llama-server's extension: generate max_tokens even past end-of-sequence tokens (benchmarks).
  ignore_eos: z.boolean().nullable().optional(),
  n: z.number().int().min(1).max(128).nullable().optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
  user: z.string().optional(),
};

export const ChatCompletionRequest = z.object({
  ...SamplingFields,
  messages: z.array(Message).min(1),
  max_completion_tokens: z.number().int().positive().max(MAX_TOKENS_LIMIT).nullable().optional(),
  tools: z.array(Tool).nullable().optional(),
  tool_choice: ToolChoice.nullable().optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  logprobs: z.boolean().nullable().optional(),
  top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
  response_format: z
    .discriminatedUnion('type', [
      z.object({ type: z.literal('text') }),
      z.object({ type: z.literal('json_object') }),
      z.object({
        type: z.literal('json_schema'),
        json_schema: z.object({
          name: z.string().min(1).max(64),
          description: z.string().optional(),
          // Any schema a client sends is taken (and loosened with a warning where the grammar cannot express it).
          schema: z.union([z.record(z.string(), z.unknown()), z.boolean()]).optional(),
          strict: z.boolean().nullable().optional(),
        }),
      }),
    ])
    .nullable()
    .optional(),
  /** vmlx extension: run the agent loop server-side with the MCP tools (only what the sandbox allows). */
  mcp_auto_execute: z.boolean().optional(),
  /** vmlx extension: Qwen3-style thinking switch passed to the chat template. */
  enable_thinking: z.boolean().optional(),
  chat_template_kwargs: z.record(z.string(), z.unknown()).optional(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;
export type ChatRequestMessage = z.infer<typeof Message>;

export const CompletionRequest = z.object({
  ...SamplingFields,
  prompt: z.union([z.string(), z.array(z.string()).length(1)]),
  logprobs: z.number().int().min(0).max(20).nullable().optional(),
  echo: z.boolean().nullable().optional(),
});
export type CompletionRequest = z.infer<typeof CompletionRequest>;

/** Tool arguments: a JSON object, or (as in OpenAI tool_calls) a string holding one. */
const ToolArguments = z
  .union([z.record(z.string(), z.unknown()), z.string()])
  .default({})
  .transform((v, ctx) => {
    if (typeof v !== 'string') return v;
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `malformed JSON (${(err as Error).message})` });
      return z.NEVER;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
      return z.NEVER;
    }
    return parsed as Record<string, unknown>;
  });

const McpExecuteByServer = z.object({ server: z.string().min(1), tool: z.string().min(1), arguments: ToolArguments });
const McpExecuteByName = z.object({ tool_name: z.string().min(1), arguments: ToolArguments });
export type McpExecuteRequest = z.infer<typeof McpExecuteByServer> | z.infer<typeof McpExecuteByName>;

/** The two request shapes, told apart by `tool_name`, so a missing field is named (not "invalid union"). */
export function parseMcpExecute(body: unknown): McpExecuteRequest {
  const byName = typeof body === 'object' && body !== null && 'tool_name' in body;
  return byName ? parseBody(McpExecuteByName, body) : parseBody(McpExecuteByServer, body);
}

function formatPath(path: PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

/** Parses a body, turning the first zod issue into a 400 that names the field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('Request body must be a JSON object');
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  throw issueToError(r.error.issues);
}

function issueToError(issues: z.core.$ZodIssue[]): ApiError {
  // Unions report one issue per branch: prefer the deepest path, it names the real field.
  const issue = [...issues].sort((a, b) => deepest(b) - deepest(a))[0];
  const path = formatPath(leafPath(issue));
  const what = issue.code === 'invalid_type' && issue.message.includes('received undefined') ? 'is required' : issue.message;
  return badRequest(path ? `Invalid value for '${path}': ${what}` : `Invalid request: ${what}`, path || null, 'invalid_value');
}

function leafPath(issue: z.core.$ZodIssue): PropertyKey[] {
  if (issue.code === 'invalid_union' && issue.errors.length) {
    const flat = issue.errors.flat();
    const best = [...flat].sort((a, b) => deepest(b) - deepest(a))[0];
    if (best) return [...issue.path, ...leafPath(best)];
  }
  return issue.path;
}

function deepest(issue: z.core.$ZodIssue): number {
  if (issue.code === 'invalid_union' && issue.errors.length) return issue.path.length + Math.max(...issue.errors.flat().map(deepest));
  return issue.path.length;
}
