// One model step, shared by the agent loop and every server protocol: render the conversation with its tools →
// generate (streaming) → parse reasoning and tool calls as they arrive. A backend that already separates reasoning
// or parses tool calls itself (a remote OpenAI-compatible engine) streams them as their own events; they are merged
// with whatever the text parser finds, so callers see one stream of deltas and one result either way.
import { randomUUID } from 'node:crypto';
import type {
  ChatMessage,
  ChatPromptOptions,
  FinishReason,
  GenerateParams,
  GenerationUsage,
  LanguageModel,
  TokenLogprob,
  ToolDefinition,
} from '../../engine/types.js';
import { createStreamParser, promptOpensReasoning, type StreamParser } from '../toolcalls/index.js';
import type { ParseResult, ParsedToolCall, StreamDelta, ToolChoice } from '../toolcalls/types.js';

/** Why a step could not start: the template rejected the messages, or a parser name is unknown. */
export class StepSetupError extends Error {
  constructor(
    readonly kind: 'template' | 'parser',
    message: string,
  ) {
    super(message);
    this.name = 'StepSetupError';
  }
}

/** The one internal request shape every wire protocol is translated into. */
export interface StepRequest {
  messages: ChatMessage[];
  tools: ToolDefinition[];
  /** 'none' renders no tools; 'required' and a named function are enforced by an instruction in the prompt. */
  toolChoice: ToolChoice;
  enableThinking?: boolean;
  templateVars?: Record<string, unknown>;
  toolParser: string;
  reasoningParser: string;
}

export interface PreparedStep {
  prompt: string;
  promptTokens: number;
  /** The prompt already tokenized, when the caller counted it itself (the server counts big prompts off the main thread). */
  tokens?: number[];
  /** The tools the prompt offers (after tool_choice narrowed them). */
  tools: ToolDefinition[];
  parser: StreamParser;
  /**
   * Where the prompt's leading system message (with the tools) ends, in characters: other conversations of the same
   * agent share the prompt up to there (a hybrid model checkpoints its state at that point).
   */
  sharedPrefixEnd?: number;
}

/**
 * The instruction that carries tool_choice to the model. There is no constrained decoding yet, so 'required' and a
 * named function are requests the model may still ignore; the parsed result says what it actually did.
 */
export function toolChoiceInstruction(choice: ToolChoice): string | null {
  if (choice === 'required') return 'You must answer by calling one or more of the provided tools.';
  if (typeof choice === 'object') return `You must answer by calling the tool '${choice.function.name}'.`;
  return null;
}

function withInstruction(messages: ChatMessage[], instruction: string | null): ChatMessage[] {
  if (!instruction) return messages;
  const [first, ...rest] = messages;
  if (first?.role === 'system') return [{ role: 'system', content: `${first.content}\n\n${instruction}` }, ...rest];
  return [{ role: 'system', content: instruction }, ...messages];
}

/** Renders and counts the prompt and creates the parser; throws StepSetupError (nothing has been generated yet). */
export function prepareStep(model: LanguageModel, req: StepRequest): PreparedStep {
  const step = renderStep(model, req);
  return { ...step, promptTokens: model.countTokens(step.prompt) };
}

/** Renders the prompt and creates the parser, leaving the counting to the caller. */
export function renderStep(model: LanguageModel, req: StepRequest): Omit<PreparedStep, 'promptTokens'> {
  const noTools = req.toolChoice === 'none' || req.tools.length === 0;
  const tools = noTools ? [] : req.tools;
  let prompt: string;
  const messages = withInstruction(req.messages, noTools ? null : toolChoiceInstruction(req.toolChoice));
  const renderOptions = {
    ...(noTools ? {} : { tools }),
    ...(req.enableThinking !== undefined ? { enableThinking: req.enableThinking } : {}),
    ...(req.templateVars ? { templateVars: req.templateVars } : {}),
  };
  try {
    prompt = model.renderChat(messages, { ...renderOptions, addGenerationPrompt: true });
  } catch (err) {
    throw new StepSetupError('template', `the chat template failed to render: ${(err as Error).message}`);
  }
  const sharedPrefixEnd = systemPromptEnd(model, prompt, messages, renderOptions);
  let parser: StreamParser;
  try {
    parser = createStreamParser({
      tools,
      toolChoice: noTools ? 'none' : req.toolChoice,
      toolParser: req.toolParser,
      reasoningParser: req.reasoningParser,
      chatTemplate: model.chatTemplate,
      startsInReasoning: promptOpensReasoning(prompt),
    });
  } catch (err) {
    throw new StepSetupError('parser', (err as Error).message);
  }
  return { prompt, tools, parser, ...(sharedPrefixEnd !== undefined ? { sharedPrefixEnd } : {}) };
}

/**
 * The length of the prompt's part that renders the leading system message (and the tools) alone, when the whole
 * prompt starts with exactly that text; undefined otherwise (no system message, or a template that renders it
 * differently alone or refuses a conversation without a user message).
 */
function systemPromptEnd(model: LanguageModel, prompt: string, messages: ChatMessage[], options: Omit<ChatPromptOptions, 'addGenerationPrompt'>): number | undefined {
  if (!model.checkpointsSharedPrefixes || messages.length < 2 || messages[0]!.role !== 'system') return undefined;
  let head: string;
  try {
    head = model.renderChat([messages[0]!], { ...options, addGenerationPrompt: false });
  } catch {
    return undefined;
  }
  return head.length > 0 && head.length < prompt.length && prompt.startsWith(head) ? head.length : undefined;
}

/** What one model event released: parser deltas (tool-call indexes are the step's) and the token logprobs. */
export interface StepChunk {
  deltas: StreamDelta[];
  logprobs?: TokenLogprob[];
}

export interface StepOutcome {
  result: ParseResult;
  finishReason: FinishReason;
  usage: GenerationUsage | null;
  completionTokens: number;
  /** The generation threw (not a cancellation); `result` holds what was parsed before. */
  error: Error | null;
  cancelled: boolean;
}

export interface StepRunOptions {
  params: GenerateParams;
  signal: AbortSignal;
  /** Keep only the first tool call (parallel_tool_calls: false). */
  singleCall?: boolean;
}

/** Numbers tool calls in the order they first appear, whether the text parser or the backend produced them. */
class CallMerger {
  private readonly order = new Map<string, number>();
  private readonly backendCalls = new Map<number, ParsedToolCall>();

  index(source: 'parser' | 'backend', i: number): number {
    const key = `${source}:${i}`;
    let out = this.order.get(key);
    if (out === undefined) {
      out = this.order.size;
      this.order.set(key, out);
    }
    return out;
  }

  backend(d: { index: number; id?: string; name?: string; arguments?: string }): StreamDelta {
    const index = this.index('backend', d.index);
    let call = this.backendCalls.get(index);
    const first = !call;
    if (!call) {
      // A backend that gives no id still needs one: tool messages refer to their call by it.
      call = { id: d.id || `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`, type: 'function', function: { name: d.name ?? '', arguments: '' } };
      this.backendCalls.set(index, call);
    } else if (d.name && !call.function.name) call.function.name = d.name;
    call.function.arguments += d.arguments ?? '';
    return first
      ? { type: 'tool_call', index, id: call.id, ...(d.name ? { name: d.name } : {}), arguments: d.arguments ?? '' }
      : { type: 'tool_call', index, ...(d.arguments ? { arguments: d.arguments } : {}) };
  }

  merge(parsed: ParsedToolCall[]): ParsedToolCall[] {
    const all: Array<[number, ParsedToolCall]> = parsed.map((c, i) => [this.index('parser', i), c]);
    for (const [i, c] of this.backendCalls) all.push([i, { ...c, function: { ...c.function, arguments: c.function.arguments || '{}' } }]);
    return all.sort((a, b) => a[0] - b[0]).map(([, c]) => c);
  }
}

function isAbort(err: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (err instanceof Error && err.name === 'AbortError');
}

/**
 * Generates from a prepared step and yields the parsed deltas as they become certain; returns the outcome.
 * Never throws for a failing generation: the outcome carries the error with the partial result.
 */
export async function* runStep(model: LanguageModel, step: PreparedStep, opts: StepRunOptions): AsyncGenerator<StepChunk, StepOutcome, undefined> {
  const { parser } = step;
  const merger = new CallMerger();
  let backendReasoning = '';
  const keep = (deltas: StreamDelta[]): StreamDelta[] => {
    const out: StreamDelta[] = [];
    for (const d of deltas) {
      const mapped = d.type === 'tool_call' ? { ...d, index: merger.index('parser', d.index) } : d;
      if (opts.singleCall && mapped.type === 'tool_call' && mapped.index !== 0) continue;
      out.push(mapped);
    }
    return out;
  };
  let usage: GenerationUsage | null = null;
  let finishReason: FinishReason = 'stop';
  let completionTokens = 0;
  let error: Error | null = null;
  let cancelled = false;
  try {
    const params = step.sharedPrefixEnd !== undefined ? { ...opts.params, sharedPrefixes: { text: step.prompt, ends: [step.sharedPrefixEnd] } } : opts.params;
    for await (const ev of model.generate(step.tokens ?? step.prompt, params, opts.signal)) {
      // Tokens still in flight after a cancel are dropped: the user saw "cancelling" and nothing after it.
      if (opts.signal.aborted) {
        cancelled = true;
        break;
      }
      if (ev.type === 'text') {
        completionTokens += ev.tokens.length;
        const deltas = keep(parser.push(ev.text));
        if (deltas.length || ev.logprobs?.length) yield { deltas, ...(ev.logprobs?.length ? { logprobs: ev.logprobs } : {}) };
      } else if (ev.type === 'reasoning') {
        backendReasoning += ev.text;
        yield { deltas: [{ type: 'reasoning', text: ev.text }] };
      } else if (ev.type === 'tool_call') {
        const delta = merger.backend(ev);
        if (!(opts.singleCall && delta.type === 'tool_call' && delta.index !== 0)) yield { deltas: [delta] };
      } else {
        usage = ev.usage;
        completionTokens = ev.usage.completionTokens;
        finishReason = ev.finishReason;
        cancelled = ev.finishReason === 'cancelled';
      }
    }
  } catch (err) {
    if (isAbort(err, opts.signal)) cancelled = true;
    else error = err instanceof Error ? err : new Error(String(err));
  }
  if (opts.signal.aborted) cancelled = true;
  const tail = keep(parser.finish());
  if (tail.length) yield { deltas: tail };
  const parsed = parser.result();
  const calls = merger.merge(parsed.tool_calls);
  const reasoning = backendReasoning + (parsed.reasoning_content ?? '');
  const result: ParseResult = {
    ...parsed,
    reasoning_content: reasoning || null,
    tool_calls: opts.singleCall ? calls.slice(0, 1) : calls,
  };
  return { result, finishReason, usage, completionTokens, error, cancelled };
}
