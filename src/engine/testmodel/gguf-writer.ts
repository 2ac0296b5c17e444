// GGUF v3 header writer (ggml docs/gguf.md): key/value metadata, tensor infos, aligned data offsets.
// Tensor data is written by the caller at the absolute offsets this returns, so tensors can be streamed in any order.
import { Q4_0_BLOCK_BYTES, Q8_0_BLOCK_BYTES, QK } from './gguf-quants.js';
import { MXFP4_BLOCK_BYTES } from './mxfp4.js';

export type GgufKv =
  | { type: 'u32'; value: number }
  | { type: 'i32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'string[]'; value: string[] }
  | { type: 'i32[]'; value: number[] }
  | { type: 'bool[]'; value: boolean[] }
  | { type: 'f32[]'; value: number[] };

export type GgmlType = 'F32' | 'F16' | 'Q4_0' | 'Q8_0' | 'MXFP4';
const GGML_TYPE_ID: Record<GgmlType, number> = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8, MXFP4: 39 };

export interface GgufTensorInfo {
  name: string;
  /** Logical shape in HF (row-major) order, e.g. [out, in]; written reversed (ggml order). */
  shape: number[];
  type: GgmlType;
}

export function ggmlTensorBytes(shape: number[], type: GgmlType): number {
  const n = shape.reduce((a, b) => a * b, 1);
  switch (type) {
    case 'F32': return n * 4;
    case 'F16': return n * 2;
    case 'Q4_0':
    case 'Q8_0':
    case 'MXFP4':
      if (shape[shape.length - 1] % QK !== 0) throw new RangeError(`GGUF ${type}: row length ${shape[shape.length - 1]} is not a multiple of 32`);
      return (n / QK) * (type === 'Q4_0' ? Q4_0_BLOCK_BYTES : type === 'Q8_0' ? Q8_0_BLOCK_BYTES : MXFP4_BLOCK_BYTES);
  }
}

class ByteSink {
  private chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    this.push(b);
  }
  i32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  str(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.u64(bytes.length);
    this.push(bytes);
  }
  concat(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

// GGUF metadata value types.
const T_I32 = 5, T_U32 = 4, T_F32 = 6, T_BOOL = 7, T_STRING = 8, T_ARRAY = 9;

function writeKv(sink: ByteSink, key: string, kv: GgufKv): void {
  sink.str(key);
  switch (kv.type) {
    case 'u32': sink.u32(T_U32); sink.u32(kv.value); break;
    case 'i32': sink.u32(T_I32); sink.i32(kv.value); break;
    case 'f32': sink.u32(T_F32); sink.f32(kv.value); break;
    case 'bool': sink.u32(T_BOOL); sink.push(Buffer.from([kv.value ? 1 : 0])); break;
    case 'string': sink.u32(T_STRING); sink.str(kv.value); break;
    case 'string[]':
      sink.u32(T_ARRAY); sink.u32(T_STRING); sink.u64(kv.value.length);
      for (const s of kv.value) sink.str(s);
      break;
    case 'i32[]': {
      sink.u32(T_ARRAY); sink.u32(T_I32); sink.u64(kv.value.length);
      const b = Buffer.alloc(4 * kv.value.length);
      kv.value.forEach((v, i) => b.writeInt32LE(v, 4 * i));
      sink.push(b);
      break;
    }
    case 'bool[]':
      sink.u32(T_ARRAY); sink.u32(T_BOOL); sink.u64(kv.value.length);
      sink.push(Buffer.from(kv.value.map((v) => (v ? 1 : 0))));
      break;
    case 'f32[]': {
      sink.u32(T_ARRAY); sink.u32(T_F32); sink.u64(kv.value.length);
      const b = Buffer.alloc(4 * kv.value.length);
      kv.value.forEach((v, i) => b.writeFloatLE(v, 4 * i));
      sink.push(b);
      break;
    }
  }
}

export interface GgufPlan {
  header: Buffer;
  /** Absolute file offset of each tensor's data, in the order given. */
  offsets: number[];
  byteLengths: number[];
  fileSize: number;
}

export function planGguf(kvs: Array<[string, GgufKv]>, tensors: GgufTensorInfo[], alignment = 32): GgufPlan {
  const sink = new ByteSink();
  sink.push(Buffer.from('GGUF', 'ascii'));
  sink.u32(3);
  sink.u64(tensors.length);
  sink.u64(kvs.length);
  for (const [k, v] of kvs) writeKv(sink, k, v);
  const rel: number[] = [];
  const byteLengths: number[] = [];
  let cursor = 0;
  for (const t of tensors) {
    if (Buffer.byteLength(t.name) > 64) throw new RangeError(`GGUF tensor name too long: ${t.name}`);
    sink.str(t.name);
    sink.u32(t.shape.length);
    for (const d of [...t.shape].reverse()) sink.u64(d);
    sink.u32(GGML_TYPE_ID[t.type]);
    sink.u64(cursor);
    rel.push(cursor);
    const bytes = ggmlTensorBytes(t.shape, t.type);
    byteLengths.push(bytes);
    cursor += Math.ceil(bytes / alignment) * alignment;
  }
  const pad = (alignment - (sink.length % alignment)) % alignment;
  sink.push(Buffer.alloc(pad));
  const header = sink.concat();
  return { header, offsets: rel.map((r) => r + header.length), byteLengths, fileSize: header.length + cursor };
}
