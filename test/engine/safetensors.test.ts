import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensorsHeader, readTensorTable } from '../../src/engine/safetensors.js';
import { ModelFileMissingError, ModelFormatError, UnsupportedModelError } from '../../src/engine/errors.js';
import { safetensorsBytes, tempDir } from './helpers/tiny-dirs.js';

function withFile(bytes: Buffer, fn: (file: string) => void): void {
  const t = tempDir();
  try {
    const file = join(t.dir, 'model.safetensors');
    writeFileSync(file, bytes);
    fn(file);
  } finally {
    t.cleanup();
  }
}

function rawFile(header: string, dataBytes: number): Buffer {
  const json = Buffer.from(header, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, Buffer.alloc(dataBytes)]);
}

test('reads tensors at absolute, possibly unaligned offsets (MLX writes no header padding)', () => {
  const bytes = safetensorsBytes([
    { name: 'a', dtype: 'BF16', shape: [3] },
    { name: 'b', dtype: 'U32', shape: [2, 2] },
  ]);
  withFile(bytes, (file) => {
    const h = readSafetensorsHeader(file);
    assert.deepEqual(h.metadata, { format: 'mlx' });
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const a = h.tensors.find((t) => t.name === 'a')!;
    const b = h.tensors.find((t) => t.name === 'b')!;
    assert.equal(a.offset, 8 + headerLength);
    assert.equal(b.offset, 8 + headerLength + 6); // right after 3 BF16 values: not 4-byte aligned relative to data
    assert.deepEqual([b.dtype, b.shape, b.byteLength], ['U32', [2, 2], 16]);
  });
});

test('a truncated file is rejected, naming the file', () => {
  const full = safetensorsBytes([{ name: 'w', dtype: 'F32', shape: [4, 4] }]);
  withFile(full.subarray(0, full.length - 5), (file) => {
    assert.throws(() => readSafetensorsHeader(file), (e: unknown) => {
      assert.ok(e instanceof ModelFormatError);
      assert.match(e.message, /model\.safetensors: truncated safetensors file/);
      assert.equal(e.userFacing, true);
      return true;
    });
  });
  withFile(full.subarray(0, 5), (file) => assert.throws(() => readSafetensorsHeader(file), /no header length/));
});

test('a header length beyond the file or absurdly large is corrupt', () => {
  const b = Buffer.alloc(64);
  b.writeBigUInt64LE(1000n);
  withFile(b, (file) => assert.throws(() => readSafetensorsHeader(file), /header length 1000 exceeds the file size 64/));
  b.writeBigUInt64LE(0xffffffffffn);
  withFile(b, (file) => assert.throws(() => readSafetensorsHeader(file), /header length \d+ is not plausible/));
});

test('garbage instead of a JSON header is reported as corrupt', () => {
  withFile(rawFile('{"w": {"dtype": "F32", "sha', 0), (file) =>
    assert.throws(() => readSafetensorsHeader(file), /corrupt safetensors header: not valid JSON/),
  );
  withFile(rawFile('[1, 2, 3]', 0), (file) => assert.throws(() => readSafetensorsHeader(file), /not a JSON object/));
  withFile(rawFile('{"w": {"dtype": "F32", "shape": "x", "data_offsets": [0, 4]}}', 4), (file) =>
    assert.throws(() => readSafetensorsHeader(file), /tensor 'w' has a malformed entry/),
  );
});

test('offsets outside the data section, size mismatches, holes and trailing bytes are all rejected', () => {
  const cases: Array<[string, number, RegExp]> = [
    ['{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 16]}}', 8, /lie outside the 8-byte data section/],
    ['{"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}', 8, /needs 12 bytes but data_offsets span 8/],
    [
      '{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}',
      12,
      /tensor 'b' does not start where the previous one ends/,
    ],
    ['{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}', 10, /6 bytes after the last tensor/],
  ];
  for (const [header, data, re] of cases) {
    withFile(rawFile(header, data), (file) => assert.throws(() => readSafetensorsHeader(file), re));
  }
});

test('an unknown dtype is an unsupported-model error', () => {
  withFile(rawFile('{"w": {"dtype": "Q4_K", "shape": [1], "data_offsets": [0, 1]}}', 1), (file) =>
    assert.throws(() => readSafetensorsHeader(file), (e: unknown) => e instanceof UnsupportedModelError && /dtype 'Q4_K'/.test(e.message)),
  );
});

test('sharded directories: every model*.safetensors is read, and the index is cross-checked', () => {
  const t = tempDir();
  try {
    writeFileSync(join(t.dir, 'model-00001-of-00002.safetensors'), safetensorsBytes([{ name: 'x', dtype: 'F32', shape: [2] }]));
    writeFileSync(join(t.dir, 'model-00002-of-00002.safetensors'), safetensorsBytes([{ name: 'y', dtype: 'F16', shape: [2] }]));
    const index = { metadata: {}, weight_map: { x: 'model-00001-of-00002.safetensors', y: 'model-00002-of-00002.safetensors' } };
    writeFileSync(join(t.dir, 'model.safetensors.index.json'), JSON.stringify(index));
    const table = readTensorTable(t.dir);
    assert.deepEqual([...table.keys()].sort(), ['x', 'y']);
    assert.match(table.get('y')!.file, /model-00002-of-00002\.safetensors$/);

    index.weight_map.y = 'model-00001-of-00002.safetensors';
    writeFileSync(join(t.dir, 'model.safetensors.index.json'), JSON.stringify(index));
    assert.throws(() => readTensorTable(t.dir), /weight_map says tensor 'y' is in model-00001-of-00002\.safetensors/);

    index.weight_map.y = 'model-00003-of-00003.safetensors';
    writeFileSync(join(t.dir, 'model.safetensors.index.json'), JSON.stringify(index));
    assert.throws(() => readTensorTable(t.dir), ModelFileMissingError);
  } finally {
    t.cleanup();
  }
});

test('a directory without weights names what is missing', () => {
  const t = tempDir();
  try {
    assert.throws(() => readTensorTable(t.dir), /model\.safetensors: weights \(model\*\.safetensors\) not found/);
  } finally {
    t.cleanup();
  }
});
