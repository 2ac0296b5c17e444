// Mounts the chat UI on the terminal. Ink owns the screen until the user exits; Ctrl-C is handled by the app.
import React from 'react';
import { render, type Instance } from 'ink';
import type { BootStore } from './boot-store.js';
import { ChatApp } from './ChatApp.js';

export function renderChatUi(boot: BootStore): Instance {
  return render(<ChatApp boot={boot} />, { exitOnCtrlC: false, patchConsole: false });
}
