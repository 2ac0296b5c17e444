// The UTF-8 automaton of the grammar thread: the well-formed byte sequences of Unicode's Table 3-7, and per state
// the vocabulary tokens that walk it (a token may end inside a character).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Utf8Masks, Utf8State, utf8Walk, vocabBytes } from '../../src/engine/grammar/utf8-masks.js';

const bytes = (...b: number[]) => Uint8Array.from(b);

test('well-formed sequences walk back to the start state; every ill-formed one fails', () => {
  const enc = new TextEncoder();
  for (const s of ['a', 'é', '€', '\uD7FF', '\uE000', '\uFFFD', '😀', '\u{10FFFF}', 'mixed ünï 코드 𝕊']) {
    assert.equal(utf8Walk(Utf8State.Start, enc.encode(s)), Utf8State.Start, s);
  }
  const illFormed = [
    [0xed, 0xa0, 0x80], // U+D800, a surrogate
    [0xed, 0xbf, 0xbf], // U+DFFF
    [0xc0, 0xaf], // overlong '/'
    [0xc1, 0x80],
    [0xe0, 0x80, 0xaf], // overlong 3-byte
    [0xf0, 0x80, 0x80, 0xaf], // overlong 4-byte
    [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
    [0xf5, 0x80, 0x80, 0x80],
    [0xff],
    [0x80], // a continuation byte without a lead
    [0xe2, 0x82, 0x41], // a lead cut short by ASCII
  ];
  for (const b of illFormed) assert.equal(utf8Walk(Utf8State.Start, bytes(...b)), -1, b.map((x) => x.toString(16)).join(' '));
});

test('a token may end inside a character; the next token must finish it', () => {
  assert.equal(utf8Walk(Utf8State.Start, bytes(0xe2)), Utf8State.Tail2);
  assert.equal(utf8Walk(Utf8State.Start, bytes(0x61, 0xe2, 0x82)), Utf8State.Tail1);
  assert.equal(utf8Walk(Utf8State.Tail1, bytes(0xac, 0x62)), Utf8State.Start);
  assert.equal(utf8Walk(Utf8State.Start, bytes(0xed)), Utf8State.AfterED);
  assert.equal(utf8Walk(Utf8State.AfterED, bytes(0x9f)), Utf8State.Tail1);
  assert.equal(utf8Walk(Utf8State.AfterED, bytes(0xa0)), -1);
  assert.equal(utf8Walk(Utf8State.Tail1, bytes(0x41)), -1);
});

test('per-state masks: the surrogate continuation is masked after ED, a stop token only between characters', () => {
  // A byte-fallback vocabulary: <0xNN> pieces, text pieces with the SentencePiece space, an added stop token.
  const pieces = ['<0xED>', '<0xA0>', '<0x9F>', '<0x80>', '▁ok', '€', '<eos>', '<0xE2><0x82>'];
  const added = new Map([[6, { content: '<eos>' }]]);
  const bytesOf = vocabBytes({ byteLevel: false, addedTokens: added, idToToken: (id) => pieces[id], tokenBytes: () => new Uint8Array() });
  assert.deepEqual([...bytesOf(4)], [0x20, 0x6f, 0x6b]);
  assert.deepEqual([...bytesOf(0)], [0xed]);
  const masks = new Utf8Masks(pieces.length + 2, bytesOf); // two ids past the tokenizer (no bytes)
  const allowedIn = (state: number) => pieces.map((_, id) => id).filter((id) => masks.allows(state, id));
  assert.deepEqual(allowedIn(Utf8State.Start), [0, 4, 5, 6, 7]);
  assert.deepEqual(allowedIn(Utf8State.AfterED), [2, 3]); // 9F and 80, not A0
  assert.deepEqual(allowedIn(Utf8State.Tail1), [1, 2, 3]);
  assert.equal(masks.advance(Utf8State.Start, 0), Utf8State.AfterED);
  assert.equal(masks.advance(Utf8State.AfterED, 2), Utf8State.Tail1);
  assert.equal(masks.advance(Utf8State.Tail1, 3), Utf8State.Start);
  // The grammar's mask is ANDed in place ...
  const grammarMask = Int32Array.of(0b11111111);
  assert.equal(masks.narrow(Utf8State.AfterED, grammarMask), true);
  assert.equal(grammarMask[0], 0b1100);
  // ... but never emptied: a mask that allows nothing cannot be sampled.
  const onlyBroken = Int32Array.of(0b10);
  assert.equal(masks.narrow(Utf8State.AfterED, onlyBroken), false);
  assert.equal(onlyBroken[0], 0b10);
});

test('byte-level vocabularies use the tokenizer\'s own token bytes', () => {
  const bytesOf = vocabBytes({ byteLevel: true, addedTokens: new Map(), idToToken: () => 'x', tokenBytes: (id) => bytes(0xe0 + id) });
  assert.deepEqual([...bytesOf(13)], [0xed]);
});
