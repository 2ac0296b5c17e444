// Sampling: a server's sampling/createMessage answered by vmlx's own loaded model. The request's messages
// become a chat (system prompt, text, tool uses and results), its tools are offered through the model's chat
// template and parsed back with the agent's tool-call parsers, and maxTokens is capped by the host's limit.
import type { CreateMessageRequestParams, CreateMessageResult, CreateMessageResultWithTools, SamplingMessage } from '@modelcontextprotocol/sdk/types.js';
import { parseModelOutput } from '../toolcalls/index.js';
import type { ChatMessage, LanguageModel, ToolDefinition } from '../../engine/types.js';

export type SamplingResult = CreateMessageResult | CreateMessageResultWithTools;

/** Generates the answer to one sampling request; `signal` aborts when the server cancels. */
export type Sampler = (params: CreateMessageRequestParams, signal: AbortSignal) => Promise<SamplingResult>;

export interface SamplingApprovalRequest {
  server: string;
  params: CreateMessageRequestParams;
}

/** Asks the user whether a server may use the model for this request. */
export type SamplingApprover = (request: SamplingApprovalRequest, signal: AbortSignal) => Promise<{ approved: boolean; reason?: string }>;

export interface ModelSamplerOptions {
  /** Name reported to the server as the model that answered. */
  modelName: string;
  /** Upper bound on generated tokens, whatever the server asks for (default 1024). */
  maxTokensLimit?: number;
  toolParser?: string;
  reasoningParser?: string;
}

export const DEFAULT_SAMPLING_MAX_TOKENS = 1024;

/**
 * A Sampler over a loaded model. Requests are answered one at a time: the model has one generation stream,
 * and two servers sampling at once must not interleave their tokens.
 */
export function modelSampler(model: LanguageModel, opts: ModelSamplerOptions): Sampler {
  let queue: Promise<unknown> = Promise.resolve();
  const limit = opts.maxTokensLimit ?? DEFAULT_SAMPLING_MAX_TOKENS;
  return (params, signal) => {
    const run = queue.then(() => sampleOnce(model, opts, Math.min(params.maxTokens, limit), params, signal));
    queue = run.catch(() => undefined);
    return run;
  };
}

async function sampleOnce(
  model: LanguageModel,
  opts: ModelSamplerOptions,
  maxTokens: number,
  params: CreateMessageRequestParams,
  signal: AbortSignal,
): Promise<SamplingResult> {
  signal.throwIfAborted();
  const tools = params.toolChoice?.mode === 'none' ? [] : toolDefinitions(params);
  const prompt = model.renderChat(chatMessages(params), { ...(tools.length > 0 ? { tools } : {}), enableThinking: false });
  let text = '';
  let finish: string = 'stop';
  // A remote backend parses tool calls itself and streams them as structured events, not as text.
  const structured = new Map<number, { id?: string; name: string; arguments: string }>();
  for await (const ev of model.generate(
    prompt,
    {
      maxTokens,
      ...(params.temperature !== undefined ? { temperature: params.temperature } : {}),
      ...(params.stopSequences?.length ? { stop: params.stopSequences } : {}),
    },
    signal,
  )) {
    if (ev.type === 'tool_call') {
      const call = structured.get(ev.index) ?? { name: '', arguments: '' };
      structured.set(ev.index, {
        ...(ev.id ?? call.id ? { id: ev.id ?? call.id } : {}),
        name: call.name + (ev.name ?? ''),
        arguments: call.arguments + (ev.arguments ?? ''),
      });
    }
    if (ev.type === 'done') {
      text = ev.text;
      finish = ev.finishReason;
    }
  }
  signal.throwIfAborted();
  const stopReason = finish === 'length' ? 'maxTokens' : 'endTurn';
  if (tools.length === 0) {
    return { model: opts.modelName, role: 'assistant', content: { type: 'text', text: stripReasoning(text, model, opts) }, stopReason };
  }
  const parsed = parseModelOutput(text, {
    tools,
    chatTemplate: model.chatTemplate,
    ...(opts.toolParser ? { toolParser: opts.toolParser } : {}),
    ...(opts.reasoningParser ? { reasoningParser: opts.reasoningParser } : {}),
  });
  const calls =
    structured.size > 0
      ? [...structured.entries()].map(([i, c]) => ({ id: c.id ?? `call_${i}`, function: { name: c.name, arguments: c.arguments } }))
      : parsed.tool_calls.filter((c) => !c.unknown);
  const content: CreateMessageResultWithTools['content'] = [];
  if (parsed.content && parsed.content.trim() !== '') content.push({ type: 'text', text: parsed.content.trim() });
  for (const c of calls) content.push({ type: 'tool_use', id: c.id, name: c.function.name, input: parseArguments(c.function.arguments) });
  if (content.length === 0) content.push({ type: 'text', text: '' });
  return { model: opts.modelName, role: 'assistant', content, stopReason: calls.length > 0 ? 'toolUse' : stopReason };
}

function stripReasoning(text: string, model: LanguageModel, opts: ModelSamplerOptions): string {
  const parsed = parseModelOutput(text, {
    chatTemplate: model.chatTemplate,
    ...(opts.reasoningParser ? { reasoningParser: opts.reasoningParser } : {}),
  });
  return (parsed.content ?? '').trim();
}

function toolDefinitions(params: CreateMessageRequestParams): ToolDefinition[] {
  return (params.tools ?? []).map((t) => ({
    type: 'function',
    function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.inputSchema as Record<string, unknown> },
  }));
}

/** The request as chat messages: text as is, media as a short note, tool uses and results as tool calls. */
export function chatMessages(params: CreateMessageRequestParams): ChatMessage[] {
  const out: ChatMessage[] = [];
  if (params.systemPrompt) out.push({ role: 'system', content: params.systemPrompt });
  const toolNames = new Map<string, string>();
  for (const m of params.messages) {
    const blocks = blocksOf(m);
    const texts: string[] = [];
    const calls: NonNullable<Extract<ChatMessage, { role: 'assistant' }>['tool_calls']> = [];
    for (const b of blocks) {
      if (b.type === 'text') texts.push(b.text);
      else if (b.type === 'image' || b.type === 'audio') texts.push(`[${b.type} (${b.mimeType}) omitted: the local model reads text only]`);
      else if (b.type === 'tool_use') {
        toolNames.set(b.id, b.name);
        calls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input) } });
      } else if (b.type === 'tool_result') {
        const text = b.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
        const name = toolNames.get(b.toolUseId);
        out.push({ role: 'tool', tool_call_id: b.toolUseId, content: text, ...(name ? { name } : {}) });
      }
    }
    if (m.role === 'assistant') {
      if (texts.length > 0 || calls.length > 0) out.push({ role: 'assistant', content: texts.length > 0 ? texts.join('\n') : null, ...(calls.length > 0 ? { tool_calls: calls } : {}) });
    } else if (texts.length > 0) out.push({ role: 'user', content: texts.join('\n') });
  }
  return out;
}

type Block = Exclude<SamplingMessage['content'], unknown[]>;

function blocksOf(m: SamplingMessage): Block[] {
  return (Array.isArray(m.content) ? m.content : [m.content]) as Block[];
}

function parseArguments(raw: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(raw);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
  } catch {
    return {};
  }
}

/** The text a sampling result carries (for audit previews and approval prompts). */
export function samplingResultText(result: SamplingResult): string {
  const blocks = Array.isArray(result.content) ? result.content : [result.content];
  return blocks.map((b) => (b.type === 'text' ? b.text : b.type === 'tool_use' ? `[tool_use ${b.name} ${JSON.stringify(b.input)}]` : `[${b.type}]`)).join('\n');
}

/** The request's last user text, shortened (for approval prompts and notices). */
export function samplingPromptPreview(params: CreateMessageRequestParams, max = 200): string {
  const last = [...params.messages].reverse().find((m) => m.role === 'user');
  const text = last ? blocksOf(last).filter((b) => b.type === 'text').map((b) => (b as { text: string }).text).join(' ') : '';
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
