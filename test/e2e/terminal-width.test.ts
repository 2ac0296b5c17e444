// How wide a real terminal (tmux) draws the characters the REPL prints, against the width the REPL wraps with.
// Ink's own measure (string-width) disagrees with tmux on several of these (U+3164, the soft hyphen, Indic
// conjuncts are wider in tmux); that disagreement made the terminal wrap rows Ink thought fit, and Ink's
// redraws left copies of the prompt in the scrollback. The REPL's measure must never be below the terminal's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import stringWidth from 'string-width';
import { sanitizeForTerminal, textWidth } from '../../src/tui/terminal-text.js';
import { ensureTmux, TmuxSession } from './tmux.js';

const SAMPLES = [
  'plain ascii', '汉字と한국어', '🔲🫠🟰', '❤', '❤️', '☺️', '👨‍👩‍👧', '🇫🇷', 'é ǔ ӈ ⲏ ℯ', 'ไหม ำ ื', 'a\u00adb', 'a\u200bb',
  '𬬿', '\u{30000}', '\u{31350}', 'ᄀ', 'ᅠ', 'ㅤ', '‼ © ☺', '︱ ㊟ 〰 〽', '\u{1FAE8}', 'ഷ്ട', 'ट्र', '\u{E000}', '\u{1F1E6}',
  '\u0378', 'x\u{E0041}y', '🀄 🃏 ⌚ ☔ ⚡ ⭐', 'tab\tstop', 'esc\u001b[31mred\u001b[0m', 'bell\u0007 back\bspace', 'cr\rreturn',
  'mixed 汉字 emoji 🔲 and ഷ്ട with ㅤ fillers',
];

test('the REPL measures every sample at least as wide as tmux draws it (and as Ink measures it)', async () => {
  ensureTmux();
  const root = mkdtempSync(join(tmpdir(), 'vmlx-width-'));
  const term = new TmuxSession(root);
  try {
    // What the REPL prints is the sanitized text, on one row (tabs are expanded by the wrapper, not here).
    const printed = SAMPLES.map((s) => sanitizeForTerminal(s).replace(/\t/g, ' ').replace(/\n/g, ' '));
    writeFileSync(join(root, 'samples.json'), JSON.stringify(printed));
    const probe = join(import.meta.dirname, 'width-probe.js');
    term.start(`'${process.execPath}' '${probe}' '${join(root, 'samples.json')}' '${join(root, 'widths.json')}'`, {});
    assert.equal(await term.waitForExit(), 0);
    const measured = JSON.parse(readFileSync(join(root, 'widths.json'), 'utf8')) as number[];
    assert.equal(measured.length, printed.length);
    printed.forEach((text, i) => {
      const ours = textWidth(text);
      assert.ok(measured[i] <= ours, `tmux draws ${JSON.stringify(text)} ${measured[i]} columns wide, the REPL counts ${ours}`);
      assert.ok(stringWidth(text) <= ours, `Ink measures ${JSON.stringify(text)} ${stringWidth(text)} columns, the REPL counts ${ours}`);
    });
  } finally {
    term.kill();
    rmSync(root, { recursive: true, force: true });
  }
});
