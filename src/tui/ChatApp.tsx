// Top of the chat UI: startup progress until the model is ready, then the REPL (MCP servers may still connect).
// When startup fails, the error is shown in place and the app exits.
import React, { useCallback, useEffect, useSyncExternalStore } from 'react';
import { Box, useApp } from 'ink';
import type { BootStore } from './boot-store.js';
import { StartupView } from './components/StartupView.js';
import { Repl } from './Repl.js';

export function ChatApp({ boot }: { boot: BootStore }): React.ReactElement {
  const snap = useSyncExternalStore(boot.subscribe, boot.snapshot);
  const { exit } = useApp();
  const onExit = useCallback(() => exit(), [exit]);
  const ready = snap.backend !== null && snap.error === null;
  // A startup failure ends the app once the error has been drawn.
  useEffect(() => {
    if (snap.error !== null) exit();
  }, [snap.error, exit]);
  return (
    <Box flexDirection="column">
      {ready ? <Repl backend={snap.backend!} onExit={onExit} /> : <StartupView model={snap.model} servers={snap.servers} error={snap.error} />}
    </Box>
  );
}
