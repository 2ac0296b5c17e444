import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completeUtf8Length, createDetokenizer, StopStringMatcher } from '../../src/engine/detokenizer.js';
import { ModelTokenizer } from '../../src/engine/tokenizer.js';
import { fixtureDir } from './helpers/fixtures.js';

test('completeUtf8Length holds back exactly an incomplete trailing character', () => {
  const bytes = Buffer.from('a€👍', 'utf8'); // 1 + 3 + 4 bytes
  assert.equal(completeUtf8Length(bytes), 8);
  assert.equal(completeUtf8Length(bytes, 7), 4); // 3 of the emoji's 4 bytes
  assert.equal(completeUtf8Length(bytes, 5), 4); // only the emoji's lead byte
  assert.equal(completeUtf8Length(bytes, 3), 1); // 2 of the euro sign's 3 bytes
  assert.equal(completeUtf8Length(bytes, 4), 4);
});

test('streaming detokenization never splits a character and reproduces decode()', () => {
  const tok = ModelTokenizer.fromDir(fixtureDir('qwen3'));
  const text = 'naïve café 你好世界 👍🏽 👨‍👩‍👧 🇯🇵 <think>ok</think> done';
  const ids = tok.encode(text, { addSpecialTokens: false });
  const detok = createDetokenizer(tok);
  const chunks = ids.map((id) => detok.push(id));
  chunks.push(detok.flush());
  assert.equal(chunks.join(''), tok.decode(ids));
  assert.ok(chunks.every((c) => !c.includes('\uFFFD')), 'no replacement characters');
  // At least one token ended inside a multi-byte character and produced nothing until the next one.
  assert.ok(chunks.slice(0, -1).some((c) => c === ''), 'some token was held back');
});

test('stop strings: text that may start a stop string is held, a match truncates', () => {
  const m = new StopStringMatcher(['o Wo', 'END']);
  assert.equal(m.push('Hel'), 'Hel');
  assert.equal(m.push('lo '), 'l'); // "o " could start "o Wo"
  assert.equal(m.push('Wo'), ''); // completes the stop string
  assert.equal(m.stopped, true);
  assert.equal(m.push('rld'), '');
  assert.equal(m.flush(), '');

  const n = new StopStringMatcher(['END']);
  assert.equal(n.push('abcE'), 'abc');
  assert.equal(n.push('N'), '');
  assert.equal(n.push('X'), 'ENX'); // "ENX" can no longer become "END"
  assert.equal(n.push('E'), '');
  assert.equal(n.flush(), 'E'); // generation ended: held text is released
  assert.equal(n.stopped, false);

  const earliest = new StopStringMatcher(['c', 'ab']);
  assert.equal(earliest.push('xabc'), 'x');
  assert.equal(new StopStringMatcher([]).push('anything'), 'anything');
});
