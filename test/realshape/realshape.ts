// The real-shape check of one family (npm run test:realshape): its real widths, made by make-model in the
// mlx-community layout (4-bit affine with the repos' per-layer overrides, or gpt-oss's MXFP4 experts), against
// llama.cpp on the F32 GGUF twin over a 128-token sequence with a 32-token greedy continuation, then
// `vmlx generate` and `vmlx chat --print` with an MCP server's tools as subprocesses. Random weights: the CLI runs
// are checked for structure (exit code, token counts, notes), not content. The model files (several GB with the
// twin) are deleted after the family's check unless KEEP is set, so the suite's disk use stays one family's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TestArch, TestShape } from '../../src/engine/testmodel/spec.js';
import { REPO } from '../agent/fixtures.js';
import { checkParity } from '../parity/parity-check.js';
import { ensureTestModel, type TestModelRequest } from '../helpers/test-models.js';
import { runVmlx, type CliResult } from '../helpers/vmlx-cli.js';
import { chatWithFilesystemTools } from '../helpers/chat-with-tools.js';

export const REAL_SEQUENCE_TOKENS = 128;
export const REAL_GREEDY_TOKENS = 32;
const GENERATE_TOKENS = 8;

export interface RealShapeFamily {
  arch: TestArch;
  shape: TestShape;
  /** gpt-oss ships MXFP4 experts (the rest 8-bit); the others 4-bit affine, group 64. */
  quantMode?: 'affine' | 'mxfp4';
  /** The note `vmlx generate` prints for a checkpoint with towers it does not load. */
  note?: RegExp;
  /** Extra `chat` flags (templates that open a thinking block would spend the few tokens there). */
  chatArgs?: string[];
}

/** A generous deadline: a real-shaped model takes a while to load and prefill on two cores. */
function vmlx(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runVmlx(args, { cwd: REPO, env, deadlineMs: 900_000 });
}

function sizeOf(path: string): number {
  return statSync(path).size;
}

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(2)} GB`;

export function realShapeTest(fam: RealShapeFamily): void {
  test(`${fam.arch} ${fam.shape}: llama.cpp parity, generate and chat --print with tools on the real shape`, async (t) => {
    const t0 = Date.now();
    const req: TestModelRequest = { arch: fam.arch, shape: fam.shape, dtype: 'bf16', bits: 4, quantMode: fam.quantMode, withGguf: true };
    const { dir, gguf } = await ensureTestModel(req);
    const madeMs = Date.now() - t0;
    try {
      const mlxBytes = sizeOf(join(dir, 'model.safetensors'));
      assert.ok(mlxBytes < 2.5e9, `the 4-bit file (${gb(mlxBytes)}) stays near the suite's ~2 GB per model`);
      const parity = await checkParity(t, {
        arch: fam.arch, shape: fam.shape, dtype: 'bf16', bits: 4, quantMode: fam.quantMode,
        sequenceTokens: REAL_SEQUENCE_TOKENS, greedyTokens: REAL_GREEDY_TOKENS,
      });

      const gen = await vmlx(['generate', '--model', dir, '--max-tokens', String(GENERATE_TOKENS), '--temp', '0', '--ignore-eos', '--threads', '2', 'Hello']);
      assert.equal(gen.code, 0, gen.stderr);
      assert.ok(gen.stdout.length > 0, 'generated text');
      assert.match(gen.stderr, new RegExp(`generated: ${GENERATE_TOKENS} tokens`));
      if (fam.note) assert.match(gen.stderr, fam.note);
      else assert.doesNotMatch(gen.stderr, /^note:/m);
      assert.doesNotMatch(gen.stderr, /\n\s+at /);

      const chat = await chatWithFilesystemTools(dir, { chatArgs: fam.chatArgs, deadlineMs: 900_000, label: `realshape-${fam.arch}` });
      t.diagnostic(
        `realshape | ${fam.arch} | ${fam.shape} | mlx ${gb(mlxBytes)} + gguf ${gb(sizeOf(gguf!))} | ` +
          `max |Δ logprob| ${parity.maxAbsDiff.toExponential(2)} | greedy ${parity.greedyEqual ? 'identical' : `near-tie after ${parity.greedyCompared}`} ` +
          `(${parity.distinctGreedyTokens} distinct) | generate exit ${gen.code} | chat --print exit ${chat.code}${chat.toolCalls ? `, ${chat.toolCalls} tool call(s)` : ''} | ` +
          `made in ${(madeMs / 1000).toFixed(0)} s, total ${((Date.now() - t0) / 1000).toFixed(0)} s`,
      );
    } finally {
      if (!process.env.KEEP) {
        rmSync(dir, { recursive: true, force: true });
        if (gguf) rmSync(gguf, { force: true });
      }
    }
  });
}

