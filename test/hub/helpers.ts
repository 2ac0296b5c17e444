// Shared pieces of the hub tests: a temporary HF_HOME/cache, a vmlx child process with a clean Hugging Face
// environment pointed at the emulator, and small fake model repositories (pull does not read the weights).
import { spawn, type ChildProcess } from 'node:child_process';
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

export interface RunningVmlx {
  child: ChildProcess;
  /** Resolves with the first stdout or stderr text matching `pattern` (rejects if the process exits first). */
  waitFor: (pattern: RegExp, stream?: 'stdout' | 'stderr') => Promise<RegExpMatchArray>;
  done: Promise<RunResult>;
}

export function startVmlx(args: string[], env: Record<string, string>, input?: string): RunningVmlx {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'vmlx.js'), ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  const waiters = new Set<() => void>();
  const onData = (stream: 'stdout' | 'stderr') => (d: Buffer) => {
    out[stream] += d.toString();
    for (const w of [...waiters]) w();
  };
  child.stdout!.on('data', onData('stdout'));
  child.stderr!.on('data', onData('stderr'));
  const done = new Promise<RunResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, ...out });
      for (const w of [...waiters]) w();
    });
  });
  child.stdin!.end(input ?? '');
  const waitFor = (pattern: RegExp, stream: 'stdout' | 'stderr' = 'stderr') =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const m = pattern.exec(out[stream]);
        if (m) {
          waiters.delete(check);
          resolve(m);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          waiters.delete(check);
          reject(new Error(`vmlx ${args.join(' ')} exited before printing ${pattern}: ${out.stderr}`));
        }
      };
      waiters.add(check);
      check();
    });
  return { child, waitFor, done };
}

export function runVmlx(args: string[], env: Record<string, string>, input?: string): Promise<RunResult> {
  return startVmlx(args, env, input).done;
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
