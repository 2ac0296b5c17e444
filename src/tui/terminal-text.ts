// Text as a terminal will show it. Ink measures text with string-width; the terminal (tmux, xterm, ...) uses
// its own wcwidth table, and the two disagree on emoji, characters newer than the terminal's Unicode tables,
// format characters and controls. When a line the terminal finds wider than Ink does wraps on screen, Ink's
// "erase the last N lines" misses rows and every later frame leaves a copy behind in the scrollback. So the
// REPL wraps every text itself, counting each character at the larger of the two widths: a line that fits by
// that count fits for Ink and for the terminal, and neither ever wraps it again.
import stringWidth from 'string-width';

const TAB_STOP = 8;

// Controls other than the line break, DEL, C1 controls, and the characters meant to be invisible (format
// characters such as zero-width joiners, bidi marks, soft hyphen and BOM; variation selectors; Hangul fillers),
// which terminals count differently: tmux gives U+3164 two columns and the soft hyphen one, Ink none.
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;
// An escape sequence as a whole (its introducer is dropped above, its parameters must not be left as text).
// eslint-disable-next-line no-control-regex
const ESCAPE_SEQUENCE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-Z\\-_])/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const PICTOGRAPHIC = /[\p{Extended_Pictographic}\p{Emoji_Presentation}\p{Regional_Indicator}]/u;
const COMBINING = /[\p{Mn}\p{Me}]/u;

/** Removes what a terminal would not show as text (escape sequences, controls, invisible format characters). */
export function sanitizeForTerminal(text: string): string {
  return text
    .replace(/\r\n?|[\u2028\u2029]/g, '\n')
    .replace(ESCAPE_SEQUENCE, '')
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(INVISIBLE, (c) => (c === '\t' ? c : ''));
}

/**
 * Columns one character (code point) may take: the larger of Ink's measure and the terminal's. Emoji count 2
 * (terminals with older tables say 1, Ink says 2, or the other way round); combining marks 0.
 */
export function cellWidth(ch: string): number {
  const code = ch.codePointAt(0)!;
  if (code >= 0x20 && code < 0x7f) return 1;
  if (COMBINING.test(ch)) return 0;
  if (PICTOGRAPHIC.test(ch)) return 2;
  return Math.max(1, Math.min(2, stringWidth(ch)));
}

/** Columns a sanitized single-line text takes (tabs not expanded). */
export function textWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += cellWidth(ch);
  return width;
}

/**
 * Splits text into screen rows of at most `width` columns (measured with cellWidth): breaks at line breaks,
 * expands tabs, and cuts long lines at the last space that fits, else mid-word.
 */
export function wrapRows(text: string, width: number): string[] {
  const max = Math.max(1, width);
  const rows: string[] = [];
  for (const line of sanitizeForTerminal(text).split('\n')) {
    let row = '';
    let rowWidth = 0;
    let lastSpace = -1; // index in `row` just after the last space
    let widthAtSpace = 0;
    for (const ch of line) {
      if (ch === '\t') {
        const spaces = TAB_STOP - (rowWidth % TAB_STOP);
        if (rowWidth + spaces > max) {
          rows.push(row);
          row = '';
          rowWidth = 0;
          lastSpace = -1;
          continue;
        }
        row += ' '.repeat(spaces);
        rowWidth += spaces;
        lastSpace = row.length;
        widthAtSpace = rowWidth;
        continue;
      }
      const w = cellWidth(ch);
      if (rowWidth + w > max && row !== '') {
        if (lastSpace > 0 && lastSpace < row.length) {
          rows.push(row.slice(0, lastSpace));
          row = row.slice(lastSpace);
          rowWidth -= widthAtSpace;
        } else {
          rows.push(row);
          row = '';
          rowWidth = 0;
        }
        lastSpace = -1;
      }
      row += ch;
      rowWidth += w;
      if (ch === ' ') {
        lastSpace = row.length;
        widthAtSpace = rowWidth;
      }
    }
    rows.push(row);
  }
  return rows;
}

/** One row: the text cut to `width` columns with an ellipsis when it is longer (line breaks become spaces). */
export function fitRow(text: string, width: number): string {
  const flat = sanitizeForTerminal(text).replace(/[\n\t]/g, ' ');
  const max = Math.max(1, width);
  if (textWidth(flat) <= max) return flat;
  let out = '';
  let used = 0;
  for (const ch of flat) {
    const w = cellWidth(ch);
    if (used + w > max - 1) break;
    out += ch;
    used += w;
  }
  return `${out}…`;
}

/** The last `maxRows` rows of the wrapped text, and how many rows came before them. */
export function tailRows(text: string, width: number, maxRows: number): { rows: string[]; hidden: number } {
  const rows = wrapRows(text, width);
  const keep = Math.max(1, maxRows);
  if (rows.length <= keep) return { rows, hidden: 0 };
  return { rows: rows.slice(rows.length - keep), hidden: rows.length - keep };
}
