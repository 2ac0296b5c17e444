// The chat REPL once everything is loaded: transcript, confirmation prompt, input and status line.
import React, { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { Box, Static, Text, useInput, useStdout } from 'ink';
import type { ConfirmAnswer } from '../agent/loop/events.js';
import type { ReplBackend } from './backend.js';
import { answerForKey, CONFIRM_PROMPT_ROWS, ConfirmPrompt, isSaveKey } from './components/ConfirmPrompt.js';
import { resumePicked, resumeSession, switchApprovalMode } from './session-actions.js';
import { pickerRows, SessionPicker } from './components/SessionPicker.js';
import type { SessionSummary } from '../agent/sessions/store.js';
import { HostRequestPrompt, hostRequestRows } from './components/HostRequestPrompt.js';
import { LiveEntry, liveEntryRows, TranscriptEntry } from './components/MessageList.js';
import { INPUT_ROWS, PromptInput } from './components/PromptInput.js';
import { ServerList } from './components/ServerList.js';
import { Spinner } from './components/Spinner.js';
import { StatusLine } from './components/StatusLine.js';
import { isCancel, isCtrlC, isCtrlD, isToggleExpand } from './keys.js';
import { isSlashCommand, runSlashCommand, runsWhileBusy } from './slash-commands.js';
import { initialTranscript, transcriptReducer, type TranscriptState } from './state/transcript.js';
import { fitRow } from './terminal-text.js';
import { useAgentTurns } from './use-agent-turns.js';
import { useMcpInput } from './use-mcp-input.js';
import { useHostRequest } from './use-host-request.js';
import type { KeyHandler } from './key-route.js';
import { useServerStatuses } from './use-server-statuses.js';
import { usableColumns, useTerminalSize } from './use-terminal-size.js';

/** Clears the screen and the scrollback (what `clear` does), for /clear. */
const CLEAR_SCREEN = '\u001b[2J\u001b[3J\u001b[H';

/**
 * Rows the streamed text may take in the live area: the terminal's rows minus everything else drawn below the
 * printed transcript, so that the live area never reaches the terminal's height (when it does, Ink clears the
 * screen and reprints the whole transcript on every frame, leaving copies in the scrollback).
 */
function streamedTextRows(state: TranscriptState, terminalRows: number, otherRows: number): number {
  const live = state.items.slice(state.liveFrom);
  const fixed = live.reduce((n, item) => n + liveEntryRows(item), 0);
  // The status line, the margin above the input, Ink's line after the last row, and one row to spare.
  return Math.max(1, terminalRows - fixed - otherRows - INPUT_ROWS - 4);
}

/** The number of tools reached through search_tools when their schemas are deferred (undefined when not). */
function deferredToolCount(backend: ReplBackend): number | undefined {
  const exposure = backend.session.toolExposure();
  return exposure.mode === 'deferred' ? exposure.toolCount : undefined;
}

export function Repl({ backend, onExit }: { backend: ReplBackend; onExit: () => void }): React.ReactElement {
  const [state, dispatch] = useReducer(transcriptReducer, initialTranscript);
  const [history, setHistory] = useState<string[]>([]);
  const servers = useServerStatuses(backend);
  const size = useTerminalSize();
  const width = usableColumns(size);
  const { write } = useStdout();
  const startTurn = useAgentTurns(backend.session, dispatch);
  const mcpInput = useMcpInput(backend, dispatch, startTurn);
  const idleCtrlC = useRef(0);
  // --resume without an id: the picker takes the keys until a conversation (or a new one) is chosen.
  const [picking, setPicking] = useState<SessionSummary[] | null>(backend.resumeChoices?.length ? backend.resumeChoices : null);
  const pickerShown = useRef(picking !== null);
  pickerShown.current = picking !== null;
  const onPick = useCallback(
    (choice: SessionSummary | null) => {
      setPicking(null);
      resumePicked(backend, dispatch, choice);
    },
    [backend],
  );
  // A server's form, URL or sampling request takes the keys while it is shown (Ctrl-C still cancels the turn).
  const hostRequest = useHostRequest(backend.hostRequests);
  const hostRequestShown = useRef(hostRequest);
  hostRequestShown.current = hostRequest;
  const hostKeys = useRef<KeyHandler | null>(null);
  const onHostNotice = useCallback((level: 'info' | 'warn', text: string) => dispatch({ type: 'notice', level, text }), []);

  useEffect(() => {
    for (const n of backend.notices) dispatch({ type: 'notice', level: n.level, text: n.text });
    // A resumed conversation (--resume, --continue) is shown as it was.
    if (backend.session.messages.some((m) => m.role === 'user')) dispatch({ type: 'replayed', messages: backend.session.messages.slice(), now: Date.now() });
    return backend.onNotice((n) => dispatch({ type: 'notice', level: n.level, text: n.text }));
  }, [backend]);

  // Key handlers read the state last drawn through a ref: a handler registered in an effect would miss keys
  // pressed between a frame (say, a new confirmation prompt) and that effect.
  const drawn = useRef(state);
  drawn.current = state;

  const onAnswer = useCallback((answer: ConfirmAnswer) => {
    const pending = drawn.current.confirmation;
    if (!pending) return;
    dispatch({ type: 'confirmation_answered', callId: pending.request.callId, allowed: answer !== 'deny' });
    pending.respond(answer);
  }, []);

  // `s` at a confirmation: "always", and kept in the MCP config for later chats.
  const onSaveAlways = useCallback(() => {
    const pending = drawn.current.confirmation;
    if (!pending || !backend.saveAlways) return;
    try {
      backend.saveAlways(pending.request.server, pending.request.tool);
      dispatch({ type: 'notice', level: 'info', text: `saved: toolPolicies.${pending.request.tool} = allow for server ${pending.request.server}` });
    } catch (err) {
      dispatch({ type: 'notice', level: 'error', text: (err as Error).message });
    }
    onAnswer('always');
  }, [backend, onAnswer]);

  // Esc at a confirmation: the call is denied and the turn stops (the user wants to say something else).
  const onDenyAndStop = useCallback(() => {
    onAnswer('deny');
    backend.session.cancelTurn();
    dispatch({ type: 'cancelling', level: 'turn' });
  }, [backend, onAnswer]);

  useInput((input, key) => {
    const current = drawn.current;
    if (pickerShown.current && !isCtrlC(input, key)) return;
    if (hostRequestShown.current && !isCtrlC(input, key)) return hostKeys.current?.(input, key);
    if (isToggleExpand(input, key)) return dispatch({ type: 'toggle_expanded' });
    if (current.confirmation && !isCtrlC(input, key)) {
      if (key.escape) return onDenyAndStop();
      if (backend.saveAlways && isSaveKey(input)) return onSaveAlways();
      const answer = answerForKey(input, key);
      if (answer) onAnswer(answer);
      return;
    }
    if (current.busy) {
      if (!isCancel(input, key)) return;
      const level = backend.session.cancel();
      if (level) dispatch({ type: 'cancelling', level });
      return;
    }
    if (isCtrlC(input, key)) {
      idleCtrlC.current += 1;
      if (idleCtrlC.current >= 2) return onExit();
      return dispatch({ type: 'notice', level: 'info', text: 'press Ctrl-C again to exit' });
    }
    idleCtrlC.current = 0;
    if (isCtrlD(input, key)) onExit();
  });

  const runCompaction = useCallback(() => {
    dispatch({ type: 'task_started' });
    dispatch({ type: 'notice', level: 'info', text: 'compacting: the model is summarising the earlier turns…' });
    backend.session
      .compact()
      .then((r) => {
        dispatch({ type: 'context_changed', contextTokens: r.tokensAfter });
        dispatch({
          type: 'notice',
          level: 'info',
          text: `compacted: ${r.replaced} messages replaced by a summary (${r.tokensBefore} → ${r.tokensAfter} tokens of conversation)`,
        });
      })
      .catch((err: Error) =>
        dispatch({ type: 'notice', level: err.name === 'AbortError' ? 'warn' : 'error', text: err.name === 'AbortError' ? 'compaction cancelled; the conversation is unchanged' : err.message }),
      )
      .finally(() => dispatch({ type: 'turn_ended' }));
  }, [backend]);

  const onSubmit = useCallback(
    (text: string) => {
      setHistory((h) => (h[h.length - 1] === text ? h : [...h, text]));
      if (mcpInput.wants(text)) return mcpInput.submit(text);
      if (!isSlashCommand(text)) return startTurn(text);
      const result = runSlashCommand(text, backend);
      switch (result.kind) {
        case 'output':
          return dispatch({ type: 'notice', level: 'info', text: result.text });
        case 'error':
          return dispatch({ type: 'notice', level: 'error', text: result.text });
        case 'clear':
          backend.session.reset();
          write(CLEAR_SCREEN);
          dispatch({ type: 'clear' });
          return dispatch({ type: 'notice', level: 'info', text: 'new conversation' });
        case 'compact':
          return runCompaction();
        case 'pending':
          dispatch({ type: 'notice', level: 'info', text: result.text });
          void result.done.then((r) => dispatch({ type: 'notice', level: r.ok ? 'info' : 'error', text: r.text }));
          return;
        case 'exit':
          return onExit();
        case 'resume':
          return resumeSession(backend, dispatch, result);
        case 'approval_mode':
          return switchApprovalMode(backend, dispatch, result.mode);
      }
    },
    [backend, startTurn, onExit, write, runCompaction, mcpInput],
  );

  const finished = state.items.slice(0, state.liveFrom);
  const live = state.items.slice(state.liveFrom);
  const connecting = servers.some((s) => s.state === 'connecting');
  const otherRows =
    state.writingCalls.length + (state.cancelling ? 1 : 0) + (connecting ? servers.length : 0) + (state.confirmation ? CONFIRM_PROMPT_ROWS : 0) +
    (hostRequest ? hostRequestRows(hostRequest) : 0) + (picking ? pickerRows(picking) : 0);
  const textRows = streamedTextRows(state, size.rows, otherRows);
  return (
    <Box flexDirection="column">
      <Static key={state.epoch} items={finished}>
        {(item) => <TranscriptEntry key={item.id} item={item} expanded={false} width={width} />}
      </Static>
      {live.map((item) => (
        <LiveEntry key={item.id} item={item} width={width} textRows={textRows} />
      ))}
      {state.writingCalls.map((name, i) => (
        <Text key={i} color="gray">
          {' '}
          <Spinner /> {fitRow(`writing a call to ${name}…`, width - 3)}
        </Text>
      ))}
      {state.cancelling ? (
        <Text color="yellow">
          {state.cancelling === 'step' ? 'cancelling the current step (press again to cancel the turn)…' : 'cancelling the turn…'}
        </Text>
      ) : null}
      {connecting ? <ServerList servers={servers} /> : null}
      {state.confirmation ? <ConfirmPrompt request={state.confirmation.request} onAnswer={onAnswer} captureKeys={false} width={width} canSave={backend.saveAlways !== undefined} /> : null}
      {hostRequest ? <HostRequestPrompt request={hostRequest} onNotice={onHostNotice} width={width} keys={hostKeys} /> : null}
      {picking ? <SessionPicker choices={picking} onPick={onPick} width={width} /> : null}
      <Box marginTop={1}>
        <PromptInput
          history={history}
          onSubmit={onSubmit}
          mode={state.confirmation || hostRequest || picking ? 'off' : state.busy ? 'busy' : 'ready'}
          placeholder={state.busy ? 'working… (esc to cancel)' : 'ask something, or /help'}
          width={width}
          complete={mcpInput.complete}
          submitWhileBusy={runsWhileBusy}
        />
      </Box>
      <StatusLine model={backend.modelName} servers={servers} usage={state.usage} busy={state.busy} deferredTools={deferredToolCount(backend)} approvalMode={backend.session.approvalMode} />
    </Box>
  );
}
