// The fidelity rule of an activation-quantized path (issue 14): its deviation from vmlx's float-activation result on
// the same weights must be no worse than llama.cpp's own deviation between its Q8-activation path (a Q4_0 GGUF) and
// its F32 path (an F32 GGUF holding exactly the Q4_0 file's values). Deviation = mean and 99th-percentile KL
// divergence of the next-token distribution, and top-1 agreement, over every position of several prompts.
//
// Both engines are measured the same way: at each position the reference distribution's REF_K most likely tokens
// (by vmlx's float path on the float weights the GGUFs were made from, for llama.cpp) plus one bucket for the rest.
// Merging tokens can only lower a KL divergence, so this is a lower bound of the full-vocabulary figure, taken the
// same way on both sides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel, type LoadedModel } from '../../src/engine/model.js';
import { defaultActivations, type ActivationMode } from '../../src/engine/plan.js';
import type { TestArch } from '../../src/engine/testmodel/spec.js';
import { ensureTestModel } from '../helpers/test-models.js';
import { LlamaPeer } from './llama-peer.js';

export const POSITIONS = 256;
export const REF_K = 32;
/** The quantized path's own top list, searched for the reference's tokens. */
const FAST_K = 256;

export const PROMPTS = [
  '<|im_start|>user\nWrite a haiku about the sea, then list 3 primes: 2, 3, 5.<|im_end|>\n<|im_start|>assistant\n<think>\n'
    + 'The quick brown fox jumps over the lazy dog. 東京の天気は晴れです。 Ünïcödé and emoji 🚀🌊 appear too.\n',
  'function add(a, b) { return a + b; } // 12345 + 67890 = 80235\nconst xs = [1, 2, 3].map((x) => x * 2);\n'
    + 'SELECT name, count(*) FROM users GROUP BY name ORDER BY 2 DESC LIMIT 10;\n',
  'Once upon a time, in a land far away, there lived a curious engineer who measured everything twice. '
    + 'Rivers: Nile, Amazon, Danube, Mekong, Volga. Numbers: 3.14159, 2.71828, 1.41421, 0.57721.\n',
];

export interface Deviation {
  meanKl: number;
  p99Kl: number;
  /** Share of positions where both sides pick the same most likely token. */
  top1: number;
  positions: number;
}

/** One position: the reference's top tokens with both sides' log-probabilities of them, and each side's argmax. */
export interface PositionPair {
  ref: number[];
  test: number[];
  refArgmax: number;
  testArgmax: number;
}

export function klOf(p: PositionPair): number {
  let kl = 0, pIn = 0, qIn = 0;
  for (let j = 0; j < p.ref.length; j++) {
    const pj = Math.exp(p.ref[j]);
    kl += pj * (p.ref[j] - p.test[j]);
    pIn += pj;
    qIn += Math.exp(p.test[j]);
  }
  const pRest = Math.max(0, 1 - pIn), qRest = Math.max(1e-30, 1 - qIn);
  if (pRest > 0) kl += pRest * Math.log(pRest / qRest);
  return Math.max(0, kl);
}

export function summarize(pairs: PositionPair[]): Deviation {
  const kls = pairs.map(klOf).sort((a, b) => a - b);
  const mean = kls.reduce((s, v) => s + v, 0) / kls.length;
  const p99 = kls[Math.min(kls.length - 1, Math.ceil(0.99 * kls.length) - 1)]!;
  const top1 = pairs.filter((p) => p.refArgmax === p.testArgmax).length / pairs.length;
  return { meanKl: mean, p99Kl: p99, top1, positions: pairs.length };
}

export function tokensOf(model: LoadedModel, prompt: string): number[] {
  // Repeated so every prompt covers POSITIONS tokens.
  const ids = model.encode(prompt.repeat(8), { addSpecialTokens: true }).slice(0, POSITIONS);
  if (ids.length < POSITIONS) throw new Error(`prompt encodes to ${ids.length} < ${POSITIONS} tokens`);
  return ids;
}

/** vmlx: `reference` (float path) against `quantized` (an activation-quantized path) on the same weights. */
export async function vmlxPairs(reference: LoadedModel, quantized: LoadedModel, tokens: number[]): Promise<PositionPair[]> {
  const ref = await reference.evaluate(tokens, REF_K);
  const q = await quantized.evaluate(tokens, FAST_K);
  const out: PositionPair[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const have = new Map<number, number>();
    for (let k = 0; k < FAST_K; k++) have.set(q.ids[i * FAST_K + k]!, q.logprobs[i * FAST_K + k]!);
    // A reference token outside the quantized path's top list has at most the list's last probability.
    const floor = q.logprobs[i * FAST_K + FAST_K - 1]!;
    const refLp = Array.from(ref.logprobs.subarray(i * REF_K, (i + 1) * REF_K));
    const ids = Array.from(ref.ids.subarray(i * REF_K, (i + 1) * REF_K));
    out.push({ ref: refLp, test: ids.map((id) => have.get(id) ?? floor), refArgmax: ids[0]!, testArgmax: q.ids[i * FAST_K]! });
  }
  return out;
}

/** llama.cpp: its F32 file against its Q4_0 file, on the reference tokens `want` of each position. */
export async function llamaPairs(f32: LlamaPeer, q4: LlamaPeer, tokens: number[], want: number[][]): Promise<PositionPair[]> {
  const ref = await f32.evaluate(tokens, want);
  const q = await q4.evaluate(tokens, want);
  return tokens.map((_, i) => ({
    ref: want[i]!.map((id) => ref[i]!.logprobs.get(id)!),
    test: want[i]!.map((id) => q[i]!.logprobs.get(id)!),
    refArgmax: ref[i]!.argmax,
    testArgmax: q[i]!.argmax,
  }));
}

/** Whether `mine` is no worse than `peer` on all three measures. */
export function meetsRule(mine: Deviation, peer: Deviation): boolean {
  return mine.meanKl <= peer.meanKl && mine.p99Kl <= peer.p99Kl && mine.top1 >= peer.top1;
}

export function describe(d: Deviation): string {
  return `mean KL ${d.meanKl.toExponential(2)}, p99 KL ${d.p99Kl.toExponential(2)}, top-1 ${(100 * d.top1).toFixed(1)}% over ${d.positions}`;
}

const QUANTIZED_MODES: ActivationMode[] = ['int16', 'int8'];

async function withModel<T>(dir: string, activations: ActivationMode, use: (m: LoadedModel) => Promise<T>): Promise<T> {
  const m = await loadModel(dir, { threads: 2, maxContext: 512, activations });
  try {
    return await use(m);
  } finally {
    await m.dispose();
  }
}

/** Registers the rule's test for each family. */
export function fidelityTests(archs: readonly TestArch[]): void {
  for (const arch of archs) {
    const defaultMode = defaultActivations(arch);
    test(`${arch}: its default activation path (${defaultMode}) deviates from the float path no more than llama.cpp's Q8 activations do`, async (t) => {
      // llama.cpp's side: the F32 file holds exactly the Q4_0 file's values, both made from the same float weights.
      const float = await ensureTestModel({ arch, dtype: 'bf16', withGguf: 'q4_0' });
      const exact = await ensureTestModel({ arch, dtype: 'bf16', withGguf: 'q4_0-f32' });
      const mlx4 = await ensureTestModel({ arch, dtype: 'bf16', bits: 4 });

      // The reference tokens of llama.cpp's comparison: vmlx's float path on the float weights.
      const prompts: number[][] = [];
      const want: number[][][] = [];
      await withModel(float.dir, 'float', async (m) => {
        for (const p of PROMPTS) {
          const tokens = tokensOf(m, p);
          const top = await m.evaluate(tokens, REF_K);
          prompts.push(tokens);
          want.push(tokens.map((_, i) => Array.from(top.ids.subarray(i * REF_K, (i + 1) * REF_K))));
        }
      });
      const f32 = await LlamaPeer.open(exact.gguf!, 512);
      const q4 = await LlamaPeer.open(float.gguf!, 512);
      const peerPairs: PositionPair[] = [];
      try {
        for (let i = 0; i < prompts.length; i++) peerPairs.push(...(await llamaPairs(f32, q4, prompts[i]!, want[i]!)));
      } finally {
        await f32.dispose();
        await q4.dispose();
      }
      const peer = summarize(peerPairs);
      t.diagnostic(`llama.cpp Q4_0 (Q8_0 activations) vs F32: ${describe(peer)}`);

      const reference = await loadModel(mlx4.dir, { threads: 2, maxContext: 512, activations: 'float' });
      try {
        for (const mode of QUANTIZED_MODES) {
          const pairs: PositionPair[] = [];
          await withModel(mlx4.dir, mode, async (m) => {
            for (const tokens of prompts) pairs.push(...(await vmlxPairs(reference, m, tokens)));
          });
          const mine = summarize(pairs);
          const verdict = meetsRule(mine, peer) ? 'meets the rule' : 'misses the rule';
          t.diagnostic(`vmlx ${mode} vs float: ${describe(mine)} (${verdict})`);
          if (mode === defaultMode) {
            assert.ok(meetsRule(mine, peer), `${arch}: vmlx ${mode} (${describe(mine)}) is worse than llama.cpp (${describe(peer)})`);
          }
        }
      } finally {
        await reference.dispose();
      }
    });
  }
}
