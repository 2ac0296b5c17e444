// Shared pieces of the hub tests: a temporary HF_HOME/cache, a vmlx child process with a clean Hugging Face
// environment pointed at the emulator, and small fake model repositories (pull does not read the weights).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface HfHome {
  home: string;
  cache: string;
  cleanup: () => void;
}

export function tempHfHome(): HfHome {
  const home = mkdtempSync(join(tmpdir(), 'vmlx-hf-'));
  return { home, cache: join(home, 'hub'), cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** The test process's environment without any Hugging Face variable (a developer's token must not leak in). */
export function hubEnv(hf: HfHome, endpoint: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(HF_|HUGGINGFACE_)/.test(k)) env[k] = v;
  return { ...env, HF_HOME: hf.home, HF_ENDPOINT: endpoint, VMLX_HOME: join(hf.home, 'vmlx'), ...extra };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runVmlx(args: string[], env: Record<string, string>, input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'vmlx.js'), ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** Deterministic pseudo-random bytes (stand-in weights). */
export function bytesOf(n: number, seed: string): Buffer {
  const out = Buffer.alloc(n);
  let block = Buffer.alloc(0);
  for (let i = 0; i < n; i += 32) {
    block = createHash('sha256').update(seed).update(block).digest();
    block.copy(out, i);
  }
  return out;
}

export function qwen3Config(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model_type: 'qwen3', hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4,
    num_key_value_heads: 2, head_dim: 16, vocab_size: 256, rms_norm_eps: 1e-6, tie_word_embeddings: true,
    quantization: { group_size: 64, bits: 4 }, ...overrides,
  };
}

/** A repository's files: config, tokenizer, weights, and files pull must leave alone (README, GGUF, .bin). */
export function fakeModelFiles(opts: { config?: Record<string, unknown>; weightBytes?: number; seed?: string } = {}): Map<string, Buffer> {
  const seed = opts.seed ?? 'w';
  return new Map([
    ['config.json', Buffer.from(JSON.stringify(opts.config ?? qwen3Config()))],
    ['tokenizer.json', Buffer.from('{"model": {"type": "BPE"}}')],
    ['tokenizer_config.json', Buffer.from('{"chat_template": "{{ messages }}"}')],
    ['model.safetensors', bytesOf(opts.weightBytes ?? 300_000, seed)],
    ['README.md', Buffer.from('# a model\n')],
    ['model.gguf', bytesOf(50_000, 'gguf')],
    ['pytorch_model.bin', bytesOf(50_000, 'bin')],
  ]);
}

export const sha256Hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
