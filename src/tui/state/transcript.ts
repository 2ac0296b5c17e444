// The REPL's transcript as a pure reducer over agent events and UI actions (no React here, so it is easy to test).
import type { AgentEvent, ConfirmAnswer, ConfirmationRequest, ToolErrorStatus } from '../../agent/loop/events.js';

export type ToolCardStatus = 'running' | 'awaiting' | 'done' | 'denied' | 'failed' | 'aborted';

export type TranscriptItem =
  | { kind: 'user'; id: string; text: string }
  | { kind: 'assistant'; id: string; text: string; reasoning: string }
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
  /** Items before this index belong to finished turns (printed once, above the live area). */
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
  nextId: number;
}

export type TranscriptAction =
  | { type: 'agent'; event: AgentEvent; now: number }
  | { type: 'user_submitted'; text: string }
  | { type: 'notice'; level: 'info' | 'warn' | 'error'; text: string }
  | { type: 'confirmation_answered'; callId: string; allowed: boolean }
  | { type: 'turn_ended' }
  | { type: 'toggle_expanded' }
  | { type: 'clear' };

export const initialTranscript: TranscriptState = {
  items: [],
  liveFrom: 0,
  epoch: 0,
  confirmation: null,
  busy: false,
  expanded: false,
  usage: null,
  writingCalls: [],
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

/** Appends streamed text or reasoning to the assistant item at the end of the live turn (or starts one). */
function appendAssistant(state: TranscriptState, field: 'text' | 'reasoning', delta: string): TranscriptState {
  const last = state.items[state.items.length - 1];
  if (last && last.kind === 'assistant' && state.items.length - 1 >= state.liveFrom) {
    const items = state.items.slice();
    items[items.length - 1] = { ...last, [field]: last[field] + delta };
    return { ...state, items };
  }
  return withItem(state, { kind: 'assistant', text: field === 'text' ? delta : '', reasoning: field === 'reasoning' ? delta : '' });
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
    case 'usage':
      return {
        ...state,
        usage: { contextTokens: event.contextTokens, maxContext: event.maxContext, decodeTokensPerSecond: event.usage.decodeTokensPerSecond },
      };
    case 'turn_finished':
      return event.reason === 'max_rounds'
        ? withItem(state, { kind: 'notice', level: 'warn', text: `stopped after ${event.rounds} rounds of tool calls (the round limit)` })
        : state;
    case 'turn_aborted':
      return withItem({ ...state, confirmation: null }, { kind: 'notice', level: 'warn', text: `cancelled (${event.stage})` });
    case 'turn_failed':
      return withItem({ ...state, confirmation: null }, { kind: 'notice', level: 'error', text: event.error });
    case 'round_started':
      return { ...state, writingCalls: [] };
  }
}

export function transcriptReducer(state: TranscriptState, action: TranscriptAction): TranscriptState {
  switch (action.type) {
    case 'agent':
      return reduceAgent(state, action.event, action.now);
    case 'user_submitted':
      return withItem({ ...state, liveFrom: state.items.length, busy: true, expanded: false }, { kind: 'user', text: action.text });
    case 'notice':
      return withItem(state, { kind: 'notice', level: action.level, text: action.text });
    case 'confirmation_answered': {
      const answered = { ...state, confirmation: null };
      return action.allowed ? updateTool(answered, action.callId, (t) => ({ ...t, status: 'running' })) : answered;
    }
    case 'turn_ended':
      return { ...state, busy: false, confirmation: null, writingCalls: [] };
    case 'toggle_expanded':
      return { ...state, expanded: !state.expanded };
    case 'clear':
      return { ...initialTranscript, epoch: state.epoch + 1, nextId: state.nextId };
  }
}
