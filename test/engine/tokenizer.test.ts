// Id-for-id equality with HF's Rust tokenizers (the reference implementation) on hard strings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ModelTokenizer } from '../../src/engine/tokenizer.js';
import { ModelFileMissingError } from '../../src/engine/errors.js';
import { fixtureDir, type FixtureName } from './helpers/fixtures.js';
import { tempDir } from './helpers/tiny-dirs.js';
import { HARD } from './helpers/tokenizer-corpus.js';

const require = createRequire(import.meta.url);
const rust = require('tokenizers') as typeof import('tokenizers');


const cache = new Map<FixtureName, { ours: ModelTokenizer; ref: InstanceType<typeof rust.Tokenizer> }>();
function load(name: FixtureName) {
  let entry = cache.get(name);
  if (!entry) {
    const dir = fixtureDir(name);
    entry = { ours: ModelTokenizer.fromDir(dir), ref: rust.Tokenizer.fromString(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) };
    cache.set(name, entry);
  }
  return entry;
}

for (const name of ['qwen3', 'llama3_1', 'llama3_2'] as const) {
  test(`${name}: ids equal the Rust tokenizers binding, with and without special tokens`, async () => {
    const { ours, ref } = load(name);
    for (const text of HARD) {
      for (const addSpecialTokens of [false, true]) {
        const expected = (await ref.encode(text, null, { addSpecialTokens })).getIds();
        assert.deepEqual(ours.encode(text, { addSpecialTokens }), expected, `${name} add=${addSpecialTokens}: ${JSON.stringify(text)}`);
      }
    }
  });

  test(`${name}: per-token bytes reassemble exactly the decoded text`, () => {
    const { ours } = load(name);
    for (const text of HARD) {
      const ids = ours.encode(text, { addSpecialTokens: false });
      const bytes = Buffer.concat(ids.map((id) => Buffer.from(ours.tokenBytes(id))));
      assert.equal(bytes.toString('utf8'), ours.decode(ids), JSON.stringify(text));
    }
  });
}

test('special tokens: recognised inside text, BOS behaviour per family, stop ids', () => {
  const qwen = load('qwen3').ours;
  assert.deepEqual(qwen.encode('<|im_start|>user', { addSpecialTokens: true }).slice(0, 1), [151644]);
  assert.equal(qwen.bosToken, null);
  assert.equal(qwen.eosTokenId, 151645);
  assert.equal(qwen.encode('hi', { addSpecialTokens: true }).length, qwen.encode('hi', { addSpecialTokens: false }).length);
  assert.deepEqual(qwen.stopTokenIds().sort(), [151643, 151645]);
  assert.deepEqual(qwen.encode('<think>'), [151667]);

  const llama = load('llama3_2').ours;
  assert.equal(llama.bosTokenId, 128000);
  assert.deepEqual(llama.encode('hi', { addSpecialTokens: true }), [128000, ...llama.encode('hi', { addSpecialTokens: false })]);
  // A rendered Llama 3 prompt already starts with BOS: encoded without special tokens it has exactly one.
  const rendered = '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>';
  assert.equal(llama.encode(rendered, { addSpecialTokens: false }).filter((id) => id === 128000).length, 1);
  assert.deepEqual(llama.stopTokenIds().sort(), [128001, 128008, 128009]);
});

test('a directory without tokenizer.json is a one-line error naming the file', () => {
  const t = tempDir();
  try {
    assert.throws(() => ModelTokenizer.fromDir(t.dir), (e: unknown) => e instanceof ModelFileMissingError && e.message === `${join(t.dir, 'tokenizer.json')}: tokenizer.json not found`);
  } finally {
    t.cleanup();
  }
});
