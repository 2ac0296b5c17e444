// Anthropic Messages requests → the internal chat run request, and a finished step → a Messages response body.
import { randomUUID } from 'node:crypto';
import type { ChatMessage, ChatToolCall, ToolDefinition } from '../../engine/types.js';
import type { ToolChoice } from '../../agent/toolcalls/types.js';
import type { StepOutcome } from '../../agent/loop/model-step.js';
import { narrowTools, type ChatRunRequest } from '../chat-run.js';
import { badRequest } from '../errors.js';
import type { AnthropicContentBlock, AnthropicMessage, CountTokensRequest, MessagesRequest } from './anthropic-schema.js';

export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'tool_use';

export const newMessageId = (): string => `msg_${randomUUID().replace(/-/g, '').slice(0, 24)}`;

function blocksOf(content: string | AnthropicContentBlock[]): AnthropicContentBlock[] {
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content;
}

function toolResultText(block: Extract<AnthropicContentBlock, { type: 'tool_result' }>): string {
  const text = typeof block.content === 'string' ? block.content : (block.content ?? []).map((b) => b.text).join('\n');
  // The chat template has no error flag for tool messages: say it in the text the model reads.
  return block.is_error ? `Error: ${text}` : text;
}

/** Anthropic turns → engine messages: tool_result blocks become tool messages, tool_use blocks assistant tool calls. */
export function toChatMessages(system: CountTokensRequest['system'], messages: AnthropicMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  const systemText = typeof system === 'string' ? system : (system ?? []).map((b) => b.text).join('\n\n');
  if (systemText) out.push({ role: 'system', content: systemText });
  const toolNames = new Map<string, string>();
  messages.forEach((m, i) => {
    const blocks = blocksOf(m.content);
    if (m.role === 'assistant') {
      const calls: ChatToolCall[] = [];
      let text = '';
      let reasoning = '';
      for (const b of blocks) {
        if (b.type === 'text') text += b.text;
        else if (b.type === 'thinking') reasoning += b.thinking;
        else if (b.type === 'tool_use') {
          toolNames.set(b.id, b.name);
          calls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input) } });
        } else if (b.type === 'tool_result') {
          throw badRequest(`messages[${i}]: tool_result blocks belong in user turns`, `messages[${i}].content`);
        }
      }
      out.push({
        role: 'assistant',
        content: text || null,
        ...(reasoning ? { reasoning_content: reasoning } : {}),
        ...(calls.length ? { tool_calls: calls } : {}),
      });
      return;
    }
    let text = '';
    for (const b of blocks) {
      if (b.type === 'tool_result') {
        const name = toolNames.get(b.tool_use_id);
        out.push({ role: 'tool', tool_call_id: b.tool_use_id, content: toolResultText(b), ...(name ? { name } : {}) });
      } else if (b.type === 'text') text += b.text;
      else if (b.type === 'tool_use') throw badRequest(`messages[${i}]: tool_use blocks belong in assistant turns`, `messages[${i}].content`);
    }
    if (text || !blocks.some((b) => b.type === 'tool_result')) out.push({ role: 'user', content: text });
  });
  return out;
}

function toolChoiceOf(choice: CountTokensRequest['tool_choice']): ToolChoice {
  if (!choice || choice.type === 'auto') return 'auto';
  if (choice.type === 'any') return 'required';
  if (choice.type === 'none') return 'none';
  return { type: 'function', function: { name: choice.name } };
}

export function toRunRequest(req: MessagesRequest | CountTokensRequest): ChatRunRequest {
  const toolChoice = toolChoiceOf(req.tool_choice);
  const defined: ToolDefinition[] = (req.tools ?? []).map((t) => ({
    type: 'function',
    function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.input_schema },
  }));
  const full = 'max_tokens' in req ? req : null;
  return {
    step: {
      messages: toChatMessages(req.system, req.messages),
      tools: narrowTools(defined, toolChoice, 'tool_choice'),
      toolChoice,
      ...(req.thinking ? { enableThinking: req.thinking.type === 'enabled' } : {}),
    },
    params: {
      ...(full?.temperature !== undefined ? { temperature: full.temperature } : {}),
      ...(full?.top_p !== undefined ? { topP: full.top_p } : {}),
      ...(full?.top_k !== undefined ? { topK: full.top_k } : {}),
      ...(full?.stop_sequences?.length ? { stop: full.stop_sequences } : {}),
    },
    maxTokens: full?.max_tokens ?? null,
    singleCall: req.tool_choice !== undefined && 'disable_parallel_tool_use' in req.tool_choice && req.tool_choice.disable_parallel_tool_use === true,
    messagesField: 'messages',
  };
}

export function stopReason(outcome: StepOutcome): AnthropicStopReason {
  if (outcome.result.tool_calls.length) return 'tool_use';
  return outcome.finishReason === 'length' ? 'max_tokens' : 'end_turn';
}

/**
 * Parses a finished call's arguments for a tool_use block (`{}` when the model wrote none). tool_use input must be
 * an object: anything else the model wrote is kept (under `value` or `_raw`) rather than dropped.
 */
export function toolInput(args: string): Record<string, unknown> {
  if (!args.trim()) return {};
  try {
    const value: unknown = JSON.parse(args);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
  } catch {
    return { _raw: args };
  }
}

export function anthropicUsage(input: number, output: number, cached: number): Record<string, number> {
  return { input_tokens: input, output_tokens: output, cache_read_input_tokens: cached, cache_creation_input_tokens: 0 };
}

/** The non-streaming response body. */
export function messageBody(id: string, model: string, outcome: StepOutcome, usage: Record<string, number>): object {
  const { result } = outcome;
  const content: object[] = [];
  if (result.reasoning_content) content.push({ type: 'thinking', thinking: result.reasoning_content, signature: '' });
  if (result.content) content.push({ type: 'text', text: result.content });
  for (const c of result.tool_calls) content.push({ type: 'tool_use', id: c.id, name: c.function.name, input: toolInput(c.function.arguments) });
  return { id, type: 'message', role: 'assistant', model, content, stop_reason: stopReason(outcome), stop_sequence: null, usage };
}
