// The prompt's text editing as pure functions: insert, delete, cursor moves, history and multi-line rules.

export interface EditorState {
  value: string;
  cursor: number;
  /** Position in the history while browsing it (history.length = the draft being written). */
  historyIndex: number;
  /** What was being typed before browsing the history. */
  draft: string;
}

export const emptyEditor: EditorState = { value: '', cursor: 0, historyIndex: -1, draft: '' };

export function insertText(s: EditorState, text: string): EditorState {
  const clean = text.replace(/\r\n?/g, '\n');
  return { ...s, value: s.value.slice(0, s.cursor) + clean + s.value.slice(s.cursor), cursor: s.cursor + clean.length };
}

export function deleteBackward(s: EditorState): EditorState {
  if (s.cursor === 0) return s;
  return { ...s, value: s.value.slice(0, s.cursor - 1) + s.value.slice(s.cursor), cursor: s.cursor - 1 };
}

export function moveCursor(s: EditorState, delta: number): EditorState {
  return { ...s, cursor: Math.min(s.value.length, Math.max(0, s.cursor + delta)) };
}

export function moveToLineEdge(s: EditorState, edge: 'start' | 'end'): EditorState {
  if (edge === 'start') return { ...s, cursor: s.value.lastIndexOf('\n', s.cursor - 1) + 1 };
  const next = s.value.indexOf('\n', s.cursor);
  return { ...s, cursor: next === -1 ? s.value.length : next };
}

/** Up (-1) or down (+1) through earlier inputs; past the newest entry returns to the draft. */
export function browseHistory(s: EditorState, history: string[], direction: -1 | 1): EditorState {
  const current = s.historyIndex === -1 ? history.length : s.historyIndex;
  const target = current + direction;
  if (target < 0 || target > history.length) return s;
  const draft = s.historyIndex === -1 ? s.value : s.draft;
  const value = target === history.length ? draft : history[target];
  return { value, cursor: value.length, historyIndex: target === history.length ? -1 : target, draft };
}

/**
 * Enter: submits, unless it asks for a new line (Alt/Shift+Enter, or a trailing backslash which becomes the
 * line break).
 */
export function pressEnter(s: EditorState, newline: boolean): { state: EditorState; submit: string | null } {
  if (newline) return { state: insertText(s, '\n'), submit: null };
  const before = s.value.slice(0, s.cursor);
  if (before.endsWith('\\')) {
    const value = before.slice(0, -1) + '\n' + s.value.slice(s.cursor);
    return { state: { ...s, value, cursor: s.cursor }, submit: null };
  }
  return { state: emptyEditor, submit: s.value };
}
