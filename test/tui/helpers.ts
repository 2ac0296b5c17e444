// Helpers for ink-testing-library: plain-text frames and waiting on a frame condition with a deadline.
import type { render } from 'ink-testing-library';

export type Rendered = ReturnType<typeof render>;

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

export function plain(frame: string | undefined): string {
  return (frame ?? '').replace(ANSI, '');
}

/** Lets React commit and Ink's input effects subscribe (needed between stdin writes). */
export async function flush(times = 3): Promise<void> {
  for (let i = 0; i < times; i++) await new Promise<void>((r) => setTimeout(r, 0));
}

/** Polls the last frame until `check` accepts it, or fails after the deadline with the frame in the message. */
export async function waitForFrame(r: Rendered, check: (text: string) => boolean, what: string, deadlineMs = 5000): Promise<string> {
  const start = Date.now();
  for (;;) {
    const text = plain(r.lastFrame());
    if (check(text)) return text;
    if (Date.now() - start > deadlineMs) throw new Error(`timed out waiting for ${what}; last frame:\n${text}`);
    await new Promise<void>((res) => setTimeout(res, 5));
  }
}

export const keys = {
  enter: '\r',
  escape: '\u001b',
  up: '\u001b[A',
  down: '\u001b[B',
  ctrlC: '\u0003',
  ctrlO: '\u000f',
  altEnter: '\u001b\r',
  backspace: '\u007f',
};
