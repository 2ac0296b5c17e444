import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  browseHistory,
  deleteBackward,
  emptyEditor,
  insertText,
  moveCursor,
  moveToLineEdge,
  pressEnter,
} from '../../src/tui/state/line-editor.js';

test('insert, delete and cursor moves', () => {
  let s = insertText(emptyEditor, 'helo');
  s = moveCursor(s, -1);
  s = insertText(s, 'l');
  assert.deepEqual([s.value, s.cursor], ['hello', 4]);
  s = deleteBackward(moveCursor(s, 10));
  assert.deepEqual([s.value, s.cursor], ['hell', 4]);
  assert.equal(deleteBackward(moveCursor(s, -10)).value, 'hell');
  const pasted = insertText(emptyEditor, 'a\r\nb\rc');
  assert.equal(pasted.value, 'a\nb\nc');
  assert.equal(moveToLineEdge({ ...pasted, cursor: 3 }, 'start').cursor, 2);
  assert.equal(moveToLineEdge({ ...pasted, cursor: 2 }, 'end').cursor, 3);
});

test('history: up walks back, down returns to the draft', () => {
  const history = ['first', 'second'];
  let s = insertText(emptyEditor, 'draft');
  s = browseHistory(s, history, -1);
  assert.equal(s.value, 'second');
  s = browseHistory(s, history, -1);
  assert.equal(s.value, 'first');
  assert.equal(browseHistory(s, history, -1).value, 'first', 'stops at the oldest');
  s = browseHistory(browseHistory(s, history, 1), history, 1);
  assert.deepEqual([s.value, s.historyIndex], ['draft', -1]);
});

test('Enter submits; a trailing backslash or a newline key continues the input', () => {
  const typed = insertText(emptyEditor, 'one\\');
  const cont = pressEnter(typed, false);
  assert.equal(cont.submit, null);
  assert.equal(cont.state.value, 'one\n');
  const alt = pressEnter(insertText(cont.state, 'two'), true);
  assert.equal(alt.state.value, 'one\ntwo\n');
  const sent = pressEnter(insertText(alt.state, 'three'), false);
  assert.equal(sent.submit, 'one\ntwo\nthree');
  assert.deepEqual(sent.state, emptyEditor);
});
