// One line at the bottom: model, MCP servers, context use and the last decode speed.
import React from 'react';
import { Box, Text } from 'ink';
import { loginSummary } from '../../agent/mcp/login-state.js';
import type { ServerStatus } from '../../agent/mcp/types.js';
import type { UsageInfo } from '../state/transcript.js';
import { formatCount } from '../format.js';
import { theme } from '../theme.js';

/** From this share of the context window on, the status line says so (and how to free it). */
const FULL_PERCENT = 80;

function contextPercent(usage: UsageInfo): number {
  return usage.maxContext > 0 ? Math.round((usage.contextTokens / usage.maxContext) * 100) : 0;
}

function contextColor(usage: UsageInfo): string | undefined {
  const percent = contextPercent(usage);
  return percent >= FULL_PERCENT ? theme.warn : undefined;
}

export function StatusLine({
  model,
  servers,
  usage,
  busy,
  deferredTools,
  approvalMode = 'default',
}: {
  /** Shown when it is not 'default' (yolo in the warning colour). */
  approvalMode?: string;
  model: string;
  /** Set when the tool schemas are deferred: how many tools the model reaches through search_tools. */
  deferredTools?: number;
  servers: ServerStatus[];
  usage: UsageInfo | null;
  busy: boolean;
}): React.ReactElement {
  const connected = servers.filter((s) => s.state === 'connected').length;
  // A server waiting for a login is counted once, as such (it has not failed in a way a restart fixes).
  const failed = servers.filter((s) => (s.state === 'failed' && !s.needsLogin) || s.state === 'rejected').length;
  const connecting = servers.filter((s) => s.state === 'connecting').length;
  const login = loginSummary(servers);
  return (
    <Box>
      <Text color="gray">
        <Text color={theme.accent}>{model}</Text>
        {approvalMode !== 'default' ? <Text color={approvalMode === 'yolo' ? theme.warn : undefined}>{` │ ${approvalMode}`}</Text> : null}
        {' │ mcp '}
        <Text color={connected > 0 ? theme.ok : 'gray'}>{connected} connected</Text>
        {failed > 0 ? <Text color={theme.failed}>{`, ${failed} failed`}</Text> : null}
        {connecting > 0 ? `, ${connecting} connecting` : ''}
        {login ? <Text color={theme.warn}>{`, ${login}`}</Text> : null}
        {deferredTools !== undefined ? <Text color={theme.warn}>{` │ ${deferredTools} tools via search_tools`}</Text> : null}
        {' │ ctx '}
        {usage ? (
          <Text color={contextColor(usage)}>
            {`${formatCount(usage.contextTokens)}/${formatCount(usage.maxContext)} (${contextPercent(usage)}%${contextPercent(usage) >= FULL_PERCENT ? ', /compact frees it' : ''})`}
          </Text>
        ) : (
          '-'
        )}
        {' │ '}
        {usage ? `${usage.decodeTokensPerSecond.toFixed(1)} tok/s` : '- tok/s'}
        {busy ? ' │ esc to cancel' : ''}
      </Text>
    </Box>
  );
}
