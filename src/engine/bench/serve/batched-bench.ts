// llama.cpp's llama-batched-bench: the engine's own batched decode, with no HTTP or scheduling around it, for B
// parallel sequences of `prompt` + `gen` tokens. The ceiling that a server built on llama.cpp can reach.
import { spawn } from 'node:child_process';
import { z } from 'zod';
import { peerTool } from '../llama-bench.js';
import { BenchServerError } from './servers.js';

const BatchedRow = z.object({ pp: z.number(), tg: z.number(), pl: z.number(), speed_pp: z.number(), speed_tg: z.number() }).loose();
export type BatchedRow = z.infer<typeof BatchedRow>;

/** The JSON lines of `--output-format jsonl` among the tool's other output. */
export function parseBatchedBenchJsonl(output: string): BatchedRow[] {
  const rows: BatchedRow[] = [];
  for (const line of output.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{') || !t.includes('"speed_tg"')) continue;
    try {
      const parsed = BatchedRow.safeParse(JSON.parse(t));
      if (parsed.success) rows.push(parsed.data);
    } catch {
      // a log line that merely looks like JSON
    }
  }
  return rows;
}

export function batchedBenchArgs(o: { gguf: string; threads: number; prompt: number; gen: number; parallel: number[] }): string[] {
  const maxB = Math.max(...o.parallel);
  return ['-m', o.gguf, '-t', String(o.threads), '-tb', String(o.threads), '-fa', 'on', '-ngl', '0',
    '-c', String(maxB * (o.prompt + o.gen) + 16), '-b', '2048', '-ub', '512',
    '-npp', String(o.prompt), '-ntg', String(o.gen), '-npl', o.parallel.join(','), '--output-format', 'jsonl'];
}

export function runBatchedBench(o: { gguf: string; threads: number; prompt: number; gen: number; parallel: number[] }): Promise<BatchedRow[]> {
  const bin = peerTool('llama-batched-bench');
  return new Promise((resolve, reject) => {
    const child = spawn(bin, batchedBenchArgs(o), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', (err) => reject(new BenchServerError(`llama-batched-bench could not start: ${err.message}`)));
    child.once('close', (code) => {
      const rows = parseBatchedBenchJsonl(out);
      if (code !== 0 || rows.length === 0) {
        reject(new BenchServerError(`llama-batched-bench failed (exit ${code}): ${out.trim().split('\n').slice(-2).join(' | ')}`));
      } else resolve(rows);
    });
  });
}
