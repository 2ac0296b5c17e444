// Read access to the session store for the REPL's /sessions and /resume.
import type { ChatMessage } from '../../engine/types.js';
import type { SessionStore, SessionSummary } from './store.js';

export interface SessionBrowser {
  list(limit: number): SessionSummary[];
  /** The session named by an id or a unique start of one, with its messages; throws UnknownSessionError. */
  open(query: string): { summary: SessionSummary; messages: ChatMessage[] };
}

export function sessionBrowser(store: SessionStore): SessionBrowser {
  return {
    list: (limit) => store.list(limit),
    open: (query) => {
      const summary = store.find(query);
      return { summary, messages: store.messages(summary.id) };
    },
  };
}
