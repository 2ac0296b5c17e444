// The generator checked end to end without vmlx: a float64 TypeScript forward pass over the MLX files agrees with
// llama.cpp on the GGUF twin (so both files hold the same model), and llama.cpp tokenizes hard strings exactly like
// the Rust `tokenizers` binding on the copied tokenizer.json (so both engines see the same ids).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import tokenizers from 'tokenizers';
import type { TestArch } from '../../src/engine/testmodel/spec.js';
import { ensureTestModel } from '../helpers/test-models.js';
import { LlamaPeer } from '../parity/llama-peer.js';
import { ReferenceModel } from './reference.js';
import { REFERENCE_ARCHS, TOKENS, checkReferenceAgainstLlama } from './reference-check.js';

// The bf16 files of the same families are checked by reference-bf16.parity-full.ts (npm run test:parity-full).
for (const arch of REFERENCE_ARCHS) {
  test(`${arch} 4-bit: reference forward pass over the MLX files matches llama.cpp on the GGUF`, (t) => checkReferenceAgainstLlama(t, arch, 4));
}

test('with ggml\'s flash-attention roundings (f16 Q and V sum below 64 queries), the reference comes closer to llama.cpp', async (t) => {
  const { dir, gguf } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4, withGguf: true });
  const tokens = Array.from({ length: TOKENS }, (_, i) => (i * 7919 + 101) % 120000);
  const ref = ReferenceModel.load(dir);
  const exact = ref.logprobs(tokens);
  ref.llamaFlashF16 = true;
  const f16 = ref.logprobs(tokens);
  const peer = await LlamaPeer.open(gguf!, 64, { flashAttention: true });
  try {
    const top = exact.map((lp) => [...lp.keys()].sort((a, b) => lp[b] - lp[a]).slice(0, 10));
    const theirs = await peer.evaluate(tokens, top);
    const dist = (lps: Float64Array[]) => Math.max(...lps.flatMap((lp, i) => top[i].map((id) => Math.abs(theirs[i].logprobs.get(id)! - lp[id]))));
    const [toExact, toF16] = [dist(exact), dist(f16)];
    t.diagnostic(`max |Δ logprob| to llama.cpp (flash attention, ${TOKENS} queries): exact ${toExact.toExponential(2)}, f16 roundings ${toF16.toExponential(2)}`);
    assert.ok(toF16 < toExact / 4, `the f16 roundings do not model llama.cpp (${toF16} vs ${toExact})`);
  } finally {
    await peer.dispose();
  }
});

const HARD = [
  'Hello, world!',
  '  leading  spaces\n\n\ttabs   and trailing   ',
  '😀👍🏽 emoji 🇫🇷 and ZWJ 👩‍👩‍👧',
  "don't I'll we've THEY'RE",
  '東京の天気は晴れです。中文测试，标点！한국어',
  '1234567 3.14159 1,000,000',
  'ŝ ĉ ü ß Ω ∑ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  'def f(x):\n    return x**2  # comment\n',
  '<|im_start|>user\nhi<|im_end|>\n<think>\nok\n</think>',
  '<|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>',
  'a'.repeat(40) + ' ' + '='.repeat(17),
];

for (const arch of ['qwen3', 'llama'] as TestArch[]) {
  test(`${arch}: llama.cpp tokenizes hard strings exactly like HF tokenizers on tokenizer.json`, async () => {
    const { dir, gguf } = await ensureTestModel({ arch, dtype: 'bf16', withGguf: true });
    const hf = tokenizers.Tokenizer.fromFile(join(dir, 'tokenizer.json'));
    const peer = await LlamaPeer.open(gguf!, 64);
    try {
      for (const s of HARD) {
        // HF matches added tokens (special or not) inside text; llama.cpp does with special parsing on.
        const expected = (await hf.encode(s, null, { addSpecialTokens: false })).getIds();
        assert.deepEqual(peer.tokenize(s), expected, JSON.stringify(s));
      }
      // Known llama.cpp limitation, not a file problem: its qwen2 pre-tokenizer skips the NFC normalizer, so
      // decomposed accents ("e\u0301") tokenize differently there; real Qwen GGUFs behave the same.
    } finally {
      await peer.dispose();
    }
  });
}
