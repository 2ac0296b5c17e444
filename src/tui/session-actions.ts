// What /resume and /approval-mode do to the running chat (the slash commands only decide what was asked).
import type { Dispatch } from 'react';
import type { ApprovalMode } from '../agent/loop/approvals.js';
import { shortId } from '../agent/sessions/format.js';
import type { ReplBackend } from './backend.js';
import type { SessionSlashResult } from './session-commands.js';
import type { SessionSummary } from '../agent/sessions/store.js';
import { YOLO_BANNER } from './session-notices.js';
import type { TranscriptAction } from './state/transcript.js';

export function resumeSession(backend: ReplBackend, dispatch: Dispatch<TranscriptAction>, r: Extract<SessionSlashResult, { kind: 'resume' }>): void {
  backend.session.resume(r.summary.id, r.messages);
  dispatch({ type: 'notice', level: 'info', text: `resumed session ${shortId(r.summary.id)} (${r.messages.length} messages): ${r.summary.title}` });
  dispatch({ type: 'replayed', messages: r.messages, now: Date.now() });
}

/** The picker's answer: the chosen conversation is resumed; none (Esc) leaves the new one. */
export function resumePicked(backend: ReplBackend, dispatch: Dispatch<TranscriptAction>, choice: SessionSummary | null): void {
  if (!choice || !backend.sessions) return dispatch({ type: 'notice', level: 'info', text: 'new conversation' });
  try {
    resumeSession(backend, dispatch, { kind: 'resume', ...backend.sessions.open(choice.id) });
  } catch (err) {
    dispatch({ type: 'notice', level: 'error', text: `resume: ${(err as Error).message}` });
  }
}

export function switchApprovalMode(backend: ReplBackend, dispatch: Dispatch<TranscriptAction>, mode: ApprovalMode): void {
  backend.session.approvalMode = mode;
  if (mode === 'yolo') dispatch({ type: 'notice', level: 'warn', text: YOLO_BANNER });
  else dispatch({ type: 'notice', level: 'info', text: `approval mode: ${mode}` });
}
