// What the REPL needs from the running system: the chat session plus read-only views of the model, the MCP
// servers and the audit log. The chat command builds it from the real pieces; tests build it from real or fake ones.
import type { ChatSession } from '../agent/loop/chat-session.js';
import type { McpTool, ServerStatus } from '../agent/mcp/types.js';
import type { ModelInfo } from '../engine/types.js';
import type { SessionBrowser } from '../agent/sessions/browser.js';
import type { SessionSummary } from '../agent/sessions/store.js';
import type { InputContext } from '../agent/input/types.js';
import type { McpPanelSource } from './mcp-command.js';
import type { HostRequestQueue } from './state/host-requests.js';

export interface ReplBackend {
  session: ChatSession;
  modelName: string;
  modelInfo: ModelInfo;
  statuses(): ServerStatus[];
  tools(): McpTool[];
  /** Subscribes to server and tool-list changes; returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
  /** The most recent audit entries, one readable line each (newest first). */
  recentAudit(limit: number): string[];
  /** Shown once when the REPL opens (model loaded, servers, warnings). */
  notices: ReplNotice[];
  /** MCP prompt commands, @ mentions and their completion (absent: typed text is sent as it is). */
  input?: InputContext;
  /** /mcp (absent: no MCP manager). */
  mcp?: McpPanelSource;
  /** Later warnings (a server crashed, the audit log failed, ...); returns an unsubscribe function. */
  onNotice(listener: (notice: ReplNotice) => void): () => void;
  /** The saved conversations (/sessions, /resume); absent when nothing is saved. */
  sessions?: SessionBrowser;
  /** `--resume` without an id: the recent conversations the REPL opens with a picker of (absent: no picker). */
  resumeChoices?: SessionSummary[];
  /** Saves an "always" answer as an allow policy in the MCP config; absent when the chat has no config file. */
  saveAlways?(server: string, tool: string): void;
  /** Forms, URLs and sampling approvals MCP servers ask for (absent: the chat has no host requests to show). */
  hostRequests?: HostRequestQueue;
}

export interface ReplNotice {
  level: 'info' | 'warn' | 'error';
  text: string;
}
