// What a remote model sends: the chat request a "prompt" stands for, and the upstream's chat-completions body.
// The agent loop renders before it generates; for a remote engine the template lives upstream, so rendering
// produces the serialized chat request itself and generate() sends it.
import { z } from 'zod';
import type { ChatMessage, ChatPromptOptions, GenerateParams } from '../types.js';

/** Marks a prompt that is a serialized chat request (anything else is a plain completion prompt). */
export const CHAT_PROMPT_PREFIX = '\u0000vmlx-remote-chat\u0000';

export interface RemoteChatPrompt {
  messages: ChatMessage[];
  tools?: ChatPromptOptions['tools'];
  enableThinking?: boolean;
  templateVars?: Record<string, unknown>;
}

export function encodeChatPrompt(messages: ChatMessage[], opts: ChatPromptOptions): string {
  const prompt: RemoteChatPrompt = {
    messages,
    ...(opts.tools?.length ? { tools: opts.tools } : {}),
    ...(opts.enableThinking !== undefined ? { enableThinking: opts.enableThinking } : {}),
    ...(opts.templateVars && Object.keys(opts.templateVars).length ? { templateVars: opts.templateVars } : {}),
  };
  return CHAT_PROMPT_PREFIX + JSON.stringify(prompt);
}

export function decodeChatPrompt(prompt: string): RemoteChatPrompt | null {
  return prompt.startsWith(CHAT_PROMPT_PREFIX) ? (JSON.parse(prompt.slice(CHAT_PROMPT_PREFIX.length)) as RemoteChatPrompt) : null;
}

/** Engine messages in the OpenAI wire shape (reasoning is not sent back: not every engine accepts the field). */
function wireMessages(messages: ChatMessage[]): object[] {
  return messages.map((m) => {
    if (m.role !== 'assistant') return m;
    return { role: 'assistant', content: m.content, ...(m.tool_calls?.length ? { tool_calls: m.tool_calls } : {}) };
  });
}

function samplingFields(params: GenerateParams): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (params.maxTokens !== undefined) body.max_tokens = params.maxTokens;
  if (params.temperature !== undefined) body.temperature = params.temperature;
  if (params.topP !== undefined) body.top_p = params.topP;
  // Not OpenAI fields, but vLLM, SGLang, llama-server and vmlx take them; sent only when asked for.
  if (params.topK !== undefined) body.top_k = params.topK;
  if (params.minP !== undefined) body.min_p = params.minP;
  if (params.repetitionPenalty !== undefined) body.repetition_penalty = params.repetitionPenalty;
  if (params.presencePenalty !== undefined) body.presence_penalty = params.presencePenalty;
  if (params.frequencyPenalty !== undefined) body.frequency_penalty = params.frequencyPenalty;
  if (params.seed !== undefined) body.seed = params.seed;
  if (params.stop?.length) body.stop = params.stop;
  return body;
}

export function chatBody(model: string, prompt: RemoteChatPrompt, params: GenerateParams): object {
  const kwargs = { ...(prompt.templateVars ?? {}), ...(prompt.enableThinking !== undefined ? { enable_thinking: prompt.enableThinking } : {}) };
  return {
    model,
    messages: wireMessages(prompt.messages),
    ...(prompt.tools?.length ? { tools: prompt.tools } : {}),
    ...(Object.keys(kwargs).length ? { chat_template_kwargs: kwargs } : {}),
    ...samplingFields(params),
    stream: true,
    stream_options: { include_usage: true },
  };
}

export function completionBody(model: string, prompt: string, params: GenerateParams): object {
  return { model, prompt, ...samplingFields(params), stream: true, stream_options: { include_usage: true } };
}

/** One streamed chunk from the upstream, as far as vmlx reads it (chat or completion). */
export const UpstreamChunk = z.object({
  choices: z
    .array(
      z.object({
        delta: z
          .object({
            content: z.string().nullable().optional(),
            reasoning_content: z.string().nullable().optional(),
            reasoning: z.string().nullable().optional(),
            tool_calls: z
              .array(
                z.object({
                  index: z.number().int().min(0).optional(),
                  id: z.string().nullable().optional(),
                  function: z.object({ name: z.string().nullable().optional(), arguments: z.string().nullable().optional() }).optional(),
                }),
              )
              .nullable()
              .optional(),
          })
          .optional(),
        text: z.string().nullable().optional(),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .optional(),
  usage: z
    .object({
      prompt_tokens: z.number().optional(),
      completion_tokens: z.number().optional(),
      prompt_tokens_details: z.object({ cached_tokens: z.number().optional() }).nullable().optional(),
    })
    .nullable()
    .optional(),
  error: z.unknown().optional(),
});
export type UpstreamChunk = z.infer<typeof UpstreamChunk>;
