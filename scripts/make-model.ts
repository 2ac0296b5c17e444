// npm run make-model -- --arch qwen3 --shape tiny --dtype bf16 [--bits 4] [--group-size 64] [--quant-mode affine|mxfp4]
//                       --seed 1 --out DIR
//                       [--gguf FILE] [--gguf-type f32|q4_0|q8_0|mxfp4]
// Writes a seeded random model in the mlx-community layout (and optionally its GGUF twin for llama.cpp).
import { parseArgs } from 'node:util';
import { makeTestModel } from '../src/engine/testmodel/generate.js';
import {
  TEST_ARCHS, TEST_QUANT_MODES, TEST_SHAPES, type GgufType, type TestArch, type TestDType, type TestQuantMode, type TestShape,
} from '../src/engine/testmodel/spec.js';

class UsageError extends Error {}

const USAGE = `usage: npm run make-model -- --arch ARCH --out DIR [options]
Writes a seeded random model in the mlx-community layout, and optionally its GGUF twin for llama.cpp.
  --arch ${TEST_ARCHS.join('|')}
  --shape ${TEST_SHAPES.join('|')} (default tiny)
  --dtype f32|bf16 (default bf16)        --bits 2|3|4|5|6|8 (default: unquantized)
  --group-size 32|64|128 (default 64)    --quant-mode ${TEST_QUANT_MODES.join('|')} (default affine)
  --seed N (default 1)                   --quiet
  --gguf FILE [--gguf-type f32|q4_0|q8_0|mxfp4|q4_0-f32]   the llama.cpp twin of the same weights
`;

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback?: T): T {
  if (value === undefined) {
    if (fallback !== undefined) return fallback;
    throw new UsageError(`--${flag} is required (${allowed.join('|')})`);
  }
  if (!allowed.includes(value as T)) throw new UsageError(`--${flag} must be one of ${allowed.join('|')} (got ${value})`);
  return value as T;
}

function int(flag: string, value: string | undefined, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${flag} must be a non-negative integer (got ${value})`);
  return Number(value);
}

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      arch: { type: 'string' }, shape: { type: 'string' }, dtype: { type: 'string' }, bits: { type: 'string' },
      'group-size': { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, gguf: { type: 'string' },
      'gguf-type': { type: 'string' }, 'quant-mode': { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const arch = oneOf<TestArch>('arch', values.arch, TEST_ARCHS);
  const shape = oneOf<TestShape>('shape', values.shape, TEST_SHAPES, 'tiny');
  const dtype = oneOf<TestDType>('dtype', values.dtype, ['f32', 'bf16'], 'bf16');
  const mode = oneOf<TestQuantMode>('quant-mode', values['quant-mode'], TEST_QUANT_MODES, 'affine');
  // mxfp4 has one width and one group size: they are its defaults.
  const bits = int('bits', values.bits, mode === 'mxfp4' ? 4 : undefined);
  const groupSize = int('group-size', values['group-size'], mode === 'mxfp4' ? 32 : 64)!;
  if (values['quant-mode'] && values.bits === undefined && mode === 'affine') throw new UsageError('--quant-mode affine needs --bits');
  const seed = int('seed', values.seed, 1)!;
  if (!values.out) throw new UsageError('--out DIR is required');
  const ggufType = oneOf<GgufType>('gguf-type', values['gguf-type'], ['f32', 'q4_0', 'q8_0', 'mxfp4', 'q4_0-f32'], 'f32');
  if (values['gguf-type'] && !values.gguf) throw new UsageError('--gguf-type needs --gguf FILE');
  const r = makeTestModel({
    arch, shape, dtype, seed, quant: bits === undefined ? undefined : { bits, groupSize, mode }, outDir: values.out,
    gguf: values.gguf ? { path: values.gguf, type: ggufType } : undefined,
    log: values.quiet ? undefined : (m) => process.stderr.write(`  ${m}\n`),
  });
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  process.stdout.write(`wrote ${r.dir} (${(r.parameters / 1e6).toFixed(1)}M parameters, ${mb(r.safetensorsBytes)})` +
    `${r.gguf ? ` and ${r.gguf} (${ggufType}, ${mb(r.ggufBytes!)})` : ''} in ${(r.ms / 1000).toFixed(1)} s\n`);
}

try {
  main(process.argv.slice(2));
} catch (err) {
  const e = err as Error & { code?: string };
  if (err instanceof UsageError || err instanceof RangeError || e.code?.startsWith('ERR_PARSE_ARGS') || e.code === 'ENOENT' || e.code === 'EACCES') {
    process.stderr.write(`make-model: ${e.message}\n`);
    process.exit(2);
  }
  throw err;
}
