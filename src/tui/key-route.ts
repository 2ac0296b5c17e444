// Keys for a prompt that a parent routes: the parent's own input handler is subscribed before the prompt
// mounts, and the prompt installs its handler while it renders, so no key pressed right after the prompt is
// drawn is lost (an input hook of the prompt itself would subscribe only after the frame, in an effect).
import { useInput, type Key } from 'ink';

export type KeyHandler = (input: string, key: Key) => void;
export interface KeyRoute {
  current: KeyHandler | null;
}

/** Routes keys to `handler` through `route` when a parent gives one, else listens itself. */
export function useRoutedInput(route: KeyRoute | undefined, handler: KeyHandler): void {
  if (route) route.current = handler;
  useInput(handler, { isActive: route === undefined });
}
