// Colours and glyphs, in one place.
export const theme = {
  user: 'cyan',
  assistant: undefined as string | undefined,
  reasoning: 'gray',
  ok: 'green',
  denied: 'yellow',
  failed: 'red',
  aborted: 'magenta',
  awaiting: 'blue',
  info: 'gray',
  warn: 'yellow',
  error: 'red',
  accent: 'cyan',
} as const;

export const glyphs = {
  done: '✓',
  failed: '✗',
  denied: '⊘',
  aborted: '■',
  awaiting: '?',
  prompt: '›',
} as const;

export const spinnerFrames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
