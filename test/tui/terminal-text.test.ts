import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellWidth, fitRow, sanitizeForTerminal, tailRows, textWidth, wrapRows } from '../../src/tui/terminal-text.js';

test('sanitizeForTerminal drops escape sequences, controls and invisible characters, keeps line breaks and tabs', () => {
  assert.equal(sanitizeForTerminal('a\u001b[2Jb\u001b]0;title\u0007c'), 'abc');
  assert.equal(sanitizeForTerminal('x\u0008y\u0000z\r\nw'), 'xyz\nw');
  assert.equal(sanitizeForTerminal('a\u200db\ufe0fc\u00add\u3164e'), 'abcde');
  assert.equal(sanitizeForTerminal('t\tab\u2028'), 't\tab\n');
  assert.equal(sanitizeForTerminal('lone \ud800 surrogate'), 'lone \ufffd surrogate');
});

test('cellWidth counts wide, emoji and combining characters', () => {
  assert.equal(cellWidth('a'), 1);
  assert.equal(cellWidth('汉'), 2);
  assert.equal(cellWidth('🔲'), 2);
  assert.equal(cellWidth('❤'), 2);
  assert.equal(cellWidth('\u0e37'), 0);
  assert.equal(textWidth('ഷ്ട'), 2);
});

test('wrapRows never makes a row wider than the width, breaks at spaces, expands tabs', () => {
  const text = '汉字汉字汉字 🔲🔲 abc defghij\tk\nsecond line';
  for (const width of [2, 3, 5, 8, 13]) {
    for (const row of wrapRows(text, width)) assert.ok(textWidth(row) <= width, `${JSON.stringify(row)} fits ${width}`);
  }
  assert.deepEqual(wrapRows('hello world foo', 11), ['hello ', 'world foo']);
  assert.deepEqual(wrapRows('汉字汉', 4), ['汉字', '汉']);
  assert.deepEqual(wrapRows('a\tb', 20), ['a       b']);
  assert.deepEqual(wrapRows('one\n\ntwo', 10), ['one', '', 'two']);
  // Nothing is lost: the rows hold every visible character in order.
  assert.equal(wrapRows('abcdefghij', 3).join(''), 'abcdefghij');
});

test('fitRow cuts to one row with an ellipsis; tailRows keeps the last rows', () => {
  assert.equal(fitRow('short', 10), 'short');
  assert.equal(fitRow('汉字汉字汉字', 7), '汉字汉…');
  assert.ok(textWidth(fitRow('汉字汉字汉字', 7)) <= 7);
  assert.equal(fitRow('two\nlines', 20), 'two lines');
  assert.deepEqual(tailRows('1\n2\n3\n4', 5, 2), { rows: ['3', '4'], hidden: 2 });
  assert.deepEqual(tailRows('1\n2', 5, 4), { rows: ['1', '2'], hidden: 0 });
});
