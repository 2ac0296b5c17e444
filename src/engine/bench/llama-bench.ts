// llama.cpp's own llama-bench as the speed peer: built by `npm run peer:build` from the llama.cpp release that
// node-llama-cpp ships, run as a separate process on the GGUF twin with flash attention and the same threads.
// node-llama-cpp's per-token calls cost more than llama.cpp's own decode loop, so they are only the parity oracle.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { packageRoot } from '../package-root.js';

export class PeerUnavailableError extends Error {
  readonly userFacing = true;
}

/** Where `npm run peer:build` puts the tools (VMLX_LLAMA_CPP_BIN points elsewhere, e.g. a system build). */
export function peerBinDir(): string {
  return process.env.VMLX_LLAMA_CPP_BIN || join(packageRoot(), '.cache', 'llama.cpp', 'build', 'bin');
}

export function peerTool(name: 'llama-bench' | 'llama-batched-bench' | 'llama-server'): string {
  const path = join(peerBinDir(), name);
  if (!existsSync(path)) {
    throw new PeerUnavailableError(`${path} is missing: run npm run peer:build once (builds llama.cpp's own tools, about 10 minutes), or set VMLX_LLAMA_CPP_BIN`);
  }
  return path;
}

/** The fields of llama-bench's JSON output that vmlx reads (one object per test). */
const LlamaBenchTest = z.object({
  n_prompt: z.number(),
  n_gen: z.number(),
  n_depth: z.number().optional(),
  n_threads: z.number(),
  avg_ts: z.number(),
  samples_ts: z.array(z.number()),
});
const LlamaBenchOutput = z.array(LlamaBenchTest);
export type LlamaBenchTest = z.infer<typeof LlamaBenchTest>;

export interface LlamaBenchRun {
  /** Tokens per second of one llama-bench test (one repetition). */
  tokensPerSecond: number;
}

export function parseLlamaBenchJson(stdout: string): LlamaBenchTest[] {
  let raw: unknown;
  try {
    raw = JSON.parse(stdout);
  } catch {
    throw new PeerUnavailableError(`llama-bench printed no JSON: ${stdout.slice(0, 200)}`);
  }
  const parsed = LlamaBenchOutput.safeParse(raw);
  if (!parsed.success) throw new PeerUnavailableError(`llama-bench's JSON is not in the expected shape: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** The llama-bench arguments of one test: a prefill of `prompt` tokens, or `gen` decode steps at `depth` cached tokens. */
export function llamaBenchArgs(gguf: string, threads: number, test: { prompt: number; gen: number; depth: number }, reps = 1): string[] {
  return [
    '-m', gguf, '-t', String(threads), '-fa', 'on', '-ngl', '0',
    '-p', String(test.prompt), '-n', String(test.gen), '-d', String(test.depth),
    '-r', String(reps), '-o', 'json',
  ];
}

export function runLlamaBench(args: string[], signal?: AbortSignal): Promise<LlamaBenchTest[]> {
  const bin = peerTool('llama-bench');
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], signal });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        const last = err.trim().split('\n').pop() ?? '';
        reject(new PeerUnavailableError(`llama-bench exited with ${code}: ${last}`));
        return;
      }
      try {
        resolve(parseLlamaBenchJson(out));
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** One repetition of each test, as the mean tokens/s llama-bench reports for it. */
export async function llamaBenchOnce(gguf: string, threads: number, prompt: number, gen: number, depth: number): Promise<{ prefill: number; decode: number }> {
  const [pp] = await runLlamaBench(llamaBenchArgs(gguf, threads, { prompt, gen: 0, depth: 0 }));
  const [tg] = await runLlamaBench(llamaBenchArgs(gguf, threads, { prompt: 0, gen, depth }));
  if (!pp || !tg) throw new PeerUnavailableError('llama-bench reported no test');
  return { prefill: pp.avg_ts, decode: tg.avg_ts };
}
