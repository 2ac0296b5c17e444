// Shared test fixture: a generated model directory (and optional GGUF twin), made once per key under
// <repo>/.cache/test-models/ and reused. Safe when several test processes ask at once: each writes into its own
// temporary directory and renames it into place; the loser of the race discards its copy.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATOR_VERSION, makeTestModel } from '../../src/engine/testmodel/generate.js';
import type { GgufType, TestArch, TestDType, TestQuantMode, TestShape } from '../../src/engine/testmodel/spec.js';
import { packageRoot } from '../../src/engine/package-root.js';

export interface TestModelRequest {
  arch: TestArch;
  dtype: TestDType;
  /** MLX affine bits; absent = float weights. */
  bits?: 2 | 3 | 4 | 5 | 6 | 8;
  groupSize?: number; // default 64 (32 for mxfp4)
  /** MLX quantization mode (default affine); mxfp4 needs bits 4. */
  quantMode?: TestQuantMode;
  shape?: TestShape; // default 'tiny'
  seed?: number; // default 1
  /** Also write the GGUF twin: true = F32 holding the exact (dequantized) weights; or a llama.cpp quant type. */
  withGguf?: boolean | GgufType;
}

export interface TestModelPaths {
  /** The mlx-community-format directory. */
  dir: string;
  /** The GGUF twin, when requested. */
  gguf?: string;
}

function groupSizeOf(req: TestModelRequest): number {
  return req.groupSize ?? (req.quantMode === 'mxfp4' ? 32 : 64);
}

export function testModelKey(req: TestModelRequest): string {
  const shape = req.shape ?? 'tiny';
  const quant = req.bits ? `${req.quantMode === 'mxfp4' ? 'mxfp4' : `q${req.bits}`}g${groupSizeOf(req)}` : 'float';
  return `v${GENERATOR_VERSION}-${req.arch}-${shape}-${req.dtype}-${quant}-s${req.seed ?? 1}`;
}

export function testModelCacheRoot(): string {
  return join(packageRoot(), '.cache', 'test-models');
}

export async function ensureTestModel(req: TestModelRequest): Promise<TestModelPaths> {
  const root = testModelCacheRoot();
  const key = testModelKey(req);
  const dir = join(root, key);
  const ggufType: GgufType | undefined = req.withGguf === true ? 'f32' : req.withGguf || undefined;
  const gguf = ggufType ? join(root, `${key}.${ggufType}.gguf`) : undefined;
  if (existsSync(join(dir, 'config.json')) && (!gguf || existsSync(gguf))) return { dir, gguf };

  mkdirSync(root, { recursive: true });
  const tmp = join(root, `.tmp-${key}-${process.pid}-${Date.now()}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    makeTestModel({
      arch: req.arch, shape: req.shape ?? 'tiny', dtype: req.dtype, seed: req.seed ?? 1,
      quant: req.bits ? { bits: req.bits, groupSize: groupSizeOf(req), mode: req.quantMode } : undefined,
      outDir: join(tmp, 'model'),
      gguf: ggufType ? { path: join(tmp, 'model.gguf'), type: ggufType } : undefined,
    });
    // The GGUF first: once the directory is in place, other callers may take the fast path above.
    if (gguf && !existsSync(gguf)) renameSync(join(tmp, 'model.gguf'), gguf);
    if (!existsSync(join(dir, 'config.json'))) {
      try {
        renameSync(join(tmp, 'model'), dir);
      } catch (err) {
        // Another process renamed its identical copy first.
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { dir, gguf };
}
