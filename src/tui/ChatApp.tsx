// Top of the chat UI: startup progress until the model and MCP servers are ready, then the REPL.
import React, { useSyncExternalStore } from 'react';
import { Box } from 'ink';
import type { BootStore } from './boot-store.js';
import { StartupView } from './components/StartupView.js';
import { Repl } from './Repl.js';

export function ChatApp({ boot, onExit }: { boot: BootStore; onExit: () => void }): React.ReactElement {
  const snap = useSyncExternalStore(boot.subscribe, boot.snapshot);
  return (
    <Box flexDirection="column">
      {snap.backend === null || snap.error ? <StartupView model={snap.model} servers={snap.servers} error={snap.error} /> : null}
      {snap.backend && !snap.error ? <Repl backend={snap.backend} onExit={onExit} /> : null}
    </Box>
  );
}
