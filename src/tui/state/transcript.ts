// The REPL's transcript as a pure reducer over agent events and UI actions (no React here, so it is easy to test).
import type { AgentEvent, ConfirmAnswer, ConfirmationRequest, ToolErrorStatus } from '../../agent/loop/events.js';
import type { ChatMessage } from '../../engine/types.js';
import { replayItems } from './replay.js';

export type ToolCardStatus = 'running' | 'awaiting' | 'done' | 'denied' | 'failed' | 'aborted';

export type TranscriptItem =
  | { kind: 'user'; id: string; text: string }
  /**
   * Streamed text. Finished lines are cut off into their own items as they arrive (printed once, above the live
   * area); `continued` marks the items after the first of one answer.
   */
  | { kind: 'assistant'; id: string; text: string; reasoning: string; continued?: boolean }
  | {
      kind: 'tool';
      id: string;
      callId: string;
      name: string;
      server?: string;
      tool?: string;
      args: unknown;
      rawArgs: string;
      status: ToolCardStatus;
      startedAt: number;
      durationMs?: number;
      /** The full result text (or error) for display. */
      result?: string;
      rule?: string;
    }
  | { kind: 'notice'; id: string; level: 'info' | 'warn' | 'error'; text: string };

export interface PendingConfirmation {
  request: ConfirmationRequest;
  respond: (answer: ConfirmAnswer) => void;
}

export interface UsageInfo {
  contextTokens: number;
  maxContext: number;
  decodeTokensPerSecond: number;
}

export interface TranscriptState {
  items: TranscriptItem[];
  /** Items before this index are finished (printed once, above the live area); from it on they may change. */
  liveFrom: number;
  /** Changes on /clear so the printed-once part starts over. */
  epoch: number;
  confirmation: PendingConfirmation | null;
  busy: boolean;
  /** Ctrl-O: show full tool results and reasoning in the live turn. */
  expanded: boolean;
  usage: UsageInfo | null;
  /** Calls the model is still writing (names), shown until they start. */
  writingCalls: string[];
  /** The user asked to cancel; shown in the live area until the turn ends (not an item: late text stays in order). */
  cancelling: 'step' | 'turn' | null;
  nextId: number;
}

export type TranscriptAction =
  | { type: 'agent'; event: AgentEvent; now: number }
  | { type: 'user_submitted'; text: string }
  | { type: 'notice'; level: 'info' | 'warn' | 'error'; text: string }
  | { type: 'confirmation_answered'; callId: string; allowed: boolean }
  | { type: 'turn_ended' }
  | { type: 'toggle_expanded' }
  | { type: 'cancelling'; level: 'step' | 'turn' }
  /** A task other than a turn (/compact) runs: the input waits, Esc cancels it. */
  | { type: 'task_started' }
  /** The conversation's size changed outside a turn (/compact). */
  | { type: 'context_changed'; contextTokens: number }
  | { type: 'clear' }
  /** A stored conversation was resumed: its messages are shown as they were. */
  | { type: 'replayed'; messages: readonly ChatMessage[]; now: number };

export const initialTranscript: TranscriptState = {
  items: [],
  liveFrom: 0,
  epoch: 0,
  confirmation: null,
  busy: false,
  expanded: false,
  usage: null,
  writingCalls: [],
  cancelling: null,
  nextId: 1,
};

function toolStatus(status: ToolErrorStatus): ToolCardStatus {
  if (status === 'denied') return 'denied';
  if (status === 'aborted') return 'aborted';
  return 'failed';
}

type NewItem = TranscriptItem extends infer T ? (T extends TranscriptItem ? Omit<T, 'id'> : never) : never;

function withItem(state: TranscriptState, item: NewItem): TranscriptState {
  return { ...state, items: [...state.items, { ...item, id: `i${state.nextId}` } as TranscriptItem], nextId: state.nextId + 1 };
}

function updateTool(state: TranscriptState, callId: string, update: (item: Extract<TranscriptItem, { kind: 'tool' }>) => TranscriptItem): TranscriptState {
  let index = -1;
  for (let i = state.items.length - 1; i >= state.liveFrom; i--) {
    const it = state.items[i];
    if (it.kind === 'tool' && it.callId === callId) {
      index = i;
      break;
    }
  }
  if (index < 0) return state;
  const items = state.items.slice();
  items[index] = update(items[index] as Extract<TranscriptItem, { kind: 'tool' }>);
  return { ...state, items };
}

/**
 * Appends streamed text or reasoning to the assistant item at the end of the live turn (or starts one). The
 * finished lines of the text move into an item of their own, so the live item holds at most the line being
 * written: the live area stays small however long the answer gets.
 */
function appendAssistant(state: TranscriptState, field: 'text' | 'reasoning', delta: string): TranscriptState {
  const last = state.items[state.items.length - 1];
  if (!(last && last.kind === 'assistant' && state.items.length - 1 >= state.liveFrom)) {
    return appendAssistant(withItem(state, { kind: 'assistant', text: '', reasoning: '' }), field, delta);
  }
  const updated = { ...last, [field]: last[field] + delta };
  const items = state.items.slice();
  const cut = field === 'text' ? updated.text.lastIndexOf('\n') : -1;
  if (cut < 0) {
    items[items.length - 1] = updated;
    return { ...state, items };
  }
  items[items.length - 1] = { ...updated, text: updated.text.slice(0, cut) };
  const next = { ...state, items };
  return withItem(next, { kind: 'assistant', text: updated.text.slice(cut + 1), reasoning: '', continued: true });
}

/** Whether an item can still change (a call not yet finished, the text being streamed). */
function isLive(state: TranscriptState, index: number): boolean {
  const item = state.items[index];
  if (item.kind === 'tool') return item.status === 'running' || item.status === 'awaiting';
  if (item.kind === 'assistant') return state.busy && index === state.items.length - 1;
  return false;
}

/** An empty part after an answer's last line break: the answer ended with a line break, nothing to show. */
function isEmptyTail(items: TranscriptItem[], index: number): boolean {
  const item = items[index];
  const next = items[index + 1];
  const nextContinues = next !== undefined && next.kind === 'assistant' && next.continued === true;
  return item.kind === 'assistant' && item.continued === true && item.text === '' && item.reasoning === '' && !nextContinues;
}

/** Moves the start of the live area past every finished item (they are then printed once). */
function settle(state: TranscriptState): TranscriptState {
  let items = state.items;
  let liveFrom = state.liveFrom;
  while (liveFrom < items.length && !isLive({ ...state, items }, liveFrom)) {
    if (isEmptyTail(items, liveFrom)) items = [...items.slice(0, liveFrom), ...items.slice(liveFrom + 1)];
    else liveFrom += 1;
  }
  return liveFrom === state.liveFrom && items === state.items ? state : { ...state, items, liveFrom };
}

function reduceAgent(state: TranscriptState, event: AgentEvent, now: number): TranscriptState {
  switch (event.type) {
    case 'text_delta':
      return appendAssistant(state, 'text', event.text);
    case 'reasoning_delta':
      return appendAssistant(state, 'reasoning', event.text);
    case 'parse_warning':
      return withItem(state, { kind: 'notice', level: 'warn', text: `the model wrote malformed tool-call markup: ${event.warning.message}` });
    case 'tool_call_streaming':
      return { ...state, writingCalls: [...state.writingCalls, event.name] };
    case 'tool_call_started':
      return withItem({ ...state, writingCalls: state.writingCalls.slice(1) }, {
        kind: 'tool',
        callId: event.callId,
        name: event.name,
        ...(event.server ? { server: event.server } : {}),
        ...(event.tool ? { tool: event.tool } : {}),
        args: event.arguments,
        rawArgs: event.rawArguments,
        status: 'running',
        startedAt: now,
      });
    case 'confirmation_request':
      return {
        ...updateTool(state, event.request.callId, (t) => ({ ...t, status: 'awaiting' })),
        confirmation: { request: event.request, respond: event.respond },
      };
    case 'tool_result':
      return updateTool(state, event.callId, (t) => ({ ...t, status: 'done', durationMs: event.outcome.durationMs, result: event.outcome.text }));
    case 'tool_error':
      return updateTool(state, event.callId, (t) => ({
        ...t,
        status: toolStatus(event.status),
        durationMs: event.outcome.durationMs,
        result: event.error,
        ...(event.outcome.rule ? { rule: event.outcome.rule } : {}),
      }));
    case 'usage': {
      const next = {
        ...state,
        usage: { contextTokens: event.contextTokens, maxContext: event.maxContext, decodeTokensPerSecond: event.usage.decodeTokensPerSecond },
      };
      return event.finishReason === 'length'
        ? withItem(next, {
            kind: 'notice',
            level: 'warn',
            text: `[reply cut off: it reached the limit of ${event.usage.completionTokens} generated tokens (--max-tokens)]`,
          })
        : next;
    }
    case 'turn_finished':
      return event.reason === 'max_rounds'
        ? withItem(state, { kind: 'notice', level: 'warn', text: `stopped after ${event.rounds} rounds of tool calls (the round limit)` })
        : state;
    case 'turn_aborted':
      return withItem({ ...state, confirmation: null }, { kind: 'notice', level: 'warn', text: `cancelled (${event.stage})` });
    case 'turn_failed':
      return withItem({ ...state, confirmation: null }, { kind: 'notice', level: 'error', text: event.error });
    case 'round_started':
      return { ...state, writingCalls: [], cancelling: null };
    case 'compaction_started':
      return withItem(state, {
        kind: 'notice',
        level: 'info',
        text: `auto-compacting: the context would reach ${event.contextTokens} of ${event.maxContext} tokens (threshold ${event.thresholdPercent}%); the model is summarising the earlier turns…`,
      });
    case 'compaction_finished': {
      const next = state.usage ? { ...state, usage: { ...state.usage, contextTokens: event.tokensAfter } } : state;
      return withItem(next, {
        kind: 'notice',
        level: 'info',
        text: `compacted: ${event.replaced} messages replaced by a summary (${event.tokensBefore} → ${event.tokensAfter} tokens of conversation)`,
      });
    }
    case 'compaction_failed':
      return withItem(state, { kind: 'notice', level: 'warn', text: `auto-compaction did not happen: ${event.error}; the conversation is unchanged` });
  }
}

export function transcriptReducer(state: TranscriptState, action: TranscriptAction): TranscriptState {
  return settle(reduce(state, action));
}

function reduce(state: TranscriptState, action: TranscriptAction): TranscriptState {
  switch (action.type) {
    case 'agent':
      return reduceAgent(state, action.event, action.now);
    case 'user_submitted':
      return withItem({ ...state, busy: true, expanded: false, cancelling: null }, { kind: 'user', text: action.text });
    case 'notice':
      return withItem(state, { kind: 'notice', level: action.level, text: action.text });
    case 'confirmation_answered': {
      const answered = { ...state, confirmation: null };
      return action.allowed ? updateTool(answered, action.callId, (t) => ({ ...t, status: 'running' })) : answered;
    }
    case 'turn_ended':
      return { ...state, busy: false, confirmation: null, writingCalls: [], cancelling: null };
    case 'cancelling':
      return state.busy ? { ...state, cancelling: action.level } : state;
    case 'task_started':
      return { ...state, busy: true, cancelling: null };
    case 'context_changed':
      return state.usage ? { ...state, usage: { ...state.usage, contextTokens: action.contextTokens } } : state;
    case 'toggle_expanded':
      return { ...state, expanded: !state.expanded };
    case 'clear':
      return { ...initialTranscript, epoch: state.epoch + 1, nextId: state.nextId };
    case 'replayed':
      return replayItems(action.messages, action.now).reduce(withItem, state);
  }
}
