// safetensors headers: only the 8-byte length and the JSON header of each file are read (never the tensor data,
// which the addon mmaps). Every header is validated the way the reference Rust reader does, so a truncated or
// corrupt file fails here with a one-line error instead of reaching the native code.
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ModelFileMissingError, ModelFormatError, UnsupportedModelError } from './errors.js';
import { parseWith, readJson } from './json-file.js';

/** Bytes per element of every fixed-width safetensors dtype. */
const DTYPE_SIZES: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  F8_E8M0: 1,
  F8_E4M3FNUZ: 1,
  F8_E5M2FNUZ: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
  C64: 8,
};

/** The Rust reader's limit; real headers are a few hundred kB at most. */
const MAX_HEADER_BYTES = 100_000_000;

export interface TensorInfo {
  name: string;
  /** Absolute path of the safetensors file. */
  file: string;
  dtype: string;
  shape: number[];
  /** Absolute byte offset of the data inside the file (may be unaligned in MLX-written files). */
  offset: number;
  byteLength: number;
}

export interface SafetensorsHeader {
  tensors: TensorInfo[];
  metadata: Record<string, string>;
}

const entrySchema = z.object({
  dtype: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  data_offsets: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
});

function readExactly(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buf.subarray(0, done);
}

export function readSafetensorsHeader(file: string): SafetensorsHeader {
  const fd = openSync(file, 'r');
  try {
    const fileSize = fstatSync(fd).size;
    if (fileSize < 8) throw new ModelFormatError(file, `truncated safetensors file (${fileSize} bytes, no header length)`);
    const headerLength = Number(readExactly(fd, 8, 0).readBigUInt64LE(0));
    if (headerLength < 2 || headerLength > MAX_HEADER_BYTES) {
      throw new ModelFormatError(file, `corrupt safetensors header: header length ${headerLength} is not plausible`);
    }
    if (8 + headerLength > fileSize) {
      throw new ModelFormatError(
        file,
        `truncated safetensors file: header length ${headerLength} exceeds the file size ${fileSize}`,
      );
    }
    const text = readExactly(fd, headerLength, 8).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ModelFormatError(file, 'corrupt safetensors header: not valid JSON');
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      throw new ModelFormatError(file, 'corrupt safetensors header: not a JSON object');
    }
    return validateHeader(json as Record<string, unknown>, file, 8 + headerLength, fileSize);
  } finally {
    closeSync(fd);
  }
}

function validateHeader(
  json: Record<string, unknown>,
  file: string,
  dataStart: number,
  fileSize: number,
): SafetensorsHeader {
  const dataSize = fileSize - dataStart;
  const tensors: TensorInfo[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(json)) {
    if (name === '__metadata__') {
      metadata = parseWith(z.record(z.string(), z.string()), value, file);
      continue;
    }
    const parsed = entrySchema.safeParse(value);
    if (!parsed.success) throw new ModelFormatError(file, `corrupt safetensors header: tensor '${name}' has a malformed entry`);
    const { dtype, shape, data_offsets: [begin, end] } = parsed.data;
    const elementSize = DTYPE_SIZES[dtype];
    if (elementSize === undefined) throw new UnsupportedModelError(file, `tensor '${name}' dtype '${dtype}' is not supported`);
    if (end < begin) {
      throw new ModelFormatError(file, `corrupt safetensors header: tensor '${name}' has data_offsets [${begin}, ${end}] out of order`);
    }
    if (end > dataSize) {
      // What a cut-off download looks like: the header promises more data than the file holds.
      throw new ModelFormatError(
        file,
        `truncated safetensors file: tensor '${name}' data_offsets [${begin}, ${end}] lie outside the ${dataSize}-byte data section`,
      );
    }
    const expected = shape.reduce((a, b) => a * b, 1) * elementSize;
    if (expected !== end - begin) {
      throw new ModelFormatError(
        file,
        `corrupt safetensors header: tensor '${name}' ${dtype}[${shape.join(', ')}] needs ${expected} bytes but data_offsets span ${end - begin}`,
      );
    }
    tensors.push({ name, file, dtype, shape, offset: dataStart + begin, byteLength: end - begin });
  }
  // The tensors must tile the data section exactly: no overlaps, no holes, nothing missing at the end.
  const sorted = [...tensors].sort((a, b) => a.offset - b.offset || a.byteLength - b.byteLength);
  let cursor = dataStart;
  for (const t of sorted) {
    if (t.offset !== cursor) {
      throw new ModelFormatError(file, `corrupt safetensors header: tensor '${t.name}' does not start where the previous one ends`);
    }
    cursor += t.byteLength;
  }
  if (cursor !== fileSize) {
    throw new ModelFormatError(
      file,
      cursor < fileSize
        ? `corrupt safetensors file: ${fileSize - cursor} bytes after the last tensor`
        : `truncated safetensors file: tensors need ${cursor} bytes but the file has ${fileSize}`,
    );
  }
  return { tensors, metadata };
}

/** The weight files of a model directory: model*.safetensors, as mlx-lm globs them. */
export function listWeightFiles(dir: string): string[] {
  const files = readdirSync(dir)
    .filter((n) => n.startsWith('model') && n.endsWith('.safetensors'))
    .sort()
    .map((n) => join(dir, n));
  if (files.length === 0) throw new ModelFileMissingError(join(dir, 'model.safetensors'), 'weights (model*.safetensors)');
  return files;
}

const indexSchema = z.object({ weight_map: z.record(z.string(), z.string()) }).loose();

/** All tensors of a model directory by name; the index, when present, is cross-checked against the headers. */
export function readTensorTable(dir: string): Map<string, TensorInfo> {
  const table = new Map<string, TensorInfo>();
  for (const file of listWeightFiles(dir)) {
    for (const t of readSafetensorsHeader(file).tensors) {
      const previous = table.get(t.name);
      if (previous) throw new ModelFormatError(file, `tensor '${t.name}' is also stored in ${previous.file}`);
      table.set(t.name, t);
    }
  }
  const indexFile = join(dir, 'model.safetensors.index.json');
  if (existsSync(indexFile)) {
    const index = parseWith(indexSchema, readJson(indexFile, 'model.safetensors.index.json'), indexFile);
    for (const [name, shard] of Object.entries(index.weight_map)) {
      if (!existsSync(join(dir, shard))) throw new ModelFileMissingError(join(dir, shard), `shard listed in ${indexFile}`);
      const info = table.get(name);
      if (!info || info.file !== join(dir, shard)) {
        throw new ModelFormatError(indexFile, `weight_map says tensor '${name}' is in ${shard}, but that file does not contain it`);
      }
    }
  }
  return table;
}
