// The memory target of issue 7: resident memory after load at most the model's files plus the KV cache plus 10%.
// What is counted: every regular file directly in the model directory (weights, index, tokenizer, configs: the
// directory is flat in the MLX format), and the KV cache the session allocates for its maxContext.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelShape } from './measure.js';

/** Headroom over files + KV that the target allows. */
export const MEMORY_HEADROOM = 0.1;

export interface ModelFiles {
  files: Array<{ name: string; bytes: number }>;
  totalBytes: number;
}

/** Regular files directly in `dir` (not recursive), sorted by name. */
export function modelFiles(dir: string): ModelFiles {
  const files: Array<{ name: string; bytes: number }> = [];
  for (const name of readdirSync(dir).sort()) {
    const st = statSync(join(dir, name));
    if (st.isFile()) files.push({ name, bytes: st.size });
  }
  return { files, totalBytes: files.reduce((s, f) => s + f.bytes, 0) };
}

/** The native cache: K and V, each layers × kvHeads × maxContext × headDim f16 values (calloc'ed at session start). */
export function kvCacheBytes(shape: ModelShape, maxContext: number): number {
  return 2 * shape.numLayers * shape.numKvHeads * maxContext * shape.headDim * 2;
}

export function memoryBudgetBytes(filesBytes: number, kvBytes: number): number {
  return Math.round((filesBytes + kvBytes) * (1 + MEMORY_HEADROOM));
}

export interface RssSample {
  /** Process resident set size. */
  rss: number;
  /** Linux only (/proc/self/status): anonymous and file-backed resident bytes; null elsewhere. */
  anon: number | null;
  file: number | null;
  /** V8 heap in use (live objects and not yet collected garbage): the tokenizer lives here. */
  heapUsed: number;
}

function statusKb(status: string, key: string): number | null {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) * 1024 : null;
}

export function sampleRss(): RssSample {
  const { rss, heapUsed } = process.memoryUsage();
  let status = '';
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    // not Linux: the breakdown stays null
  }
  return { rss, anon: statusKb(status, 'RssAnon'), file: statusKb(status, 'RssFile'), heapUsed };
}
