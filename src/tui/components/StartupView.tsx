// What the REPL shows while the model loads and the MCP servers connect.
import React from 'react';
import { Box, Text } from 'ink';
import type { ServerStatus } from '../../agent/mcp/types.js';
import { theme } from '../theme.js';
import { ProgressBar } from './ProgressBar.js';
import { ServerList } from './ServerList.js';

export interface ModelLoadState {
  name: string;
  phase: 'tokenizer' | 'weights' | 'ready';
  fraction: number;
}

export function StartupView({ model, servers, error }: { model: ModelLoadState; servers: ServerStatus[]; error: string | null }): React.ReactElement {
  return (
    <Box flexDirection="column">
      {model.phase === 'ready' ? (
        <Text>
          <Text color={theme.ok}>✓</Text> model {model.name} loaded
        </Text>
      ) : (
        <ProgressBar label={`loading ${model.name} (${model.phase})`} fraction={model.fraction} />
      )}
      {servers.length > 0 ? <ServerList servers={servers} /> : null}
      {error ? <Text color={theme.error}>error: {error}</Text> : null}
    </Box>
  );
}
