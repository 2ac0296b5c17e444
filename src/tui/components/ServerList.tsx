// MCP servers and their connection state (startup progress and /servers).
import React from 'react';
import { Box, Text } from 'ink';
import { loginCommand } from '../../agent/mcp/login-state.js';
import type { ServerStatus } from '../../agent/mcp/types.js';
import { glyphs, theme } from '../theme.js';
import { Spinner } from './Spinner.js';

export function ServerLine({ server }: { server: ServerStatus }): React.ReactElement {
  switch (server.state) {
    case 'connecting':
      return (
        <Text>
          <Spinner color={theme.accent} /> {server.name} <Text color="gray">connecting ({server.transport})</Text>
        </Text>
      );
    case 'connected':
      return (
        <Text>
          <Text color={theme.ok}>{glyphs.done}</Text> {server.name}{' '}
          <Text color="gray">
            connected, {server.toolCount} tool{server.toolCount === 1 ? '' : 's'}
            {server.serverInfo ? ` (${server.serverInfo.name} ${server.serverInfo.version})` : ''}
          </Text>
        </Text>
      );
    case 'failed':
      if (server.needsLogin) {
        return (
          <Text>
            <Text color={theme.warn}>{glyphs.awaiting}</Text> {server.name} <Text color={theme.warn}>needs a login: run {loginCommand(server.name)}</Text>
          </Text>
        );
      }
      return (
        <Text>
          <Text color={theme.failed}>{glyphs.failed}</Text> {server.name} <Text color={theme.failed}>failed: {server.error ?? 'unknown error'}</Text>
        </Text>
      );
    case 'rejected':
      return (
        <Text>
          <Text color={theme.denied}>{glyphs.denied}</Text> {server.name} <Text color={theme.denied}>rejected: {server.error ?? 'rejected'}</Text>
        </Text>
      );
    case 'disabled':
      return (
        <Text color="gray">
          - {server.name} disabled
        </Text>
      );
  }
}

export function ServerList({ servers }: { servers: ServerStatus[] }): React.ReactElement {
  if (servers.length === 0) return <Text color="gray">no MCP servers configured</Text>;
  return (
    <Box flexDirection="column">
      {servers.map((s) => (
        <ServerLine key={s.name} server={s} />
      ))}
    </Box>
  );
}
