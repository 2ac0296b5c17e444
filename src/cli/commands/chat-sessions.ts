// The chat command's side of the session store: which conversation a chat continues (--resume, --continue)
// and the recorder that saves it as it goes.
import { cwd } from 'node:process';
import type { ChatMessage } from '../../engine/types.js';
import { StoreRecorder } from '../../agent/sessions/recorder.js';
import { SessionStore, type SessionSummary } from '../../agent/sessions/store.js';
import { UserError } from '../errors.js';

export interface ResumeFlags {
  /** --resume ID, or true for --resume without an id. */
  resume?: string | boolean;
  continue?: boolean;
}

export interface ChatConversation {
  store: SessionStore;
  recorder: StoreRecorder;
  /** The stored conversation to continue, if any. */
  resumed: { id: string; messages: ChatMessage[] } | null;
  /** --resume without an id: the recent sessions to choose from (the REPL shows them). */
  choices: SessionSummary[] | null;
  /** Where a failed save is reported (stderr until the REPL replaces it with its notices). */
  onWarning: (message: string) => void;
}

export function checkResumeFlags(flags: ResumeFlags, interactive: boolean): void {
  if (flags.resume !== undefined && flags.continue) throw new UserError('chat: give either --resume or --continue, not both');
  if (flags.resume === true && !interactive) {
    throw new UserError('chat: --resume needs a session id with --print (vmlx sessions list shows them), or use --continue');
  }
}

/** Opens the store and finds the conversation to continue; `newId` names a new one. */
export function openChatConversation(flags: ResumeFlags, modelName: string, newId: string): ChatConversation {
  const store = SessionStore.open();
  try {
    let resumed: ChatConversation['resumed'] = null;
    let choices: SessionSummary[] | null = null;
    if (typeof flags.resume === 'string') {
      const found = store.find(flags.resume);
      resumed = { id: found.id, messages: store.messages(found.id) };
    } else if (flags.resume === true) {
      choices = store.list(10);
    } else if (flags.continue) {
      const latest = store.latest();
      if (!latest) throw new UserError('chat: --continue: there is no saved session yet');
      resumed = { id: latest.id, messages: store.messages(latest.id) };
    }
    const opened: ChatConversation = {
      store,
      resumed,
      choices,
      onWarning: (m) => process.stderr.write(`vmlx: warning: ${m}\n`),
      recorder: new StoreRecorder(store, { model: modelName, cwd: cwd() }, newId, (m) => opened.onWarning(m)),
    };
    return opened;
  } catch (err) {
    store.close();
    throw err;
  }
}
