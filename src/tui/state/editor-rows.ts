// The input line's text laid out in screen rows (wrapped with the REPL's own character widths), with the row
// that holds the cursor, and a window of at most a few rows around it: a 40,000-character paste must not make
// the live area taller than the terminal.
import { cellWidth, sanitizeForTerminal } from '../terminal-text.js';

export interface EditorRow {
  /** What to show before the cursor (or the whole row when the cursor is elsewhere). */
  before: string;
  /** The character under the cursor ('' when the cursor is not on this row; ' ' at the end of a row). */
  at: string;
  after: string;
  hasCursor: boolean;
}

export interface EditorLayout {
  rows: EditorRow[];
  hiddenAbove: number;
  hiddenBelow: number;
}

interface RawRow {
  start: number;
  /** Offsets in the value of each shown character, and what is shown. */
  cells: Array<{ offset: number; text: string }>;
  end: number;
}

function display(ch: string): string {
  if (ch === '\t') return ' ';
  return sanitizeForTerminal(ch);
}

function layoutRows(value: string, width: number): RawRow[] {
  const rows: RawRow[] = [];
  let row: RawRow = { start: 0, cells: [], end: 0 };
  let used = 0;
  let offset = 0;
  for (const ch of value) {
    if (ch === '\n') {
      row.end = offset;
      rows.push(row);
      row = { start: offset + 1, cells: [], end: offset + 1 };
      used = 0;
      offset += 1;
      continue;
    }
    const text = display(ch);
    const w = text === '' ? 0 : cellWidth(text);
    if (used + w > width && row.cells.length > 0) {
      row.end = offset;
      rows.push(row);
      row = { start: offset, cells: [], end: offset };
      used = 0;
    }
    row.cells.push({ offset, text });
    used += w;
    offset += ch.length;
  }
  row.end = offset;
  rows.push(row);
  return rows;
}

export function layoutEditor(value: string, cursor: number, width: number, maxRows: number): EditorLayout {
  const raw = layoutRows(value, Math.max(1, width));
  // The cursor's row: the last row starting at or before it (a cursor at a wrap point shows at the next row's start).
  let cursorRow = 0;
  for (let i = 0; i < raw.length; i++) if (raw[i].start <= cursor) cursorRow = i;
  const keep = Math.max(1, maxRows);
  const first = Math.min(Math.max(0, cursorRow - keep + 1), Math.max(0, raw.length - keep));
  const window = raw.slice(first, first + keep);
  const rows = window.map((r, i): EditorRow => {
    if (first + i !== cursorRow) return { before: r.cells.map((c) => c.text).join(''), at: '', after: '', hasCursor: false };
    const before = r.cells.filter((c) => c.offset < cursor).map((c) => c.text).join('');
    const atCell = r.cells.find((c) => c.offset >= cursor);
    const after = r.cells.filter((c) => c.offset > cursor).map((c) => c.text).join('');
    return { before, at: atCell && atCell.offset === cursor && atCell.text !== '' ? atCell.text : ' ', after, hasCursor: true };
  });
  return { rows, hiddenAbove: first, hiddenBelow: raw.length - first - window.length };
}
