// The memory budget of the paged KV pool (--kv-cache-memory): parsing the flag and the default from the machine's
// RAM and the model's size.
import { totalmem } from 'node:os';
import { GenerationInputError } from './errors.js';
import type { NativeModelPlan } from './plan.js';

const MIB = 1 << 20;
/** The pool never gets less than this by default (a model of recurrent layers only still caches checkpoints). */
const MIN_DEFAULT_BYTES = 64 * MIB;
/** The default holds at most this many full contexts: more would rarely be used and only delays eviction. */
const MAX_DEFAULT_CONTEXTS = 8;

/** Bytes of keys and values one position takes across the attention layers (f16). */
export function kvBytesPerToken(plan: NativeModelPlan): number {
  let bytes = 0;
  for (const layer of plan.layers) if (layer.mixer.kind === 'attention') bytes += layer.mixer.numKvHeads * layer.mixer.headDim * 2 * 2;
  return bytes;
}

/**
 * A quarter of the RAM the weights leave, but at least one full context (plus a margin) and at most
 * MAX_DEFAULT_CONTEXTS of them. Pages of the pool become resident only as blocks are first used.
 */
export function defaultKvCacheBytes(plan: NativeModelPlan, contextLength: number, weightBytes: number, ram = totalmem()): number {
  const oneContext = kvBytesPerToken(plan) * contextLength;
  const share = Math.max(0, ram - weightBytes) / 4;
  return Math.max(MIN_DEFAULT_BYTES, Math.ceil(oneContext * 1.25), Math.min(share, oneContext * MAX_DEFAULT_CONTEXTS));
}

/** "512M", "2G", "1.5GiB", "1048576" (bytes) → bytes. Throws naming `flag` for anything else. */
export function parseMemorySize(text: string, flag = '--kv-cache-memory'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(text);
  if (!m) throw new GenerationInputError(`${flag}: '${text}' is not a size (use bytes or a suffix: 512M, 2G)`);
  const unit = { '': 1, k: 1 << 10, m: MIB, g: 1 << 30, t: 2 ** 40 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  const bytes = Math.floor(Number(m[1]) * unit);
  if (bytes < 1) throw new GenerationInputError(`${flag}: '${text}' is less than one byte`);
  return bytes;
}
