// What the REPL says when it opens about the conversation and the approval mode.
import type { ChatSession } from '../agent/loop/chat-session.js';
import { sessionLine, shortId } from '../agent/sessions/format.js';
import type { SessionSummary } from '../agent/sessions/store.js';
import type { ReplNotice } from './backend.js';

export const YOLO_BANNER = 'approval mode yolo: every tool call the sandbox allows runs without asking (the policy can still deny)';

/** The recent sessions, for --resume without an id and /resume without one. */
export function sessionChoices(choices: readonly SessionSummary[]): string {
  if (choices.length === 0) return 'no saved sessions yet';
  return ['recent sessions (/resume ID continues one):', ...choices.map(sessionLine)].join('\n');
}

export function startNotices(session: ChatSession, opened: { resumed: { id: string } | null; choices: SessionSummary[] | null }): ReplNotice[] {
  const notices: ReplNotice[] = [];
  if (session.approvalMode === 'yolo') notices.push({ level: 'warn', text: YOLO_BANNER });
  else if (session.approvalMode !== 'default') notices.push({ level: 'info', text: `approval mode ${session.approvalMode} (/approval-mode to change)` });
  if (opened.resumed) {
    notices.push({ level: 'info', text: `resumed session ${shortId(opened.resumed.id)} (${session.messages.length} messages)` });
  }
  // With saved sessions, --resume opens a picker instead (ReplBackend.resumeChoices).
  if (opened.choices && opened.choices.length === 0) notices.push({ level: 'info', text: sessionChoices(opened.choices) });
  return notices;
}
