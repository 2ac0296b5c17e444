// Runs a turn for each submitted prompt and feeds its events into the transcript reducer. Nothing else.
import { useCallback, type Dispatch } from 'react';
import type { ChatSession } from '../agent/loop/chat-session.js';
import type { TranscriptAction } from './state/transcript.js';

/** Starts a turn with `text`; the transcript shows `shown` (what the user typed, when attachments were added). */
export function useAgentTurns(session: ChatSession, dispatch: Dispatch<TranscriptAction>): (text: string, shown?: string) => void {
  return useCallback(
    (text: string, shown: string = text) => {
      dispatch({ type: 'user_submitted', text: shown });
      void (async () => {
        try {
          for await (const event of session.send(text)) dispatch({ type: 'agent', event, now: Date.now() });
        } catch (err) {
          dispatch({ type: 'notice', level: 'error', text: (err as Error).message });
        } finally {
          dispatch({ type: 'turn_ended' });
        }
      })();
    },
    [session, dispatch],
  );
}
