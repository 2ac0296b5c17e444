// The REPL's key bindings, in one place.
import type { Key } from 'ink';

export const isCtrlC = (input: string, key: Key): boolean => key.ctrl && input === 'c';
export const isCtrlD = (input: string, key: Key): boolean => key.ctrl && input === 'd';
/** Cancels the current step (during a turn). */
export const isCancel = (input: string, key: Key): boolean => key.escape || isCtrlC(input, key);
/** Expands or collapses tool results and reasoning. */
export const isToggleExpand = (input: string, key: Key): boolean => key.ctrl && input === 'o';
