// One line at the bottom: model, MCP servers, context use and the last decode speed.
import React from 'react';
import { Box, Text } from 'ink';
import type { ServerStatus } from '../../agent/mcp/types.js';
import type { UsageInfo } from '../state/transcript.js';
import { formatCount } from '../format.js';
import { theme } from '../theme.js';

export function StatusLine({
  model,
  servers,
  usage,
  busy,
}: {
  model: string;
  servers: ServerStatus[];
  usage: UsageInfo | null;
  busy: boolean;
}): React.ReactElement {
  const connected = servers.filter((s) => s.state === 'connected').length;
  const failed = servers.filter((s) => s.state === 'failed' || s.state === 'rejected').length;
  const connecting = servers.filter((s) => s.state === 'connecting').length;
  return (
    <Box>
      <Text color="gray">
        <Text color={theme.accent}>{model}</Text>
        {' │ mcp '}
        <Text color={connected > 0 ? theme.ok : 'gray'}>{connected} connected</Text>
        {failed > 0 ? <Text color={theme.failed}>{`, ${failed} failed`}</Text> : null}
        {connecting > 0 ? `, ${connecting} connecting` : ''}
        {' │ ctx '}
        {usage ? `${formatCount(usage.contextTokens)}/${formatCount(usage.maxContext)}` : '-'}
        {' │ '}
        {usage ? `${usage.decodeTokensPerSecond.toFixed(1)} tok/s` : '- tok/s'}
        {busy ? ' │ esc to cancel' : ''}
      </Text>
    </Box>
  );
}
