// `vmlx generate` on bad model directories: one line on stderr naming file and field, exit code 1, no stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir, writeModelDir } from './helpers/tiny-dirs.js';
import { copyTokenizerFiles } from './helpers/fixtures.js';
import { ensureTestModel } from '../helpers/test-models.js';
import { loadModel } from '../../src/engine/model.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function vmlx(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'vmlx.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function expectOneLineError(dir: string, pattern: RegExp): Promise<void> {
  const r = await vmlx(['generate', '--model', dir, '--max-tokens', '4', 'hello']);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

test('generate: corrupt safetensors header, missing tokenizer, unknown architecture, 7-bit model, missing dir', async () => {
  const t = tempDir();
  try {
    const corrupt = join(t.dir, 'corrupt');
    const noTokenizer = join(t.dir, 'no-tokenizer');
    const mamba = join(t.dir, 'mamba');
    const sevenBit = join(t.dir, 'seven-bit');
    for (const d of [corrupt, noTokenizer, mamba, sevenBit]) mkdirSync(d);
    writeModelDir(corrupt, { arch: 'qwen3', quant: { bits: 4, groupSize: 64 } });
    // A header cut off in the middle of its JSON (with a consistent length field).
    const garbled = Buffer.from('{"model.embed_tokens.weight": {"dtype":');
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(garbled.length));
    writeFileSync(join(corrupt, 'model.safetensors'), Buffer.concat([length, garbled]));
    copyTokenizerFiles('qwen3', corrupt);
    writeModelDir(noTokenizer, { arch: 'qwen3', quant: { bits: 4, groupSize: 64 } });
    writeModelDir(mamba, { arch: 'llama' }, { model_type: 'mamba' });
    writeModelDir(sevenBit, { arch: 'qwen3', quant: { bits: 4, groupSize: 64 } }, { quantization: { group_size: 64, bits: 7, mode: 'affine' } });
    await Promise.all([
      expectOneLineError(corrupt, /^vmlx: .*corrupt\/model\.safetensors: corrupt safetensors header: not valid JSON$/m),
      expectOneLineError(noTokenizer, /^vmlx: .*no-tokenizer\/tokenizer\.json: tokenizer\.json not found$/m),
      expectOneLineError(mamba, /^vmlx: .*mamba\/config\.json: model_type 'mamba' is not supported \(supported: qwen3, qwen2, llama, mistral, mistral3, smollm3, qwen3_moe, gemma3_text, gemma3, phi3, qwen3_5, qwen3_5_moe, qwen3_next, gpt_oss, gemma4_text, gemma4\)$/m),
      expectOneLineError(sevenBit, /^vmlx: .*seven-bit\/config\.json: quantization\.bits 7 is not supported for mode affine \(supported: 2, 3, 4, 5, 6, 8\)$/m),
      expectOneLineError(join(t.dir, 'absent'), /absent: model directory not found$/m),
    ]);
  } finally {
    t.cleanup();
  }
});

test('generate on a made model: streamed text with a summary line; --json prints one object; --temp 0 repeats', async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 8 });
  const args = ['generate', '--model', dir, '--max-tokens', '6', '--temp', '0', '--ignore-eos', '--threads', '1'];
  const [streamed, json1, chat] = await Promise.all([
    vmlx([...args, 'Hello']),
    vmlx([...args, '--json', 'Hello']),
    vmlx([...args, '--json', '--chat', 'Hello']),
  ]);
  assert.equal(streamed.code, 0, streamed.stderr);
  assert.match(streamed.stderr, /^prompt: \d+ tokens, [\d.]+ tok\/s prefill \| generated: 6 tokens, [\d.]+ tok\/s decode \| finish: length\n$/);
  assert.equal(json1.code, 0, json1.stderr);
  const lines = json1.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  const obj = JSON.parse(lines[0]!) as Record<string, unknown>;
  for (const key of ['text', 'prompt_tokens', 'completion_tokens', 'prefill_tokens_per_s', 'decode_tokens_per_s', 'finish_reason']) {
    assert.ok(key in obj, key);
  }
  assert.equal(obj.completion_tokens, 6);
  assert.equal(obj.prompt_tokens, 1);
  assert.equal(obj.finish_reason, 'length');
  // greedy: the streamed run (another process) produced the same text
  assert.equal(streamed.stdout, `${obj.text as string}\n`);
  // --chat: "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n" is 9 tokens
  assert.equal((JSON.parse(chat.stdout) as { prompt_tokens: number }).prompt_tokens, 9);
});

test('generate --precise (float activations) continues like the default path; a bad activation mode is a clear error', async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4 });
  const args = ['generate', '--model', dir, '--max-tokens', '8', '--temp', '0', '--ignore-eos', '--threads', '1', '--json', 'Hello there'];
  const [fast, precise] = await Promise.all([vmlx(args), vmlx([...args, '--precise'])]);
  assert.equal(fast.code, 0, fast.stderr);
  assert.equal(precise.code, 0, precise.stderr);
  const text = (r: { stdout: string }) => (JSON.parse(r.stdout) as { text: string; completion_tokens: number });
  assert.equal(text(precise).completion_tokens, 8);
  assert.equal(text(precise).text, text(fast).text);
  await assert.rejects(loadModel(dir, { activations: 'int4' as never }), /activations must be one of float, int16, int8, got int4/);
});
