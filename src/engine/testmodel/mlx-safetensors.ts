// A safetensors layout the way MLX's writer makes it (notes/engine.md §3): header keys sorted, no alignment padding,
// tensor data in an order unrelated to the key order. The data section is pushed to an odd file offset on purpose,
// so U32/BF16/F32 tensors start unaligned and loaders that assume alignment fail in tests, not in the field.
import { Rng } from './numeric.js';

export type StDType = 'F32' | 'BF16' | 'U32' | 'U8';
const ELEM_BYTES: Record<StDType, number> = { F32: 4, BF16: 2, U32: 4, U8: 1 };

export interface StTensor {
  name: string;
  dtype: StDType;
  shape: number[];
}

export interface StPlan {
  header: Buffer;
  /** Absolute file offset of each tensor's data, keyed by name. */
  offsets: Map<string, number>;
  fileSize: number;
}

export function planMlxSafetensors(tensors: StTensor[], seed: number): StPlan {
  // Data order: a seeded shuffle (MLX uses hash-map order).
  const order = tensors.map((_, i) => i);
  const rng = new Rng(seed ^ 0x5eed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.nextU32() % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const rel = new Map<string, [number, number]>();
  let cursor = 0;
  for (const idx of order) {
    const t = tensors[idx];
    const bytes = t.shape.reduce((a, b) => a * b, 1) * ELEM_BYTES[t.dtype];
    rel.set(t.name, [cursor, cursor + bytes]);
    cursor += bytes;
  }
  const entries: Record<string, unknown> = { __metadata__: { format: 'mlx' } };
  for (const t of [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    entries[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: rel.get(t.name) };
  }
  let json = JSON.stringify(entries);
  // Odd data start: every tensor is then misaligned for its element size.
  if ((8 + Buffer.byteLength(json)) % 2 === 0) json += ' ';
  const jsonBytes = Buffer.from(json, 'utf8');
  const header = Buffer.alloc(8 + jsonBytes.length);
  header.writeBigUInt64LE(BigInt(jsonBytes.length), 0);
  jsonBytes.copy(header, 8);
  const offsets = new Map<string, number>();
  for (const [name, [begin]] of rel) offsets.set(name, header.length + begin);
  return { header, offsets, fileSize: header.length + cursor };
}
