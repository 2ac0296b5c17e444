// Compact BPE tables: the typed-array merge ranks and token → id table, when the library's BPE model takes them, and
// that ids stay exactly the library's own (the Rust-binding equality of tokenizer.test.ts runs on them too).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { MergeRanks, compactBpeTables } from '../../src/engine/bpe-tables.js';
import { TokenIdTable } from '../../src/engine/token-id-table.js';
import { ModelTokenizer } from '../../src/engine/tokenizer.js';
import { packageRoot } from '../../src/engine/package-root.js';
import { fixtureDir, type FixtureName } from './helpers/fixtures.js';
import { HARD } from './helpers/tokenizer-corpus.js';

test('MergeRanks: set and get by id pair, a later rank replaces an earlier one, unknown pairs give -1', () => {
  const ranks = new MergeRanks(5000);
  // Enough pairs that probes collide and wrap around.
  for (let i = 0; i < 5000; i++) ranks.set(i % 97, Math.floor(i / 97), i);
  for (let i = 0; i < 5000; i++) assert.equal(ranks.get(i % 97, Math.floor(i / 97)), i);
  assert.equal(ranks.get(96, 5000), -1);
  assert.equal(ranks.get(1, 0), 1);
  assert.equal(ranks.get(0, 1), 97);
  ranks.set(0, 1, 7);
  assert.equal(ranks.get(0, 1), 7);
});

test('TokenIdTable: the id of every token, undefined for anything else', () => {
  const vocab = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? `Ġtok${i}` : i % 3 === 1 ? `词${i}` : String.fromCodePoint(0x1f600 + (i % 50)) + i));
  const table = new TokenIdTable(vocab);
  assert.equal(table.size, 3000);
  vocab.forEach((token, id) => assert.equal(table.get(token), id));
  for (const other of ['', 'Ġtok1', '词0', 'tok0', 'Ġtok0 ']) {
    assert.equal(table.get(other), undefined, other);
    assert.equal(table.has(other), false);
  }
  assert.equal(table.has('Ġtok3'), true);
  assert.equal(table.get(3 as unknown as string), undefined);
});

/** A tiny byte-level BPE tokenizer.json; vocab and merges as given. */
function tinyBpe(vocab: Record<string, number>, merges: Array<[string, string]>): object {
  return {
    version: '1.0',
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges },
  };
}

const letters = { a: 0, b: 1, c: 2, ab: 3, abc: 4, bc: 5 };

test('compactBpeTables: taken for a bijective vocabulary, refused when two tokens share an id or a merge part is no token', () => {
  const merges: Array<[string, string]> = [['a', 'b'], ['ab', 'c'], ['b', 'c']];
  const lib = new Tokenizer(tinyBpe(letters, merges), {});
  const compact = new Tokenizer(tinyBpe(letters, merges), {});
  assert.equal(compactBpeTables((compact as unknown as { model: unknown }).model), true);
  for (const text of ['abc', 'bca', 'cab abcabc', 'aabbcc', 'cba']) assert.deepEqual(compact.encode(text).ids, lib.encode(text).ids, text);

  const shared = new Tokenizer(tinyBpe({ ...letters, bc: 4 }, merges), {});
  assert.equal(compactBpeTables((shared as unknown as { model: unknown }).model), false);
  const outside = new Tokenizer(tinyBpe(letters, [...merges, ['c', 'x']]), {});
  assert.equal(compactBpeTables((outside as unknown as { model: unknown }).model), false);
  assert.equal(compactBpeTables(null), false);
  assert.equal(compactBpeTables({ bpe_ranks: 1 }), false);
});

/** Text of every kind the engine meets: the corpus of hard strings, then this package's docs and sources. */
function corpus(): string[] {
  const root = packageRoot();
  const docs = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => readFileSync(join(root, 'docs', f), 'utf8'));
  const sources = ['model.ts', 'tokenizer.ts', 'chat-template.ts'].map((f) => readFileSync(join(root, 'src', 'engine', f), 'utf8'));
  return [...HARD, ...docs, ...sources];
}

for (const name of ['qwen3', 'llama3_2'] as const satisfies readonly FixtureName[]) {
  test(`${name}: the tokenizer uses compact merge ranks and encodes exactly as the library's own ranks`, () => {
    const dir = fixtureDir(name);
    const ours = ModelTokenizer.fromDir(dir);
    assert.equal(ours.compactBpeTables, true);
    assert.equal(ours.tokenToId(ours.idToToken(1234)!), 1234);
    const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as object;
    const lib = new Tokenizer(JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as object, config);
    for (const text of corpus()) {
      assert.deepEqual(ours.encode(text, { addSpecialTokens: false }), lib.encode(text, { add_special_tokens: false }).ids, text.slice(0, 80));
    }
  });
}
