// The headless agent loop: render → generate (streaming) → parse → run tools → append results → generate again,
// until the model answers without a call or the round limit is hit. Emits typed events; never needs React.
import type { ChatMessage, GenerateParams, LanguageModel, ToolDefinition } from '../../engine/types.js';
import type { CallOrigin, ToolExecutor } from '../mcp/types.js';
import type { ParseResult, StreamDelta, ToolChoice } from '../toolcalls/types.js';
import { planForModel } from '../toolcalls/constraint/for-model.js';
import { SessionApprovals, type ApprovalMode } from './approvals.js';
import { TurnCancellation } from './cancellation.js';
import { EventChannel } from './event-channel.js';
import { prepareStep, runStep, type PreparedStep } from './model-step.js';
import type { AgentEvent } from './events.js';
import { toolResultCap } from './tool-messages.js';
import { planToolExposure, type ToolExposure } from './deferred-tools.js';
import { toolDefinitions } from './tool-defs.js';
import { runToolRound } from './tool-round.js';

export const DEFAULT_MAX_ROUNDS = 10;
export const DEFAULT_TOOL_CONCURRENCY = 4;

/** The chat history a turn reads and extends in place (the turn appends its assistant and tool messages). */
export interface Conversation {
  messages: ChatMessage[];
}

export interface TurnOptions {
  model: LanguageModel;
  executor: ToolExecutor;
  /** Where the calls come from, for the audit log (default 'chat'). */
  origin?: CallOrigin;
  sessionId?: string;
  /** Whether confirmation requests can be answered; when false, "ask" means deny (default true). */
  interactive?: boolean;
  /** --yes: run everything the sandbox and policy do not deny, without asking. */
  autoApprove?: boolean;
  /**
   * Which calls run without asking (default 'default'); the sandbox and a "deny" policy apply in every mode. A
   * function is read at each call, so a switch during the turn applies to its next call.
   */
  approvalMode?: ApprovalMode | (() => ApprovalMode);
  /** The session's "always" answers; shared across turns. */
  approvals?: SessionApprovals;
  maxRounds?: number;
  /** Cap on the tool output given to the model, in UTF-8 bytes (default: toolResultCap of the context). */
  maxToolResultBytes?: number;
  /**
   * Share of the context window the tool schemas may take; above it the model gets search_tools/call_tool
   * instead of every schema (default 0.25; 1 never defers).
   */
  toolSchemaShare?: number;
  /** Calls of one round that may run at once (default 4). */
  toolConcurrency?: number;
  toolTimeoutMs?: number;
  generation?: GenerateParams;
  /**
   * tool_choice for the turn's first round ('required', or a tool's name), enforced by the grammar; later rounds
   * are free so the model can answer with the results.
   */
  toolChoice?: 'required' | { name: string };
  enableThinking?: boolean;
  templateVars?: Record<string, unknown>;
  /** Parser names (or 'auto', the default). */
  toolParser?: string;
  reasoningParser?: string;
  /** Aborts the whole turn (ignored when `cancellation` is given: link the signal there instead). */
  signal?: AbortSignal;
  /** Two-level cancellation driven by the UI (first cancel: the current step; second: the turn). */
  cancellation?: TurnCancellation;
}

class TurnDriver {
  private readonly cancellation: TurnCancellation;
  private readonly approvals: SessionApprovals;
  private rounds = 0;
  /** The tool definitions of the round being generated (all schemas, or the deferred pair). */
  private exposure: ToolExposure | null = null;

  constructor(
    private readonly conversation: Conversation,
    private readonly opts: TurnOptions,
    private readonly emit: (e: AgentEvent) => void,
    cancellation: TurnCancellation,
  ) {
    this.cancellation = cancellation;
    this.approvals = opts.approvals ?? new SessionApprovals();
  }

  async run(): Promise<void> {
    const maxRounds = this.opts.maxRounds ?? DEFAULT_MAX_ROUNDS;
    while (this.rounds < maxRounds) {
      if (this.cancellation.turnSignal.aborted) return this.aborted('generation');
      this.rounds += 1;
      const generated = await this.generateRound(this.rounds);
      if (generated.kind !== 'ok') return;
      const { result } = generated;
      const assistant: ChatMessage = {
        role: 'assistant',
        content: result.content,
        ...(result.reasoning_content ? { reasoning_content: result.reasoning_content } : {}),
        ...(result.tool_calls.length
          ? { tool_calls: result.tool_calls.map((c) => ({ id: c.id, type: 'function' as const, function: { ...c.function } })) }
          : {}),
      };
      this.conversation.messages.push(assistant);
      if (result.tool_calls.length === 0) {
        this.emit({ type: 'turn_finished', reason: 'answered', rounds: this.rounds, answer: result.content });
        return;
      }
      const step = this.cancellation.beginStep();
      const round = await runToolRound(result.tool_calls, this.rounds, {
        executor: this.opts.executor,
        decision: {
          executor: this.opts.executor,
          approvals: this.approvals,
          autoApprove: this.opts.autoApprove ?? false,
          ...(this.opts.approvalMode ? { mode: this.opts.approvalMode } : {}),
          interactive: this.opts.interactive ?? true,
        },
        emit: this.emit,
        signal: step,
        origin: this.opts.origin ?? 'chat',
        ...(this.opts.sessionId ? { sessionId: this.opts.sessionId } : {}),
        ...(this.opts.toolTimeoutMs !== undefined ? { timeoutMs: this.opts.toolTimeoutMs } : {}),
        maxResultBytes: this.opts.maxToolResultBytes ?? toolResultCap(this.opts.model.info.contextLength),
        ...(this.exposure?.mode === 'deferred' ? { deferredTools: this.exposure.tools } : {}),
        concurrency: this.opts.toolConcurrency ?? DEFAULT_TOOL_CONCURRENCY,
      });
      this.conversation.messages.push(...round.messages);
      if (this.cancellation.turnSignal.aborted) return this.aborted(round.abortedAt ?? 'tools');
    }
    const last = [...this.conversation.messages].reverse().find((m) => m.role === 'assistant');
    this.emit({
      type: 'turn_finished',
      reason: 'max_rounds',
      rounds: this.rounds,
      answer: last && last.role === 'assistant' ? last.content : null,
    });
  }

  /** The first round's tool_choice; a named tool the MCP servers do not offer fails the turn. */
  private firstChoice(tools: ToolDefinition[]): ToolChoice {
    const c = this.opts.toolChoice;
    if (!c) return 'auto';
    if (c === 'required') {
      if (!tools.length) throw new Error('--tool-choice required: no MCP tools are available');
      return 'required';
    }
    if (!tools.some((t) => t.function.name === c.name)) {
      throw new Error(`--tool-choice: no tool is named '${c.name}' (available: ${tools.map((t) => t.function.name).join(', ') || 'none'})`);
    }
    return { type: 'function', function: { name: c.name } };
  }

  private aborted(stage: 'generation' | 'tools' | 'confirmation'): void {
    this.emit({ type: 'turn_aborted', stage, rounds: this.rounds });
  }

  private async generateRound(round: number): Promise<{ kind: 'ok'; result: ParseResult } | { kind: 'stopped' }> {
    const { model } = this.opts;
    let step: PreparedStep;
    let choice: ToolChoice = 'auto';
    let tools: ToolDefinition[] = [];
    try {
      this.exposure = planToolExposure(this.opts.executor.listTools(), model, this.opts.toolSchemaShare);
      const all = toolDefinitions(this.opts.executor.listTools());
      choice = round === 1 ? this.firstChoice(all) : 'auto';
      // A call forced by name needs that tool's own schema, even when the others are deferred behind search_tools.
      tools = typeof choice === 'object' ? all.filter((t) => t.function.name === (choice as { function: { name: string } }).function.name) : this.exposure.definitions;
      step = prepareStep(model, {
        messages: this.conversation.messages,
        tools,
        toolChoice: choice,
        ...(this.opts.enableThinking !== undefined ? { enableThinking: this.opts.enableThinking } : {}),
        ...(this.opts.templateVars ? { templateVars: this.opts.templateVars } : {}),
        toolParser: this.opts.toolParser ?? 'auto',
        reasoningParser: this.opts.reasoningParser ?? 'auto',
      });
    } catch (err) {
      this.emit({ type: 'turn_failed', rounds: round, error: (err as Error).message });
      return { kind: 'stopped' };
    }
    const maxContext = model.info.contextLength;
    if (step.promptTokens >= maxContext) {
      this.emit({ type: 'turn_failed', rounds: round, error: this.overflow(round, step.promptTokens, maxContext), overflow: true });
      return { kind: 'stopped' };
    }
    this.emit({ type: 'round_started', round, promptTokens: step.promptTokens });

    const forward = (deltas: StreamDelta[]): void => {
      for (const d of deltas) {
        if (d.type === 'content') this.emit({ type: 'text_delta', round, text: d.text });
        else if (d.type === 'reasoning') this.emit({ type: 'reasoning_delta', round, text: d.text });
        else if (d.type === 'warning') this.emit({ type: 'parse_warning', round, warning: d.warning });
        else if (d.type === 'tool_call' && d.name) this.emit({ type: 'tool_call_streaming', round, index: d.index, name: d.name });
      }
    };

    let params: GenerateParams = { ...this.opts.generation };
    if (choice !== 'auto') {
      const plan = await planForModel(model, {
        toolParser: this.opts.toolParser ?? 'auto',
        reasoningParser: this.opts.reasoningParser ?? 'auto',
        prompt: step.prompt,
        tools,
        toolChoice: choice,
        singleCall: false,
      });
      if (plan.constraint) params = { ...params, constraint: plan.constraint };
      for (const w of plan.warnings) this.emit({ type: 'parse_warning', round, warning: { code: 'constraint', message: w } });
    }
    const signal = this.cancellation.beginStep();
    const run = runStep(model, step, { params, signal });
    let next = await run.next();
    while (!next.done) {
      forward(next.value.deltas);
      next = await run.next();
    }
    const outcome = next.value;
    if (outcome.error) {
      this.keepPartial(outcome.result);
      this.emit({ type: 'turn_failed', rounds: round, error: `generation failed: ${outcome.error.message}` });
      return { kind: 'stopped' };
    }
    const { usage, finishReason } = outcome;
    if (usage) {
      this.emit({ type: 'usage', round, usage, finishReason, contextTokens: usage.promptTokens + usage.completionTokens, maxContext });
    }
    if (outcome.cancelled) {
      // A cut-off generation ends the turn: its partial text stays in the history, its half-made calls do not.
      this.keepPartial(outcome.result);
      this.aborted('generation');
      return { kind: 'stopped' };
    }
    const result = outcome.result;
    // A call the output ended inside is never run (it is not in tool_calls); say why it is missing.
    for (const u of result.unfinished_calls) {
      if (u.cause !== 'truncated') continue;
      const why = finishReason === 'length' ? 'the answer was cut off at the token limit' : 'the answer ended';
      this.emit({ type: 'parse_warning', round, warning: { code: 'truncated_call', message: `${why} inside a call to "${u.name}"; that call was not run`, raw: u.raw } });
    }
    return { kind: 'ok', result };
  }

  /**
   * Explains an overflow. In the first round the cause is the user's new message: it is taken out of the history
   * again, so one over-long paste cannot make every later turn fail the same way.
   */
  private overflow(round: number, promptTokens: number, maxContext: number): string {
    const last = this.conversation.messages[this.conversation.messages.length - 1];
    if (round === 1 && last?.role === 'user') {
      this.conversation.messages.pop();
      const size = typeof last.content === 'string' ? ` (about ${this.opts.model.countTokens(last.content)} tokens)` : '';
      return `the message is too long for the context window: with it the conversation would take ${promptTokens} of ${maxContext} tokens${size}. It was not sent and not kept; shorten it, or /compact or /clear the conversation first`;
    }
    return `the conversation no longer fits the context window (${promptTokens} of ${maxContext} tokens, with the tool results of this turn); use /compact or /clear`;
  }

  /** Keeps what the user already saw of an interrupted answer, without tool calls (they never ran). */
  private keepPartial(result: ParseResult): void {
    if (result.content || result.reasoning_content) {
      this.conversation.messages.push({
        role: 'assistant',
        content: result.content,
        ...(result.reasoning_content ? { reasoning_content: result.reasoning_content } : {}),
      });
    }
  }
}

/**
 * Runs one turn over `conversation` (which must already end with the user's message) and streams its events.
 * The conversation is extended in place and stays valid (every tool call has its tool message) however the turn
 * ends. Breaking out of the iteration aborts the turn.
 */
export async function* runTurn(conversation: Conversation, options: TurnOptions): AsyncGenerator<AgentEvent, void, undefined> {
  const channel = new EventChannel<AgentEvent>();
  const cancellation = options.cancellation ?? new TurnCancellation(options.signal);
  const driver = new TurnDriver(conversation, options, (e) => channel.push(e), cancellation);
  const done = driver.run().then(
    () => channel.close(),
    (err: unknown) => channel.fail(err),
  );
  let completed = false;
  try {
    for await (const event of channel) yield event;
    completed = true;
  } finally {
    if (!completed) cancellation.abortTurn();
    await done;
    if (!options.cancellation) cancellation.release();
  }
}
