// The slash commands about the conversation and the approval mode: /sessions, /resume [ID], /approval-mode [MODE].
import { APPROVAL_MODES, isApprovalMode, type ApprovalMode } from '../agent/loop/approvals.js';
import type { ChatMessage } from '../engine/types.js';
import type { SessionSummary } from '../agent/sessions/store.js';
import type { ReplBackend } from './backend.js';
import { sessionChoices } from './session-notices.js';

export type SessionSlashResult =
  | { kind: 'output'; text: string }
  | { kind: 'error'; text: string }
  | { kind: 'resume'; summary: SessionSummary; messages: ChatMessage[] }
  | { kind: 'approval_mode'; mode: ApprovalMode };

export const SESSION_COMMANDS: Array<{ name: string; usage: string; help: string }> = [
  { name: 'sessions', usage: '/sessions', help: 'the saved conversations, most recent first' },
  { name: 'resume', usage: '/resume [ID]', help: 'continue a saved conversation (without an id: list them)' },
  { name: 'approval-mode', usage: '/approval-mode [MODE]', help: `which calls run without asking: ${APPROVAL_MODES.join(', ')}` },
];

export function runSessionCommand(name: string, args: string[], backend: ReplBackend): SessionSlashResult | null {
  switch (name) {
    case 'sessions':
      if (!backend.sessions) return { kind: 'error', text: 'conversations are not saved in this chat' };
      return { kind: 'output', text: sessionChoices(backend.sessions.list(20)) };
    case 'resume': {
      if (!backend.sessions) return { kind: 'error', text: 'conversations are not saved in this chat' };
      if (args[0] === undefined) return { kind: 'output', text: sessionChoices(backend.sessions.list(10)) };
      try {
        return { kind: 'resume', ...backend.sessions.open(args[0]) };
      } catch (err) {
        return { kind: 'error', text: `/resume: ${(err as Error).message}` };
      }
    }
    case 'approval-mode': {
      const current = backend.session.approvalMode;
      if (args[0] === undefined) return { kind: 'output', text: `approval mode: ${current} (one of ${APPROVAL_MODES.join(', ')})` };
      const mode = args[0].toLowerCase();
      if (!isApprovalMode(mode)) return { kind: 'error', text: `/approval-mode: '${args[0]}' is not one of ${APPROVAL_MODES.join(', ')}` };
      return { kind: 'approval_mode', mode };
    }
    default:
      return null;
  }
}
