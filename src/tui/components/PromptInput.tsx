// The input line: multi-line editing (Alt/Shift+Enter or a trailing backslash), history on the arrow keys.
// While a turn runs the line still takes typing (type-ahead) but Enter waits; while a confirmation is shown the
// keys belong to it. Staying subscribed across turns matters: a handler that (re)subscribes in an effect drops
// whatever is typed between a render and that effect.
import React, { useRef, useState } from 'react';
import { Box, Text, useInput } from 'ink';
import {
  browseHistory,
  deleteBackward,
  emptyEditor,
  insertText,
  moveCursor,
  moveToLineEdge,
  pressEnter,
  type EditorState,
} from '../state/line-editor.js';
import { layoutEditor } from '../state/editor-rows.js';
import { fitRow } from '../terminal-text.js';
import { glyphs, theme } from '../theme.js';

type Completer = (value: string, cursor: number) => { value: string; cursor: number } | null;

function completeAt(editor: EditorState, complete: Completer): EditorState {
  const done = complete(editor.value, editor.cursor);
  return done ? { ...editor, value: done.value, cursor: done.cursor } : editor;
}

/** Rows of the input shown at most (around the cursor); the rest is counted above and below. */
export const INPUT_MAX_ROWS = 6;
/** The most rows the input takes, with its "rows above/below" lines. */
export const INPUT_ROWS = INPUT_MAX_ROWS + 2;

export function PromptInput({
  history,
  onSubmit,
  mode,
  placeholder,
  width = 79,
  complete,
  submitWhileBusy,
}: {
  /** Tab: completes the word before the cursor (returns the new text and cursor, or null to leave it). */
  complete?: Completer;
  history: string[];
  onSubmit: (text: string) => void;
  /** ready: edit and submit; busy: edit, and submit only what submitWhileBusy accepts; off: ignore keys. */
  mode: 'ready' | 'busy' | 'off';
  /** While busy: whether this line may be submitted anyway (commands that act on the running turn). */
  submitWhileBusy?: (text: string) => boolean;
  placeholder?: string;
  /** Columns available (the input wraps within them). */
  width?: number;
}): React.ReactElement {
  const modeRef = useRef(mode);
  modeRef.current = mode;
  const maySubmit = (text: string): boolean => modeRef.current === 'ready' || (modeRef.current === 'busy' && (submitWhileBusy?.(text.trim()) ?? false));
  const active = mode !== 'off';
  const [editor, setEditorState] = useState<EditorState>(emptyEditor);
  // Several keys can arrive before React re-renders: edits always apply to the latest state.
  const latest = useRef(editor);
  const setEditor = (next: EditorState): void => {
    latest.current = next;
    setEditorState(next);
  };

  useInput(
    (input, key) => {
      const editor = latest.current;
      // Esc and Ctrl-C belong to the app (cancel / exit); Ctrl-O toggles expansion.
      if (key.escape || (key.ctrl && (input === 'c' || input === 'o'))) return;
      if (key.return) {
        if (!(key.meta || key.shift) && !maySubmit(editor.value)) return;
        const { state, submit } = pressEnter(editor, key.meta || key.shift);
        setEditor(state);
        if (submit !== null && submit.trim() !== '') onSubmit(submit);
        return;
      }
      if (key.backspace || key.delete) return setEditor(deleteBackward(editor));
      if (key.leftArrow) return setEditor(moveCursor(editor, -1));
      if (key.rightArrow) return setEditor(moveCursor(editor, 1));
      if (key.upArrow) return setEditor(browseHistory(editor, history, -1));
      if (key.downArrow) return setEditor(browseHistory(editor, history, 1));
      if (key.home || (key.ctrl && input === 'a')) return setEditor(moveToLineEdge(editor, 'start'));
      if (key.end || (key.ctrl && input === 'e')) return setEditor(moveToLineEdge(editor, 'end'));
      if (key.ctrl && input === 'u') return setEditor(emptyEditor);
      if (key.tab && complete) return setEditor(completeAt(editor, complete));
      // Typing and Tab pressed faster than the app reads arrive as one chunk the key parser does not name as
      // Tab: its text is inserted and each Tab completes (a multi-line paste keeps its tabs).
      if (complete && input.includes('\t') && !/[\r\n]/.test(input)) {
        let next = editor;
        for (const part of input.split(/(\t+)/)) if (part) next = part.startsWith('\t') ? completeAt(next, complete) : insertText(next, part);
        return setEditor(next);
      }
      if (key.ctrl || key.meta || key.tab || input === '') return;
      // Text and Enter can arrive in one chunk (fast typing, send-keys): a single trailing CR submits;
      // CRs inside a chunk are a pasted multi-line text and become line breaks.
      if (/^[^\r]+\r$/.test(input)) {
        const typed = insertText(editor, input.slice(0, -1));
        if (!maySubmit(typed.value)) return setEditor(typed);
        const { state, submit } = pressEnter(typed, false);
        setEditor(state);
        if (submit !== null && submit.trim() !== '') onSubmit(submit);
        return;
      }
      setEditor(insertText(editor, input));
    },
    { isActive: active },
  );

  const { value, cursor } = editor;
  const showPlaceholder = value === '' && placeholder;
  const layout = layoutEditor(value, cursor, width - 3, INPUT_MAX_ROWS);
  const glyph = (
    <Text color={active ? theme.accent : 'gray'} bold>
      {glyphs.prompt}{' '}
    </Text>
  );
  if (showPlaceholder) {
    return (
      <Box>
        {glyph}
        <Text color="gray">
          {active ? <Text inverse> </Text> : null}
          {fitRow(placeholder, width - 3)}
        </Text>
      </Box>
    );
  }
  return (
    <Box flexDirection="column">
      {layout.hiddenAbove > 0 ? <Text color="gray">{`  … ${layout.hiddenAbove} rows above (${value.length} characters)`}</Text> : null}
      {layout.rows.map((row, i) => (
        <Box key={i}>
          {i === 0 ? glyph : <Text>{'  '}</Text>}
          <Text>
            {row.before}
            {row.hasCursor ? active ? <Text inverse>{row.at}</Text> : row.at.trim() === '' ? '' : row.at : null}
            {row.after}
            {row.before === '' && !row.hasCursor ? ' ' : ''}
          </Text>
        </Box>
      ))}
      {layout.hiddenBelow > 0 ? <Text color="gray">{`  … ${layout.hiddenBelow} rows below`}</Text> : null}
    </Box>
  );
}
