// Top of the chat UI: startup progress until the model is ready, then the REPL (MCP servers may still connect).
import React, { useCallback, useSyncExternalStore } from 'react';
import { Box, useApp } from 'ink';
import type { BootStore } from './boot-store.js';
import { StartupView } from './components/StartupView.js';
import { Repl } from './Repl.js';

export function ChatApp({ boot }: { boot: BootStore }): React.ReactElement {
  const snap = useSyncExternalStore(boot.subscribe, boot.snapshot);
  const { exit } = useApp();
  const onExit = useCallback(() => exit(), [exit]);
  const ready = snap.backend !== null && snap.error === null;
  return (
    <Box flexDirection="column">
      {ready ? <Repl backend={snap.backend!} onExit={onExit} /> : <StartupView model={snap.model} servers={snap.servers} error={snap.error} />}
    </Box>
  );
}
