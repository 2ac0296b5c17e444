// The chat REPL once everything is loaded: transcript, confirmation prompt, input and status line.
import React, { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { Box, Static, Text, useInput } from 'ink';
import type { ConfirmAnswer } from '../agent/loop/events.js';
import type { ReplBackend } from './backend.js';
import { answerForKey, ConfirmPrompt } from './components/ConfirmPrompt.js';
import { MessageList, TranscriptEntry } from './components/MessageList.js';
import { PromptInput } from './components/PromptInput.js';
import { ServerList } from './components/ServerList.js';
import { Spinner } from './components/Spinner.js';
import { StatusLine } from './components/StatusLine.js';
import { isCancel, isCtrlC, isCtrlD, isToggleExpand } from './keys.js';
import { isSlashCommand, runSlashCommand } from './slash-commands.js';
import { initialTranscript, transcriptReducer } from './state/transcript.js';
import { useAgentTurns } from './use-agent-turns.js';
import { useServerStatuses } from './use-server-statuses.js';

export function Repl({ backend, onExit }: { backend: ReplBackend; onExit: () => void }): React.ReactElement {
  const [state, dispatch] = useReducer(transcriptReducer, initialTranscript);
  const [history, setHistory] = useState<string[]>([]);
  const servers = useServerStatuses(backend);
  const startTurn = useAgentTurns(backend.session, dispatch);
  const idleCtrlC = useRef(0);

  useEffect(() => {
    for (const n of backend.notices) dispatch({ type: 'notice', level: n.level, text: n.text });
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

  useInput((input, key) => {
    const current = drawn.current;
    if (isToggleExpand(input, key)) return dispatch({ type: 'toggle_expanded' });
    if (current.confirmation && !isCtrlC(input, key)) {
      const answer = answerForKey(input, key);
      if (answer) onAnswer(answer);
      return;
    }
    if (current.busy) {
      if (!isCancel(input, key)) return;
      const level = backend.session.cancel();
      if (level === 'step') dispatch({ type: 'notice', level: 'warn', text: 'cancelling the current step (press again to cancel the turn)' });
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

  const onSubmit = useCallback(
    (text: string) => {
      setHistory((h) => (h[h.length - 1] === text ? h : [...h, text]));
      if (!isSlashCommand(text)) return startTurn(text);
      const result = runSlashCommand(text, backend);
      switch (result.kind) {
        case 'output':
          return dispatch({ type: 'notice', level: 'info', text: result.text });
        case 'error':
          return dispatch({ type: 'notice', level: 'error', text: result.text });
        case 'clear':
          backend.session.reset();
          dispatch({ type: 'clear' });
          return dispatch({ type: 'notice', level: 'info', text: 'new conversation' });
        case 'exit':
          return onExit();
      }
    },
    [backend, startTurn, onExit],
  );

  const finished = state.items.slice(0, state.liveFrom);
  const live = state.items.slice(state.liveFrom);
  return (
    <Box flexDirection="column">
      <Static key={state.epoch} items={finished}>
        {(item) => <TranscriptEntry key={item.id} item={item} expanded={false} />}
      </Static>
      <MessageList items={live} expanded={state.expanded} />
      {state.writingCalls.map((name, i) => (
        <Text key={i} color="gray">
          {' '}
          <Spinner /> writing a call to {name}…
        </Text>
      ))}
      {servers.some((s) => s.state === 'connecting') ? <ServerList servers={servers} /> : null}
      {state.confirmation ? <ConfirmPrompt request={state.confirmation.request} onAnswer={onAnswer} captureKeys={false} /> : null}
      <Box marginTop={1}>
        <PromptInput
          history={history}
          onSubmit={onSubmit}
          mode={state.confirmation ? 'off' : state.busy ? 'busy' : 'ready'}
          placeholder={state.busy ? 'working… (esc to cancel)' : 'ask something, or /help'}
        />
      </Box>
      <StatusLine model={backend.modelName} servers={servers} usage={state.usage} busy={state.busy} />
    </Box>
  );
}
