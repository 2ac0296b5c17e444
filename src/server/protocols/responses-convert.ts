// OpenAI Responses requests → the internal chat run request, and output blocks → Responses output items.
import { randomUUID } from 'node:crypto';
import type { ChatMessage, ToolDefinition } from '../../engine/types.js';
import type { ParseResult, ToolChoice } from '../../agent/toolcalls/types.js';
import { narrowTools, type ChatRunRequest } from '../chat-run.js';
import { badRequest } from '../errors.js';
import type { OutputBlock } from './output-blocks.js';
import type { ResponsesInputItem, ResponsesRequest } from './responses-schema.js';

export const newId = (prefix: string): string => `${prefix}_${randomUUID().replace(/-/g, '')}`;

const partsText = (content: string | Array<{ text: string }>): string =>
  typeof content === 'string' ? content : content.map((p) => p.text).join('');

/** Input items → engine messages (without instructions), appended to `history` from previous_response_id. */
export function inputMessages(input: ResponsesRequest['input'], history: ChatMessage[]): ChatMessage[] {
  const out = [...history];
  if (typeof input === 'string') return [...out, { role: 'user', content: input }];
  const toolNames = new Map<string, string>();
  for (const m of out) if (m.role === 'assistant') for (const c of m.tool_calls ?? []) toolNames.set(c.id, c.function.name);
  let reasoning = '';
  // The assistant message a following function_call joins (the same model turn), if the last item made one.
  const openAssistant = (): Extract<ChatMessage, { role: 'assistant' }> => {
    const last = out[out.length - 1];
    if (last?.role === 'assistant') return last;
    const created: Extract<ChatMessage, { role: 'assistant' }> = { role: 'assistant', content: null };
    out.push(created);
    return created;
  };
  const takeReasoning = (m: Extract<ChatMessage, { role: 'assistant' }>): void => {
    if (reasoning) m.reasoning_content = (m.reasoning_content ?? '') + reasoning;
    reasoning = '';
  };
  input.forEach((item: ResponsesInputItem, i) => {
    if (item.type === 'reasoning') {
      reasoning += (item.content ?? []).map((c) => c.text).join('') || item.summary.map((s) => s.text).join('\n');
    } else if (item.type === 'function_call') {
      const m = openAssistant();
      takeReasoning(m);
      toolNames.set(item.call_id, item.name);
      m.tool_calls = [...(m.tool_calls ?? []), { id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } }];
    } else if (item.type === 'function_call_output') {
      if (!toolNames.has(item.call_id)) {
        throw badRequest(`input[${i}]: no function_call with call_id '${item.call_id}' precedes this output`, `input[${i}].call_id`);
      }
      out.push({ role: 'tool', tool_call_id: item.call_id, content: partsText(item.output), name: toolNames.get(item.call_id) });
    } else if (item.role === 'assistant') {
      const m: Extract<ChatMessage, { role: 'assistant' }> = { role: 'assistant', content: partsText(item.content) };
      takeReasoning(m);
      out.push(m);
    } else {
      out.push({ role: item.role === 'user' ? 'user' : 'system', content: partsText(item.content) });
    }
  });
  return out;
}

function toolChoiceOf(choice: ResponsesRequest['tool_choice']): ToolChoice {
  if (!choice) return 'auto';
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

/** reasoning.effort 'none'/'minimal' renders the template with thinking off; another effort turns it on. */
function thinkingOf(reasoning: ResponsesRequest['reasoning']): boolean | undefined {
  const effort = reasoning?.effort;
  if (effort == null) return undefined;
  return !(effort === 'none' || effort === 'minimal');
}

export function toRunRequest(req: ResponsesRequest, conversation: ChatMessage[]): ChatRunRequest {
  const toolChoice = toolChoiceOf(req.tool_choice);
  const defined: ToolDefinition[] = (req.tools ?? []).map((t) => ({
    type: 'function',
    function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters ?? { type: 'object', properties: {} } },
  }));
  const messages: ChatMessage[] = req.instructions ? [{ role: 'system', content: req.instructions }, ...conversation] : conversation;
  const enableThinking = thinkingOf(req.reasoning);
  return {
    step: { messages, tools: narrowTools(defined, toolChoice, 'tool_choice'), toolChoice, ...(enableThinking !== undefined ? { enableThinking } : {}) },
    params: {
      ...(req.temperature != null ? { temperature: req.temperature } : {}),
      ...(req.top_p != null ? { topP: req.top_p } : {}),
    },
    maxTokens: req.max_output_tokens ?? null,
    singleCall: req.parallel_tool_calls === false,
    messagesField: 'input',
  };
}

/** The assistant turn a response adds to its stored conversation. */
export function assistantMessage(result: ParseResult): ChatMessage {
  return {
    role: 'assistant',
    content: result.content,
    ...(result.reasoning_content ? { reasoning_content: result.reasoning_content } : {}),
    ...(result.tool_calls.length
      ? { tool_calls: result.tool_calls.map((c) => ({ id: c.id, type: 'function' as const, function: { ...c.function } })) }
      : {}),
  };
}

/** A block as a Responses output item; `done` false gives the in-progress shape of output_item.added. */
export function outputItem(block: OutputBlock, itemId: string, done: boolean): Record<string, unknown> {
  const status = done ? 'completed' : 'in_progress';
  if (block.kind === 'reasoning') {
    return { id: itemId, type: 'reasoning', summary: [], content: done ? [{ type: 'reasoning_text', text: block.text }] : [] };
  }
  if (block.kind === 'text') {
    return {
      id: itemId,
      type: 'message',
      status,
      role: 'assistant',
      content: done ? [{ type: 'output_text', text: block.text, annotations: [], logprobs: [] }] : [],
    };
  }
  if (block.kind === 'tool_call') {
    return { id: itemId, type: 'function_call', status, call_id: block.id, name: block.name, arguments: done ? block.arguments : '' };
  }
  // A call mcp_auto_execute ran: one mcp_call item carries the call and its output.
  const { call } = block;
  return {
    id: itemId,
    type: 'mcp_call',
    status: done ? (call.is_error ? 'failed' : 'completed') : 'in_progress',
    server_label: call.server ?? '',
    name: call.tool ?? call.name,
    arguments: JSON.stringify(call.arguments ?? {}),
    output: done && !call.is_error ? call.result : null,
    error: done && call.is_error ? call.result : null,
  };
}
